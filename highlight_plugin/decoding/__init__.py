"""Scores -> segments: the registered segment decoders of each domain (``inference_cfg.decoder``)."""
from .saliency import SaliencySegmentDecoder
from .soccer import SoccerHighlightDecoder

__all__ = ['SaliencySegmentDecoder', 'SoccerHighlightDecoder']
