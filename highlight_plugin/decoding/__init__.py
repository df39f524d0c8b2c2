from .saliency import SaliencySegmentDecoder  # noqa: F401
from .soccer import SoccerHighlightDecoder  # noqa: F401
