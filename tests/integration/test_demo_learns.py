"""The README's demo: train configs/umt_hotstar.py on synthetic Hotstar data, then test the best checkpoint.

The model must learn: validation HD mAP well above the chance level of the split (a constant or random ranking
scores the fraction of highlight seconds of each title).
"""
import glob
import json
import os.path as osp
import subprocess
import sys

import numpy as np

from highlight_plugin.datasets import HotstarHighlightDataset, make_hotstar_demo

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _chance_hl_map(root):
    val = HotstarHighlightDataset(data_root=root, split='val', pipeline=[])
    per_title = {}
    for i in range(len(val)):
        info = val.get_data_info(i)
        pos, total = per_title.get(info['content_id'], (0, 0))
        per_title[info['content_id']] = (pos + info['label'] * (info['end'] - info['start']),
                                         total + info['end'] - info['start'])
    return 100 * np.mean([p / t for p, t in per_title.values()])


def _run(tool, *args):
    proc = subprocess.run([sys.executable, osp.join(REPO, 'tools', tool), *args], capture_output=True, text=True,
                          cwd=REPO, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def test_demo_training_learns(tmp_path):
    root = str(tmp_path / 'hotstar')
    make_hotstar_demo(root, num_titles=12, min_duration=60, max_duration=120, seed=0)
    work = str(tmp_path / 'work')
    options = ['--cfg-options', 'train_cfg.max_epochs=4', 'train_dataloader.batch_size=16',
               *[f'{split}_dataloader.{k}' for split in ('train', 'val', 'test')
                 for k in (f'dataset.data_root={root}', 'num_workers=0', 'persistent_workers=False')]]
    _run('train.py', osp.join(REPO, 'configs', 'umt_hotstar.py'), '--work-dir', work, '--seed', '0', *options)
    best = glob.glob(osp.join(work, 'best_HL-mAP_epoch_*.pth'))
    assert len(best) == 1
    _run('test.py', osp.join(REPO, 'configs', 'umt_hotstar.py'), best[0], '--work-dir', work, *options)
    logs = sorted(glob.glob(osp.join(work, '*', '*.json')))
    metrics = json.loads(open(logs[-1]).read())
    chance = _chance_hl_map(root)
    print('demo metrics', metrics, 'chance HL-mAP', chance)
    assert metrics['HL-mAP'] > chance + 25, (metrics, chance)
    assert metrics['AUC'] > 0.8, metrics
