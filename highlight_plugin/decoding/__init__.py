from .saliency import SaliencySegmentDecoder  # noqa: F401
