from . import fusion, pooling, umt  # noqa: F401  (registration)
