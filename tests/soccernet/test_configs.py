import glob

import pytest
from mmengine.config import Config

from highlight_plugin.datasets.soccernet_labels import resolve_classes

CONFIGS = sorted(glob.glob('configs/soccernet/*.py'))


def test_every_fusion_head_has_a_config():
    fusions = {Config.fromfile(path).model.fusion.type for path in CONFIGS}
    assert fusions == {'ConcatFusion', 'GMUFusion', 'CMGAFusion', 'TransformerFusion', 'UMTBottleneckFusion'}


@pytest.mark.parametrize('path', CONFIGS)
def test_config_is_consistent(path):
    cfg = Config.fromfile(path)
    classes, _ = resolve_classes(cfg.train_dataloader.dataset.classes, cfg.train_dataloader.dataset.get('label_map'))
    assert cfg.model.num_classes == len(classes)
    for split in ('train', 'val', 'test'):
        data = cfg[f'{split}_dataloader'].dataset
        assert data.classes == cfg.train_dataloader.dataset.classes
        assert data.window_size == cfg.model.window_size and data.fps == cfg.model.fps
    assert cfg.test_dataloader.dataset.test_mode and cfg.val_dataloader.dataset.sample_mode == 'window'
    assert cfg.optim_wrapper.optimizer == dict(type='Adam', lr=0.01)
    assert cfg.param_scheduler[0].type == 'ReduceOnPlateauLR' and cfg.randomness.seed == 1234
