from .errors import CheckpointError, ConfigError, DataError, HighlightError

__all__ = ['HighlightError', 'DataError', 'ConfigError', 'CheckpointError']
