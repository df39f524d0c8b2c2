"""The registered mmengine metrics (QVHighlights, YouTube Highlights, TVSum, Hotstar, SoccerNet)."""
from .hotstar import HotstarMetric
from .qvhighlights import QVHighlightsMetric
from .qvhighlights_submission import QVHighlightsSubmission
from .youtube_tvsum import TVSumMetric, YouTubeHighlightsMetric

__all__ = ['QVHighlightsMetric', 'QVHighlightsSubmission', 'YouTubeHighlightsMetric',
           'TVSumMetric', 'HotstarMetric']
from . import soccernet  # noqa: F401,E402  (registration: SoccerNet spotting metric, dumper, window AP)
