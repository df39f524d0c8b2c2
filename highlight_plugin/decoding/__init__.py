from .pauses import LoudnessEnvelope, envelope_of  # noqa: F401
from .saliency import SaliencySegmentDecoder  # noqa: F401
from .shots import ShotDetector, Transition, detect_shots  # noqa: F401
from .snapping import EdgeSnapper, snap_segments  # noqa: F401
from .soccer import SoccerHighlightDecoder  # noqa: F401
