"""Metric math in plain numpy (no torch / mmengine), shared by the registered
metrics and the standalone tools."""
from . import qvhighlights  # noqa: F401
