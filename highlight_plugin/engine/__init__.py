"""What the runner needs beyond mmengine: user errors, safe checkpoints, exact resume, CPU DDP.

Importing this package registers ``HighlightRunner``, ``SafeCheckpointHook`` and
``RandomStateHook``, ``SkipBadSamples`` and ``SkippedSamplesHook`` in mmaction2's registries.
"""
from .checkpoint import load_checkpoint, read_checkpoint, save_checkpoint
from .checkpoint_hook import SafeCheckpointHook
from .cli import run_cli
from .errors import CheckpointError, ConfigError, DataError, HighlightError
from .hooks import RandomStateHook
from .runner import HighlightRunner
from .skip_bad_samples import SkipBadSamples, SkippedSamplesHook

__all__ = [
    'HighlightError', 'DataError', 'ConfigError', 'CheckpointError', 'HighlightRunner',
    'SafeCheckpointHook', 'RandomStateHook', 'load_checkpoint', 'read_checkpoint',
    'save_checkpoint', 'run_cli', 'SkipBadSamples', 'SkippedSamplesHook'
]
