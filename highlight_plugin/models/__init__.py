"""The models: UMT (``umt``) and the SoccerNet window spotter with its pooling and fusion heads."""
from . import fusion, losses, pooling, spotter, umt  # noqa: F401  (registration)
