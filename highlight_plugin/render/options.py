"""How a reel is written (:class:`RenderOptions`): clips or not, their shape, loudness and encoder preset."""
from dataclasses import dataclass, field, fields
from typing import Optional, Union

from ..engine.errors import ConfigError
from .cut import VERTICAL_MODES, LoudnessTarget

DEFAULT_PRESET = 'superfast'  # x264's (benchmarks/reel_speed.py: 15 % faster than veryfast, the same size)


@dataclass
class RenderOptions:
    """The options of :func:`~highlight_plugin.render.write_highlights`.

    Attributes:
        cut: cut the clips (else only the JSON, plot, exports and report page).
        reel: join the clips into ``reel.mp4``.
        vertical: None (the source's shape), or 9:16 by 'crop', 'blur' or 'follow' (a window following the action:
            the follow profile of the source's analysis; a centre crop without one).
        vertical_size: the height of 9:16 clips: 'source' (the source's height, never upscaled) or pixels.
        loudness: the EBU R128 target of every clip and the reel (None: the source's level).
        preset: x264's preset.
        posters: a poster (the clip's best moment) beside each clip.
    """
    cut: bool = True
    reel: bool = True
    vertical: Optional[str] = None
    vertical_size: Union[str, int] = 'source'
    loudness: Optional[LoudnessTarget] = field(default_factory=LoudnessTarget)
    preset: str = DEFAULT_PRESET
    posters: bool = True

    def __post_init__(self):
        if self.vertical is not None and self.vertical not in VERTICAL_MODES:
            raise ConfigError(f'vertical: {self.vertical!r} is not one of {", ".join(VERTICAL_MODES)}')
        if isinstance(self.loudness, dict):
            self.loudness = LoudnessTarget(**self.loudness)

    @classmethod
    def from_kwargs(cls, options: dict) -> 'RenderOptions':
        """The options named in ``options`` (a ConfigError names an unknown one)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ConfigError(f'unknown reel option(s) {", ".join(unknown)} (known: {", ".join(sorted(known))})')
        return cls(**options)
