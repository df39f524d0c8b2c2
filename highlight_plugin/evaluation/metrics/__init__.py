from .hotstar import HotstarMetric
from .qvhighlights import QVHighlightsMetric
from .qvhighlights_submission import QVHighlightsSubmission
from .youtube_tvsum import TVSumMetric, YouTubeHighlightsMetric

__all__ = ['QVHighlightsMetric', 'QVHighlightsSubmission', 'YouTubeHighlightsMetric',
           'TVSumMetric', 'HotstarMetric']
