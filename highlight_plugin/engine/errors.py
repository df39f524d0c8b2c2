"""User-facing errors.

Everything a user can get wrong (a file, a line, an id, a config key) raises a
subclass of :class:`HighlightError` whose message names the culprit. The command-line
tools catch this one type and print a single line instead of a traceback.
"""


class HighlightError(Exception):
    """Base class of the errors a user can fix (bad input, bad config, bad checkpoint)."""


class DataError(HighlightError, ValueError):
    """A data or annotation file is missing, malformed or inconsistent."""


class ConfigError(HighlightError, ValueError):
    """A config value or command-line option is wrong."""


class CheckpointError(HighlightError, RuntimeError):
    """A checkpoint is unsafe, corrupt, or does not match the model."""


class DeviceError(HighlightError, RuntimeError):
    """The GPU failed in a way that stops a batch: a CUDA error that leaves the process's context unusable, or out
    of GPU memory (see :func:`~highlight_plugin.engine.device.device_failure`)."""
