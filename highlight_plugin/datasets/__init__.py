from .collate import highlight_collate
from .demo import make_hotstar_demo
from .hotstar import HotstarHighlightDataset
from .qvhighlights import QVHighlightsDataset
from .soccernet import SoccerNetWindowDataset
from .transforms import LoadHighlightFeatures, PackHighlightInputs

__all__ = ['highlight_collate', 'make_hotstar_demo', 'HotstarHighlightDataset', 'QVHighlightsDataset', 'SoccerNetWindowDataset',
           'LoadHighlightFeatures', 'PackHighlightInputs']
from .tvsum import TVSumDataset  # noqa: E402
from .youtube import YouTubeHighlightsDataset  # noqa: E402
