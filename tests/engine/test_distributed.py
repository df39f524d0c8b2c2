"""2-process CPU (gloo) training/evaluation through tools/dist_*.sh equals 1 process."""
import os
import pickle
import subprocess

import pytest
from toy_components import CONFIG, HERE, toy_cfg, val_metrics

from highlight_plugin.engine.launch import build_runner

REPO = os.path.dirname(os.path.dirname(HERE))
NO_DROPOUT = ['model.dropout=0.0']  # dropout masks differ between 1 and 2 processes


def _run(script, *args):
    env = dict(os.environ, PYTHONPATH=HERE, OMP_NUM_THREADS='1')
    env.pop('PORT', None)  # the scripts' default on one machine: a port the OS picks
    proc = subprocess.run(['bash', os.path.join(REPO, 'tools', script), *args], env=env,
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


@pytest.fixture(scope='module')
def two_process_run(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('dist')
    # 2 processes x batch 2 == 1 process x batch 4 (the toy config's batch)
    _run('dist_train.sh', CONFIG, '2', '--work-dir', str(work_dir),
         '--cfg-options', 'train_dataloader.batch_size=2', *NO_DROPOUT)
    return work_dir


def test_two_processes_match_one(two_process_run, tmp_path):
    build_runner(toy_cfg(tmp_path, **{'model.dropout': 0.0})).train()
    one, two = val_metrics(tmp_path), val_metrics(two_process_run)
    assert len(one) == len(two) == 3
    for a, b in zip(one, two):
        assert b['toy/count'] == b['toy/unique'] == 11  # 11 val samples, none padded twice
        assert b['toy/idx_sum'] == sum(range(11))
        assert a['toy/acc'] == b['toy/acc']
        assert b['toy/pred_sum'] == pytest.approx(a['toy/pred_sum'], rel=1e-5)


def test_two_process_evaluation_counts_each_sample_once(two_process_run, tmp_path):
    ckpt = str(two_process_run / 'epoch_3.pth')
    dump = str(tmp_path / 'preds.pkl')
    _run('dist_test.sh', CONFIG, ckpt, '2', '--work-dir', str(tmp_path), '--dump', dump)
    with open(dump, 'rb') as f:
        preds = pickle.load(f)
    assert sorted(p['sample_idx'] for p in preds) == list(range(11))
    runner = build_runner(toy_cfg(tmp_path / 'one', load_from=ckpt))
    metrics = runner.test()
    assert sum(float(p['pred_saliency'].sum()) for p in preds) == pytest.approx(
        metrics['toy/pred_sum'], rel=1e-6)
