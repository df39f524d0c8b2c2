"""Metric math in plain numpy (no torch / mmengine), shared by the registered
metrics and the standalone tools."""
from . import hotstar, qvhighlights, youtube_tvsum  # noqa: F401
