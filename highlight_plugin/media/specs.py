"""The streams a reader delivers: frames (:class:`FrameSpec`) or mono audio (:class:`AudioSpec`)."""
from dataclasses import dataclass


@dataclass(frozen=True)
class FrameSpec:
    """RGB frames sampled at ``fps``, resized to ``size`` (shorter side) and centre-cropped
    to a square when ``crop``. ``sampling`` names the rule that picks and shapes the frames
    (``media.FRAME_SAMPLINGS``); 'centre' takes the frame on screen at the centre of each
    1/fps interval."""
    fps: float
    size: int
    crop: bool = True
    sampling: str = 'centre'


@dataclass(frozen=True)
class AudioSpec:
    """Mono float32 audio at ``sample_rate``; ``method`` names how it is decoded, mixed down
    and resampled (``media.AUDIO_METHODS``; 'ffmpeg': one ffmpeg pass, ``-ac 1 -ar``)."""
    sample_rate: int
    method: str = 'ffmpeg'
