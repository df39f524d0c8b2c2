"""The user-facing error layer: unwrapping, the --cfg-options key check, skipping bad samples."""
import contextlib

import pytest
from mmengine.config import Config
from toy_components import CONFIG

from highlight_plugin.engine.cli import run_cli, user_error_message
from highlight_plugin.engine.config import check_cfg_options
from highlight_plugin.engine.errors import ConfigError, DataError


def _raised(fn):
    try:
        fn()
    except Exception as exc:  # noqa: BLE001
        return exc


def test_worker_and_registry_wrapped_errors_are_unwrapped():
    # the message torch's ExceptionWrapper gives an exception re-raised from a worker
    worker = DataError('Caught DataError in DataLoader worker process 0.\nOriginal Traceback '
                       '(most recent call last):\n  File "x.py", line 1, in f\n'
                       'highlight_plugin.engine.errors.DataError: labels.csv line 7: bad rating')
    assert user_error_message(worker) == 'labels.csv line 7: bad rating'
    # mmengine's build_from_cfg re-raises with the class location prefixed
    built = DataError('class `HotstarHighlightDataset` in highlight_plugin/datasets/hotstar.py: '
                      'features of demo0001 are shorter than its labels')
    assert user_error_message(built) == 'features of demo0001 are shorter than its labels'

    def chained():
        try:
            raise ConfigError('split must be train or val')
        except ConfigError as exc:
            raise RuntimeError('wrapped') from exc
    assert user_error_message(_raised(chained)) == 'split must be train or val'
    assert user_error_message(RuntimeError('a bug')) is None
    assert user_error_message(FileNotFoundError(2, 'No such file', 'feats/x.npy')) == \
        'file not found: feats/x.npy'


def test_run_cli_exit_codes(capsys):
    def bad(argv):
        raise DataError('labels.csv line 3: rating "x" is not an integer')
    with pytest.raises(SystemExit) as exc:
        run_cli(bad, [])
    assert exc.value.code == 2
    assert capsys.readouterr().err == 'error: labels.csv line 3: rating "x" is not an integer\n'

    def bug(argv):
        raise ZeroDivisionError
    with pytest.raises(ZeroDivisionError):  # bugs keep their traceback
        run_cli(bug, [])


@pytest.mark.parametrize('key, ok', [
    ('model.hidden', True),                        # existing key
    ('model.init_cfg', False),                     # not an argument of ToyHighlightModel
    ('train_dataloader.dataset.bad_index', True),  # new, but an argument of the dataset class
    ('train_dataloader.dataset.bad_idx', False),
    ('train_dataloader.pin_memory', True),         # a DataLoader argument
    ('train_dataloader.pin_memroy', False),
    ('train_cfg.max_epochs', True),
    ('randomness.deterministic', True),
    ('randomness.determinstic', False),
    ('param_scheduler.0.gamma', True),
    ('param_scheduler.3.gamma', False),            # index out of range
    ('default_hooks.checkpoint.max_keep_ckpts', True),
    ('default_hooks.logger.intervl', False),
    ('work_dir', True),                            # runner argument
    ('wokr_dir', False),
])
def test_cfg_options_keys_must_exist(key, ok):
    cfg = Config.fromfile(CONFIG)
    if ok:
        check_cfg_options(cfg, {key: 1})
    else:
        with pytest.raises(ConfigError, match=f'--cfg-options.*{key.split(".")[0]}'):
            check_cfg_options(cfg, {key: 1})


@pytest.mark.parametrize('num_workers', [0, 1])
def test_skip_bad_samples_switch(tmp_path, num_workers):
    from toy_components import toy_cfg

    from highlight_plugin.engine.launch import build_runner
    cfg = toy_cfg(tmp_path, **{'train_cfg.max_epochs': 1, 'train_dataloader.num_workers': num_workers})
    cfg.train_dataloader.dataset = dict(type='SkipBadSamples', max_skipped=5,
                                        dataset=dict(cfg.train_dataloader.dataset, bad_index=3))
    cfg.test_dataloader.dataset = dict(type='SkipBadSamples',
                                       dataset=dict(cfg.test_dataloader.dataset, bad_index=4))
    runner = build_runner(cfg)
    # a worker process's warning does not reach pytest; the shared count does
    with pytest.warns(UserWarning, match='skipping bad sample 3: toy sample 3') if not num_workers \
            else contextlib.nullcontext():
        runner.train()
    assert runner.train_dataloader.dataset.num_skipped == 1  # counted across worker processes
    with pytest.warns(UserWarning, match='skipping bad sample 4'):
        metrics = runner.test()
    assert metrics['toy/unique'] == 10  # the bad one left out, the others once

    cfg = toy_cfg(tmp_path / 'strict', **{'train_cfg.max_epochs': 1})
    cfg.train_dataloader.dataset = dict(type='SkipBadSamples', max_skipped=0,
                                        dataset=dict(cfg.train_dataloader.dataset, bad_index=3))
    with pytest.raises(DataError, match='more than max_skipped=0'):
        build_runner(cfg).train()
