"""Metrics: the plain-numpy math of the official evaluators (``functional``) and the registered mmengine metrics."""
from . import metrics  # noqa: F401  (registration)
