"""What ``tools/train.py`` and ``tools/test.py`` do, as a Python API.

Both follow mmaction2 1.x's tools (same flags, work dir CLI > config >
``./work_dirs/<config name>``) and build :class:`HighlightRunner` unless the
config names another ``runner_type``.
"""
import os
import os.path as osp
import time
from dataclasses import dataclass, replace
from typing import Optional

import torch
from mmaction.registry import METRICS, RUNNERS
from mmengine.config import Config, DictAction

from .checkpoint import existing_checkpoint
from .config import check_cfg_options, check_data_roots, default_work_dir
from .device import local_rank as launcher_local_rank
from .errors import CheckpointError, ConfigError

#: ``tools/test.py --dump PATH``: how the path's suffix picks the dumping metric.
#: Each row: (suffixes, metric type, argument receiving the path, dataset types it needs
#: (a substring of the test dataset type; None: any), what it writes).
#: '' matches a path without suffix (a directory).
DUMPERS = (
    (('.pkl', '.pickle'), 'DumpResults', 'out_file_path', None, 'raw predictions (pickle)'),
    (('.jsonl',), 'QVHighlightsSubmission', 'out_file', None, 'a QVHighlights submission'),
    (('',), 'SoccerNetSpottingDumper', 'out_dir', 'SoccerNet',
     'SoccerNet results_spotting.json per game'),
)


def load_config(config: str, cfg_options: Optional[dict] = None) -> Config:
    """Read ``config`` and merge ``cfg_options`` after checking every key exists."""
    if not osp.isfile(config):
        raise ConfigError(f'config file not found: {config}')
    cfg = Config.fromfile(config)
    if cfg_options:
        check_cfg_options(cfg, cfg_options)
        cfg.merge_from_dict(cfg_options)
    return cfg


def _set_work_dir(cfg: Config, config: str, work_dir: Optional[str]) -> None:
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = default_work_dir(config)


#: ``--amp`` values -> the autocast dtype (True / 'auto': fp16 on a GPU, bf16 on the CPU)
AMP_DTYPES = dict(fp16='float16', bf16='bfloat16')


def _set_launcher(cfg: Config, launcher: str, local_rank: int = 0) -> None:
    """``LOCAL_RANK`` (DDP's device) from the launcher's own variable (MPI and Slurm set none), else the
    ``--local_rank`` of torch.distributed.launch."""
    cfg.launcher = launcher
    found = launcher_local_rank(launcher) if launcher != 'none' else None
    os.environ.setdefault('LOCAL_RANK', str(found[0] if found else local_rank))


def _set_amp(cfg: Config, amp) -> None:
    """``--amp [fp16|bf16]``: :class:`~.amp.HighlightAmpOptimWrapper` (mmengine's AmpOptimWrapper, on the CPU in
    bf16)."""
    wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if wrapper not in ('OptimWrapper', 'AmpOptimWrapper', 'HighlightAmpOptimWrapper'):
        raise ConfigError(f'--amp works with OptimWrapper only, the config uses {wrapper}')
    cfg.optim_wrapper.type = 'HighlightAmpOptimWrapper'
    cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if amp in AMP_DTYPES:
        cfg.optim_wrapper.dtype = AMP_DTYPES[amp]
    dtype = cfg.optim_wrapper.get('dtype')
    if not torch.cuda.is_available():
        if dtype not in (None, 'bfloat16'):
            name = {v: k for k, v in AMP_DTYPES.items()}.get(dtype, dtype)
            raise ConfigError(f'--amp {name} needs a GPU; on the CPU mixed precision runs in bf16 (--amp or '
                              f'--amp bf16)')
        cfg.optim_wrapper.dtype = 'bfloat16'
    elif dtype == 'bfloat16' and not torch.cuda.is_bf16_supported():
        raise ConfigError('--amp bf16: this GPU has no bfloat16; use --amp fp16')


def build_runner(cfg: Config):
    """The config's ``runner_type`` (default :class:`HighlightRunner`) built from ``cfg``."""
    runner_cls = RUNNERS.get(cfg.get('runner_type', 'HighlightRunner'))
    if runner_cls is None:
        raise ConfigError(f"runner_type {cfg.runner_type!r} is not a registered runner")
    return runner_cls.from_cfg(cfg)


@dataclass
class TrainingOptions:
    """``tools/train.py``'s options (its flags of the same names)."""
    work_dir: Optional[str] = None
    resume: Optional[str] = None  # 'auto': the newest complete checkpoint of the work dir
    amp: object = False  # True or 'fp16' / 'bf16'
    no_validate: bool = False
    auto_scale_lr: bool = False
    seed: Optional[int] = None
    diff_rank_seed: bool = False
    deterministic: bool = False
    cfg_options: Optional[dict] = None
    launcher: str = 'none'
    local_rank: int = 0


