"""Analysis taps on the feature decode: what else a pass over the video can learn for free.

An analyzer sees the same decoded stream as the extractors (see :func:`~.pipeline.extract`): a branch of the one
video decode (its own :class:`~.base.FrameSpec`, e.g. the source's every frame squashed to 64x36 for shot changes) or
the very audio chunks an extractor reads. It keeps what it needs (a few numbers per frame, never the video) and
returns it from :meth:`finish`. With no extractor (features read from disk) the same analyzers run on a decode of
their streams alone.
"""
from typing import Sequence

import numpy as np

from highlight_plugin.media.specs import AudioSpec


class BaseAnalyzer:
    """The interface :func:`~.pipeline.extract` drives.

    ``prepare`` is called first, with the video's :class:`~.media.MediaInfo` and the specs the extractors read; it
    sets :attr:`spec`, the stream the analyzer consumes (an audio analyzer takes an extractor's :class:`AudioSpec`
    when there is one: it then costs no decode of its own). Then :meth:`push` gets the stream's chunks in order
    (``(n, h, w, 3)`` uint8 frames or ``(n,)`` float32 samples) and :meth:`finish` returns the result.
    """
    spec = None

    def prepare(self, info, specs: Sequence = ()) -> None:
        raise NotImplementedError

    def push(self, units: np.ndarray) -> None:
        raise NotImplementedError

    def finish(self):
        raise NotImplementedError

    @property
    def modality(self) -> str:
        return 'audio' if isinstance(self.spec, AudioSpec) else 'video'


def shared_audio_spec(specs: Sequence, default: AudioSpec) -> AudioSpec:
    """The first :class:`AudioSpec` of ``specs`` (an extractor's stream), else ``default``."""
    return next((s for s in specs if isinstance(s, AudioSpec)), default)


__all__ = ['BaseAnalyzer', 'shared_audio_spec']
