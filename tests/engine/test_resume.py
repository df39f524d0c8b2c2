"""Exact resume: a run that crashes mid-epoch and resumes ends like an uninterrupted one."""
import time

import pytest
import torch
from mmengine.fileio.backends import LocalBackend
from toy_components import final_weights, toy_cfg, val_metrics

from highlight_plugin.engine.hooks import RandomStateHook
from highlight_plugin.engine.launch import build_runner

CRASH = dict(custom_hooks=[dict(type='CrashAtIterHook', iter=9)])  # 6 iterations per epoch


def _train(work_dir, **options):
    build_runner(toy_cfg(work_dir, **options)).train()


def _crash_then_resume(work_dir):
    with pytest.raises(RuntimeError, match='simulated crash'):
        _train(work_dir, **CRASH)
    assert sorted(p.name for p in work_dir.glob('epoch_*.pth')) == ['epoch_1.pth']
    time.sleep(1.1)  # a new run directory (timestamped to the second), so each run's logs stay apart
    _train(work_dir, resume=True)


def _same(a, b):
    return all(torch.equal(a[k], b[k]) for k in a)


@pytest.fixture(scope='module')
def reference(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('uninterrupted')
    _train(work_dir)
    return work_dir


def test_resume_after_mid_epoch_crash_is_exact(reference, tmp_path):
    _crash_then_resume(tmp_path)
    assert _same(final_weights(reference), final_weights(tmp_path))
    # with persistent DataLoader workers too (the iterator is then created once per run);
    # the loaders' own generators keep worker start-up out of the training random stream,
    # so even the worker-less reference is matched
    workers = {'train_dataloader.num_workers': 1, 'train_dataloader.persistent_workers': True}
    with pytest.raises(RuntimeError, match='simulated crash'):
        _train(tmp_path / 'workers', **CRASH, **workers)
    time.sleep(1.1)
    _train(tmp_path / 'workers', resume=True, **workers)
    assert _same(final_weights(reference), final_weights(tmp_path / 'workers'))
    metrics = val_metrics(tmp_path)
    assert [m['step'] for m in metrics] == [2, 3]  # epoch 2 re-run after the crash, then 3
    expected = {m['step']: m for m in val_metrics(reference)}
    for m in metrics:
        assert m['toy/acc'] == expected[m['step']]['toy/acc']
        assert m['toy/pred_sum'] == expected[m['step']]['toy/pred_sum']
    # the best checkpoint is kept and tracked across the resume
    best = list(tmp_path.glob('best_toy_acc_epoch_*.pth'))
    assert len(best) == 1


def test_without_restoring_random_state_the_resume_drifts(reference, tmp_path, monkeypatch):
    # guards the test above: dropout makes the random state matter
    monkeypatch.setattr(RandomStateHook, 'before_train_epoch', lambda self, runner: None)
    _crash_then_resume(tmp_path)
    assert not _same(final_weights(reference), final_weights(tmp_path))


def test_checkpoints_are_plain_and_a_failed_save_keeps_the_last_good_one(reference, tmp_path,
                                                                         monkeypatch):
    for name in ('epoch_3.pth', 'best_toy_acc_epoch_3.pth'):
        assert torch.serialization.get_unsafe_globals_in_checkpoint(str(reference / name)) == []
    _train(tmp_path, **{'train_cfg.max_epochs': 1})

    def dies_halfway(self, obj, filepath):
        with open(filepath, 'wb') as f:
            f.write(obj[:len(obj) // 2])  # the process is interrupted mid-write
        raise KeyboardInterrupt

    monkeypatch.setattr(LocalBackend, 'put', dies_halfway)
    with pytest.raises(KeyboardInterrupt):
        _train(tmp_path, resume=True, **{'train_cfg.max_epochs': 2})
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == '.pth' or p.name.startswith('.')) \
        == ['best_toy_acc_epoch_1.pth', 'epoch_1.pth']  # no partial file, no epoch_2.pth
    assert (tmp_path / 'last_checkpoint').read_text() == str(tmp_path / 'epoch_1.pth')
    _train(tmp_path, resume=True, **{'train_cfg.max_epochs': 2})  # resumes from epoch 1
    assert _same(final_weights(reference, 2), final_weights(tmp_path, 2))
