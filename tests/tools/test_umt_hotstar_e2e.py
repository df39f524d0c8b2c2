"""configs/umt_hotstar.py end to end through the tools, on tiny demo data (small dims)."""
import os
import pickle

import pytest
import torch

from highlight_plugin.datasets.demo import make_hotstar_demo

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG = os.path.join(REPO, 'configs', 'umt_hotstar.py')
SMALL = [f'model.{m}.dims=32' for m in ('video_enc', 'audio_enc', 'cross_enc', 'saliency_head')]


def _options(root):
    return ['--cfg-options', *SMALL, 'train_cfg.max_epochs=1', 'train_dataloader.batch_size=8',
            *[f'{split}_dataloader.{k}' for split in ('train', 'val', 'test')
              for k in (f'dataset.data_root={root}', 'num_workers=0', 'persistent_workers=False')]]


@pytest.fixture(scope='module')
def demo_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('hotstar')
    make_hotstar_demo(str(root), num_titles=4, min_duration=40, max_duration=60, seed=0)
    return str(root)


def test_train_then_test_with_dump(cli, demo_root, tmp_path):
    work = str(tmp_path / 'work')
    code, err = cli('train', [CONFIG, '--work-dir', work] + _options(demo_root))  # no seed anywhere: one is drawn
    assert code == 0, err
    ckpt = os.path.join(work, 'epoch_1.pth')
    assert torch.serialization.get_unsafe_globals_in_checkpoint(ckpt) == []
    assert [f for f in os.listdir(work) if f.startswith('best_HL-mAP')]  # save_best kept
    dump = str(tmp_path / 'preds.pkl')
    code, err = cli('test', [CONFIG, ckpt, '--work-dir', work, '--dump', dump] + _options(demo_root))
    assert code == 0, err
    with open(dump, 'rb') as f:
        preds = pickle.load(f)
    assert preds and all(len(p['pred_saliency']) == p['num_clips'] for p in preds)
    code, err = cli('test', [CONFIG, ckpt, '--dump', str(tmp_path / 'spots')] + _options(demo_root))
    assert code == 2 and 'needs a SoccerNet config' in err
