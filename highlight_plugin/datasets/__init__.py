"""The datasets (QVHighlights, Hotstar, YouTube Highlights, TVSum, SoccerNet windows), their transforms and collate,
registered in mmaction2's registries."""
from .collate import highlight_collate
from .demo import make_hotstar_demo
from .hotstar import HotstarHighlightDataset
from .qvhighlights import QVHighlightsDataset
from .soccernet import SoccerNetWindowDataset
from .soccernet_transforms import PackSoccerInputs
from .transforms import LoadHighlightFeatures, PackHighlightInputs
from .tvsum import TVSumDataset
from .youtube import YouTubeHighlightsDataset

__all__ = [
    'highlight_collate', 'make_hotstar_demo', 'HotstarHighlightDataset', 'QVHighlightsDataset',
    'SoccerNetWindowDataset', 'TVSumDataset', 'YouTubeHighlightsDataset', 'LoadHighlightFeatures',
    'PackHighlightInputs', 'PackSoccerInputs'
]
