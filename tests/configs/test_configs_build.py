"""Every config loads, and its model and datasets build (datasets on tiny stand-in data)."""
import glob
import os.path as osp

import pytest
from mmaction.registry import MODELS
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
                 if '_base_' not in p)


def test_there_are_configs():
    assert any(p.endswith('umt_hotstar.py') for p in CONFIGS)


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, osp.join(REPO, 'configs')))
def test_config_builds_model(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmaction'
    assert cfg.custom_imports['imports'] == ['highlight_plugin']
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader', 'val_evaluator', 'optim_wrapper'):
        assert key in cfg, key
    model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 0
