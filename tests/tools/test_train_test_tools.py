"""tools/train.py and tools/test.py: flags, one-line user errors (exit 2), kill + --resume."""
import os
import signal
import subprocess
import sys

import pytest
import torch
from toy_components import CONFIG, HERE, final_weights, toy_cfg

from highlight_plugin.engine.launch import build_runner

TOOLS = os.path.join(os.path.dirname(os.path.dirname(HERE)), 'tools')


def _one_error_line(err, pattern):
    lines = [ln for ln in err.strip().splitlines() if 'warn' not in ln.lower()]
    assert len(lines) == 1 and lines[0].startswith('error: '), err
    assert pattern in lines[0], lines[0]


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """An uninterrupted toy run (in-process), reference for the kill/resume test."""
    work_dir = tmp_path_factory.mktemp('trained')
    build_runner(toy_cfg(work_dir)).train()
    return work_dir


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, 'w'))


def test_unsafe_checkpoint_is_refused_by_test_and_resume(cli, tmp_path):
    marker = tmp_path / 'payload_ran'
    evil = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {}, 'meta': {}, 'x': _Payload(str(marker))}, evil)
    code, err = cli('test', [CONFIG, evil, '--work-dir', str(tmp_path / 'w')])
    assert code == 2
    _one_error_line(err, 'refusing to load')
    code, err = cli('train', [CONFIG, '--work-dir', str(tmp_path / 'w'), '--resume', evil])
    assert code == 2
    _one_error_line(err, 'refusing to load')
    assert not marker.exists()


@pytest.mark.parametrize('argv, message', [
    (['--cfg-options', 'model.hiden=8'], "unknown --cfg-options key 'model.hiden'"),
    (['--cfg-options', 'optim_wrapper.optimizer.lr=0.1', 'train_cfg.max_epoch=2'],
     "did you mean 'max_epochs'"),
    (['--cfg-options', 'train_dataloader.dataset.data_root=/nonexistent/hotstar'],
     'directory not found: /nonexistent/hotstar'),
    (['--resume', '/nonexistent/epoch_3.pth'], 'checkpoint not found'),
    pytest.param(['--amp-dtype', 'fp16'], '--amp fp16 needs a GPU', marks=pytest.mark.skipif(
        torch.cuda.is_available(), reason='fp16 AMP works with a GPU')),
    (['--auto-scale-lr', '--cfg-options', 'auto_scale_lr=None'], '--auto-scale-lr needs'),
])
def test_train_bad_input_is_one_line(cli, tmp_path, argv, message):
    code, err = cli('train', [CONFIG, '--work-dir', str(tmp_path)] + argv)
    assert code == 2
    _one_error_line(err, message)


def test_test_tool_metrics_dump_and_mismatch(cli, trained, tmp_path):
    ckpt = str(trained / 'epoch_3.pth')
    dump = tmp_path / 'preds.pkl'
    code, err = cli('test', [CONFIG, ckpt, '--work-dir', str(tmp_path), '--dump', str(dump)])
    assert code == 0, err
    assert dump.stat().st_size > 0
    code, err = cli('test', [CONFIG, ckpt, '--work-dir', str(tmp_path), '--cfg-options', 'model.hidden=8'])
    assert code == 2
    _one_error_line(err, "'mlp.0.weight' is [16, 8] in the checkpoint but [8, 8] in the model")
    code, err = cli('test', [CONFIG, ckpt, '--dump', str(tmp_path / 'preds.csv')])
    assert code == 2
    _one_error_line(err, "unknown format '.csv'")


def test_data_error_inside_worker_process_is_one_line(cli, trained, tmp_path):
    # raised in a DataLoader worker process, re-raised by torch with the worker traceback
    code, err = cli('test', [CONFIG, str(trained / 'epoch_3.pth'), '--work-dir', str(tmp_path),
                             '--cfg-options', 'test_dataloader.dataset.bad_index=3',
                             'test_dataloader.num_workers=1'])
    assert code == 2
    assert 'Traceback' not in err
    _one_error_line(err, 'error: toy sample 3: features/toy_3.npy is corrupt')


def test_sigkill_mid_epoch_then_resume_matches_uninterrupted(trained, tmp_path):
    crash_cfg = tmp_path / 'crash.py'
    crash_cfg.write_text(f"_base_ = [{CONFIG!r}]\n"
                         "custom_hooks = [dict(type='CrashAtIterHook', iter=9, kill=True)]\n")
    env = dict(os.environ, PYTHONPATH=HERE)
    train = [sys.executable, os.path.join(TOOLS, 'train.py')]
    work = ['--work-dir', str(tmp_path / 'w')]
    proc = subprocess.run(train + [str(crash_cfg)] + work, env=env, capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL
    proc = subprocess.run(train + [CONFIG, '--resume'] + work, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    expected, got = final_weights(trained), final_weights(tmp_path / 'w')
    assert all(torch.equal(expected[k], got[k]) for k in expected)
