"""The Python surface: :class:`HighlightPredictor` (a model built once, called on videos), its
:class:`HighlightResult` (saved beside every reel), and the model-level :func:`init_model` and
:func:`predict_saliency`."""
from .inference import init_model, predict_saliency
from .predictor import HighlightPredictor, PredictOptions, read_ahead
from .result import HighlightResult

__all__ = ['HighlightPredictor', 'PredictOptions', 'HighlightResult', 'read_ahead', 'init_model', 'predict_saliency']
