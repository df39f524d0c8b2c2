"""UMT (Unified Multi-modal Transformer, Liu et al., CVPR 2022) ported to mmengine."""
from .bottleneck import UMTBottleneckFusion
from .encoders import UMTUniModalEncoder
from .heads import UMTBoundaryHead, UMTSaliencyHead
from .query import UMTQueryDecoder, UMTQueryGenerator
from .umt import HighlightUMT

__all__ = [
    'HighlightUMT', 'UMTUniModalEncoder', 'UMTBottleneckFusion', 'UMTQueryGenerator',
    'UMTQueryDecoder', 'UMTSaliencyHead', 'UMTBoundaryHead'
]
