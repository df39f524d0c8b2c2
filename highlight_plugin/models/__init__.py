from . import fusion, losses, pooling, spotter, umt  # noqa: F401  (registration)