def make_train_config(config: str, options: Optional[TrainingOptions] = None, **fields) -> Config:
    """The training config after applying ``tools/train.py``'s options (``options``, or its fields)."""
    o = replace(options or TrainingOptions(), **fields)
    cfg = load_config(config, o.cfg_options)
    if o.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    _set_launcher(cfg, o.launcher, o.local_rank)
    _set_work_dir(cfg, config, o.work_dir)
    if o.amp:
        _set_amp(cfg, o.amp)
    if o.resume is not None:  # 'auto': newest complete checkpoint of work_dir
        cfg.resume = True
        if o.resume != 'auto' and '://' not in o.resume and not osp.isfile(o.resume):
            raise CheckpointError(f'checkpoint not found: {o.resume}')
        cfg.load_from = None if o.resume == 'auto' else o.resume
    elif cfg.get('load_from'):  # a file, or a zoo name (fetched once; every rank waits for the one download)
        cfg.load_from = existing_checkpoint(cfg.load_from)
    if o.auto_scale_lr:
        if not isinstance(cfg.get('auto_scale_lr'), dict):
            raise ConfigError('--auto-scale-lr needs auto_scale_lr=dict(base_batch_size=...) '
                              'in the config')
        cfg.auto_scale_lr.enable = True
    randomness = dict(cfg.get('randomness') or {})
    randomness.setdefault('seed', None)  # None: mmengine draws one (and logs it), as the original UMT does
    if o.seed is not None:
        randomness['seed'] = o.seed
    if o.diff_rank_seed:
        randomness['diff_rank_seed'] = True
    if o.deterministic:
        randomness['deterministic'] = True
    cfg.randomness = randomness
    check_data_roots(cfg, ['train_dataloader', 'val_dataloader'])
    return cfg


def model_config(config: str, checkpoint: Optional[str] = None):
    """``(config file, checkpoint)`` for ``tools/test.py CONFIG [CHECKPOINT]``: CONFIG may be a zoo model name
    (its config; its checkpoint unless one is given); CHECKPOINT a file or a zoo name."""
    if not osp.isfile(config) and not str(config).endswith('.py'):
        from highlight_plugin.weights.zoo import get_model
        model = get_model(config)
        return model.config, checkpoint or model.name
    if checkpoint is None:
        raise ConfigError(f'{config}: a config needs a CHECKPOINT (a file or a zoo name), or give a model name')
    return config, checkpoint


@dataclass
class EvaluationOptions:
    """``tools/test.py``'s options (its flags of the same names)."""
    work_dir: Optional[str] = None
    dump: Optional[str] = None
    show_dir: Optional[str] = None
    show: bool = False
    interval: int = 1
    wait_time: float = 2.0
    cfg_options: Optional[dict] = None
    launcher: str = 'none'
    local_rank: int = 0


def make_test_config(config: str, checkpoint: Optional[str] = None, options: Optional[EvaluationOptions] = None,
                     **fields) -> Config:
    """The test config after applying ``tools/test.py``'s options (``config`` may be a zoo model name)."""
    o = replace(options or EvaluationOptions(), **fields)
    config, checkpoint = model_config(config, checkpoint)
    cfg = load_config(config, o.cfg_options)
    _set_launcher(cfg, o.launcher, o.local_rank)
    _set_work_dir(cfg, config, o.work_dir)
    if o.show or o.show_dir is not None:
        vis = cfg.get('default_hooks', {}).get('visualization')
        if vis is None:
            raise ConfigError('--show/--show-dir need default_hooks.visualization '
                              '(a VisualizationHook) in the config')
        vis.update(enable=True, show=o.show, out_dir=o.show_dir, interval=o.interval, wait_time=o.wait_time)
    if o.dump is not None:
        evaluators = cfg.test_evaluator
        evaluators = list(evaluators) if isinstance(evaluators, (list, tuple)) else [evaluators]
        cfg.test_evaluator = evaluators + [dump_metric(o.dump, cfg)]
    cfg.load_from = existing_checkpoint(checkpoint)
    check_data_roots(cfg, ['test_dataloader'])
    return cfg


def dump_metric(path: str, cfg: Optional[Config] = None) -> dict:
    """The metric config that ``--dump path`` appends (see :data:`DUMPERS`)."""
    suffix = osp.splitext(path)[1].lower()
    dataset = str(cfg.test_dataloader.get('dataset', {}).get('type', '')) if cfg else ''
    for suffixes, metric, arg, needs, what in DUMPERS:
        if suffix not in suffixes:
            continue
        if needs and cfg is not None and needs not in dataset:
            raise ConfigError(f'--dump {path}: writes {what}, which needs a {needs} config '
                              f'(this one tests {dataset or "an unknown dataset"})')
        if METRICS.get(metric) is None:
            raise ConfigError(f'--dump {path}: the {metric} metric is not available')
        return {'type': metric, arg: path}
    known = ', '.join(f"{'/'.join(s) or 'DIR'} ({what})" for s, *_, what in DUMPERS)
    raise ConfigError(f'--dump {path}: unknown format {suffix!r}; use one of {known}')


def add_launch_args(parser):
    """The flags ``tools/train.py`` and ``tools/test.py`` share: config overrides, launcher."""
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, key=value (keys must exist)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser


def close_dist() -> None:
    """Wait for every rank, let gloo's worker threads release their finished collectives, then close the process
    group. A worker thread still releasing a collective's tensors (it needs the GIL) while Python shuts down aborts
    the process (``terminate called without an active exception``) after a successful run: ~5 % of 2-process runs
    on 2 cores before this."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.barrier()
        time.sleep(0.2)  # the GIL is free meanwhile: the workers' pending releases complete
        torch.distributed.destroy_process_group()


def run_train(config: str, **options):
    """``tools/train.py``: build the runner and train; returns the runner."""
    runner = build_runner(make_train_config(config, **options))
    runner.train()
    close_dist()
    return runner


def run_test(config: str, checkpoint: Optional[str] = None, **options) -> dict:
    """``tools/test.py``: evaluate ``checkpoint`` (a file or zoo name; ``config`` may be a model name, then its
    checkpoint is the default); returns the metrics."""
    runner = build_runner(make_test_config(config, checkpoint, **options))
    metrics = runner.test()
    close_dist()
    return metrics
