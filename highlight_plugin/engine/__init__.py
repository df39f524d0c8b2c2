"""What the runner needs beyond mmengine: user errors, safe checkpoints, exact resume, CPU DDP.

Importing this package registers ``HighlightRunner``, ``SafeCheckpointHook`` and
``RandomStateHook``, ``SkipBadSamples``, ``SkippedSamplesHook`` and ``HighlightAmpOptimWrapper`` in mmaction2's
registries.
"""
from .amp import HighlightAmpOptimWrapper
from .checkpoint import load_checkpoint, read_checkpoint, save_checkpoint
from .checkpoint_hook import SafeCheckpointHook
from .cli import run_cli
from .errors import CheckpointError, ConfigError, DataError, DeviceError, HighlightError
from .hooks import RandomStateHook
from .runner import HighlightRunner
from .skip_bad_samples import SkipBadSamples, SkippedSamplesHook

__all__ = [
    'HighlightError', 'DataError', 'ConfigError', 'CheckpointError', 'DeviceError', 'HighlightRunner',
    'SafeCheckpointHook', 'RandomStateHook', 'load_checkpoint', 'read_checkpoint',
    'save_checkpoint', 'run_cli', 'SkipBadSamples', 'SkippedSamplesHook', 'HighlightAmpOptimWrapper'
]
