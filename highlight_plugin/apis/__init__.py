from .highlights import HighlightResult, make_highlights
from .inference import init_model, predict_saliency

__all__ = ['init_model', 'predict_saliency', 'make_highlights', 'HighlightResult']
