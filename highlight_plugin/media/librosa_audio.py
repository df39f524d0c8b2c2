"""The audio reading of the PANNs reference extractors: ``librosa.load(path, sr=32000, mono=True)``.

UMT's QVHighlights script (TencentARC/UMT#22 ``get_features``) and the Hotstar fork's
``audio/extract_audio_feature.py`` load a video's audio with librosa. For a video container
librosa goes through audioread's ffmpeg backend, which decodes to **16-bit PCM** at the
stream's own rate and channel count; librosa then takes the **mean of all channels** (5.1
included: the LFE counts as one sixth) and resamples with soxr's ``HQ`` recipe (librosa >=
0.10; 0.9 used resampy's ``kaiser_best``, which this does not reproduce: see the README). The
result is padded or trimmed to ``ceil(n * sr_out / sr_in)`` samples.

This streams the same steps: one ffmpeg pipe of s16le, the channel mean, soxr's streaming
resampler (which gives the one-shot output exactly).
"""
import math
from typing import Iterator, Optional

import numpy as np

from highlight_plugin.engine.errors import DataError
from highlight_plugin.media.audio import register_audio_method
from highlight_plugin.media.pipe import _Pipe
from highlight_plugin.media.probe import AudioStream, ffmpeg_exe, probe, select_audio_stream

SOXR_QUALITY = 'soxr_hq'  # librosa >= 0.10's default res_type


def read_audio_librosa(path: str, sample_rate: int, stream: Optional[AudioStream] = None,
                       chunk_seconds: float = 60.0, start: float = 0.0) -> Iterator[np.ndarray]:
    """Yield mono float32 chunks at ``sample_rate`` as ``librosa.load(path, sr=sample_rate)`` computes them
    (see the module doc) from ``stream`` (default: the first audio stream).

    Raises:
        DataError: no audio stream, or its rate / channel count is not reported by ffmpeg.
    """
    import soxr
    if stream is None or not stream.channels or not stream.sample_rate:
        info = probe(path)
        picked = select_audio_stream(info) if stream is None else next(
            (s for s in info.audio if s.index == stream.index), None)
        if picked is None:
            raise DataError(f'{path}: no audio stream')
        stream = picked
    if not stream.channels or not stream.sample_rate:
        raise DataError(f'{path}: ffmpeg does not report the channel count and sample rate of audio stream '
                        f'{stream.index} (needed to read it as librosa does)')
    channels, rate = stream.channels, stream.sample_rate
    cmd = [ffmpeg_exe(), '-hide_banner', '-nostdin', '-v', 'error']
    if start:
        cmd += ['-ss', repr(float(start))]
    cmd += ['-i', str(path), '-map', f'0:a:{stream.index}', '-vn', '-f', 's16le', '-acodec', 'pcm_s16le', 'pipe:']
    frame_bytes = 2 * channels
    resampler = None if rate == sample_rate else soxr.ResampleStream(rate, sample_rate, 1, dtype='float32',
                                                                     quality=SOXR_QUALITY)
    n_in = n_out = 0
    rest = b''
    for buf in _Pipe(cmd, max(1, int(chunk_seconds * rate)) * frame_bytes):
        buf = rest + bytes(buf)
        usable = len(buf) // frame_bytes * frame_bytes
        rest = buf[usable:]
        if not usable:
            continue
        # librosa: buf_to_float (int16 / 32768 as float32), reshape to (channels, n), mean over channels
        x = np.frombuffer(buf[:usable], '<i2').astype(np.float32) * np.float32(1.0 / 32768)
        mono = x.reshape(-1, channels).T.mean(axis=0) if channels > 1 else x
        n_in += len(mono)
        out = mono if resampler is None else resampler.resample_chunk(mono, last=False)
        n_out += len(out)
        if len(out):
            yield out
    if resampler is not None:
        tail = resampler.resample_chunk(np.zeros(0, np.float32), last=True)
        want = int(math.ceil(n_in * sample_rate / rate))  # librosa.resample(fix=True)
        tail = tail[:max(0, want - n_out)]
        pad = want - n_out - len(tail)
        if pad > 0:
            tail = np.concatenate([tail, np.zeros(pad, np.float32)])
        if len(tail):
            yield tail


@register_audio_method('librosa')
def _librosa_method(path, spec, stream, chunk_seconds, start=0.0):
    return read_audio_librosa(path, spec.sample_rate, stream, chunk_seconds=chunk_seconds, start=start)
