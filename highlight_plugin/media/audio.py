"""Audio readings: mono float32 samples streamed from ffmpeg, the registry of named readings
(``AudioSpec.method``) and the silence read for a file without audio."""
from typing import Callable, Dict, Iterator, Optional

import numpy as np

from highlight_plugin.engine.errors import ConfigError
from .pipe import _Pipe
from .probe import AudioStream, ffmpeg_exe


def read_audio(path: str, sample_rate: int, stream: Optional[AudioStream] = None,
               chunk_seconds: float = 60.0, start: float = 0.0) -> Iterator[np.ndarray]:
    """Yield mono float32 samples in [-1, 1] at ``sample_rate``, in chunks of
    ``chunk_seconds``, from ``stream`` (default: ffmpeg's choice), skipping ``start`` s."""
    cmd = [ffmpeg_exe(), '-hide_banner', '-nostdin', '-v', 'error']
    if start:
        cmd += ['-ss', repr(float(start))]
    cmd += ['-i', str(path), '-map', f'0:a:{stream.index}' if stream else '0:a:0', '-vn',
            '-ac', '1', '-ar', str(sample_rate), '-f', 'f32le', 'pipe:']
    chunk = int(chunk_seconds * sample_rate) * 4
    for buf in _Pipe(cmd, chunk):
        yield np.frombuffer(buf[:len(buf) // 4 * 4], np.float32)


# Named audio readings (``AudioSpec.method``): ``reader(path, spec, stream, chunk_seconds, start)`` -> chunks of
# mono float32 samples at ``spec.sample_rate``.
AUDIO_METHODS: Dict[str, Callable[..., Iterator[np.ndarray]]] = {}


def register_audio_method(method: str):
    """Decorator: the reader of ``AudioSpec(method=method)`` audio."""
    def register(reader):
        AUDIO_METHODS[method] = reader
        return reader
    return register


@register_audio_method('ffmpeg')
def _ffmpeg_audio(path, spec, stream, chunk_seconds, start=0.0):
    return read_audio(path, spec.sample_rate, stream, chunk_seconds=chunk_seconds, start=start)


# How many samples each audio reading gives for ``duration`` seconds of silence (a video without an audio stream is
# read as the silence the reading would give on a silent track): ``count(duration, spec) -> samples``.
AUDIO_SILENCE: Dict[str, Callable[[float, object], int]] = {}


def silence_samples(method: str, duration: float, spec) -> int:
    """Samples of ``spec`` (an :class:`~.base.AudioSpec`) that reading ``duration`` s of a silent track gives; by
    default ``round(duration * sample_rate)`` (ffmpeg's ``-ar`` and librosa's resampling of a whole track)."""
    rule = AUDIO_SILENCE.get(method)
    return int(rule(duration, spec)) if rule else int(round(float(duration) * spec.sample_rate))


def read_silence(duration: float, spec, chunk_seconds: float = 60.0) -> Iterator[np.ndarray]:
    """Zeros in chunks, as many as :func:`silence_samples` says: the audio of a video that has none."""
    total = silence_samples(spec.method, duration, spec)
    chunk = max(1, int(chunk_seconds * spec.sample_rate))
    for i in range(0, total, chunk):
        yield np.zeros(min(chunk, total - i), np.float32)


def audio_reader(method: str = 'ffmpeg') -> Callable[..., Iterator[np.ndarray]]:
    if method not in AUDIO_METHODS:
        raise ConfigError(f'unknown audio reading {method!r} (choose from {", ".join(sorted(AUDIO_METHODS))})')
    return AUDIO_METHODS[method]
