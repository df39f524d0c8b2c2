"""SoccerNet's frame reading and V&D's audio reading (docs/parity.md §5-6), registered as the frame sampling
'soccernet' and the audio method 'vandd'.

Frames (``FrameSpec(sampling='soccernet')``), as sn-spotting's ``ConvertHQtoLQ`` (``-r 25``) then
``SoccerNet.DataLoader.FrameCV(transform='crop')`` give them: the video at 25 fps (ffmpeg ``fps=25``), the 1-based
frames ``i`` with ``i % (25 / fps) < 1`` (2 fps: 0-based 12, 24, 37, 49, ...; row t at ~0.5 t + 0.48 s), resized
to height 224 keeping the aspect ratio as ``imutils.resize`` does (width ``int(w * 224 / h)``, OpenCV
``INTER_AREA``: :func:`resize_area`; nothing to do on SoccerNet's 224p videos), then the columns from
``int((w - 224) / 2)``, 224 wide. Deviations: FrameCV decodes with OpenCV (BGR; the network's channel quirk is
the extractor's business) where this decodes with ffmpeg to RGB; its 224p input was re-encoded by H.264 (not
modelled); for an odd ``w - 224`` FrameCV keeps 225 columns (here 224), and on a 224-wide frame it keeps none.

Audio (``AudioSpec(method='vandd')``), as V&D's ``extract_features.py``: the stream as 16-bit PCM at its own rate
and channels (their ``ffmpeg -i x.mkv x.wav``), ``start`` seconds dropped, then per 0.5-s chunk of
``int(0.5 * sr)`` samples: / 32768, mean of the channels, resampled on its own to 16 kHz as resampy does
(:mod:`.resample`); a trailing partial chunk is dropped. Each chunk gives exactly ``0.5 * 16000`` samples (rates
whose chunk resamples to fewer are zero-padded: VGGish reads only the first 7,600).
"""
import struct
from functools import lru_cache
from typing import Iterator, Tuple

import numpy as np

from highlight_plugin.engine.errors import DataError
from highlight_plugin.media.audio import AUDIO_SILENCE, register_audio_method
from highlight_plugin.media.branches import MAX_CHUNK_BYTES, frame_bytes, read_branches, register_frame_filter
from highlight_plugin.media.pipe import _Pipe
from highlight_plugin.media.probe import ffmpeg_exe, probe
from .resample import resample_chunks

LQ_FPS = 25.0  # ConvertHQtoLQ's frame rate; FrameCV's rule is written for it
HEIGHT = 224  # imutils.resize(frame, height=224)
CHUNK_SECONDS = 0.5  # V&D's deltaTime = int(0.5 * sr)


def select_expression(fps: float) -> str:
    """ffmpeg ``select`` of FrameCV's frames: 1-based ``i`` with ``i % (25 / fps) < 1`` (``n`` is 0-based)."""
    return f'select=lt(mod(n+1\\,{LQ_FPS / float(fps)!r})\\,1)'


@lru_cache(maxsize=16)
def _area_taps(src: int, dst: int) -> Tuple[np.ndarray, np.ndarray]:
    """Source indices and float32 weights ``(dst, taps)`` of OpenCV's ``INTER_AREA`` shrinking along one axis
    (``computeResizeAreaTab``: the overlap of each destination cell with the source pixels)."""
    scale = 1.0 / (dst / src)
    rows = []
    for d in range(dst):
        f1 = d * scale
        f2 = f1 + scale
        cell = min(scale, src - f1)
        s1, s2 = int(np.ceil(f1)), int(np.floor(f2))
        s2 = min(s2, src - 1)
        s1 = min(s1, s2)
        taps = []
        if s1 - f1 > 1e-3:
            taps.append((s1 - 1, (s1 - f1) / cell))
        taps += [(s, 1.0 / cell) for s in range(s1, s2)]
        if f2 - s2 > 1e-3:
            taps.append((s2, min(min(f2 - s2, 1.0), cell) / cell))
        rows.append(taps)
    idx = np.zeros((dst, max(len(t) for t in rows)), np.int64)
    weight = np.zeros(idx.shape, np.float32)
    for d, taps in enumerate(rows):
        for k, (i, w) in enumerate(taps):
            idx[d, k], weight[d, k] = i, np.float32(w)
    return idx, weight


@lru_cache(maxsize=16)
def _linear_taps(src: int, dst: int) -> Tuple[np.ndarray, np.ndarray]:
    """Source indices ``(dst, 2)`` and 11-bit fixed-point weights of OpenCV's ``INTER_AREA`` when enlarging (its
    linear resize with area-mode coefficients)."""
    inv_scale = dst / src
    scale = 1.0 / inv_scale
    idx = np.zeros((dst, 2), np.int64)
    weight = np.zeros((dst, 2), np.int64)
    for d in range(dst):
        s = int(np.floor(d * scale))
        f = np.float32((d + 1) - (s + 1) * inv_scale)
        f = np.float32(0) if f <= 0 else np.float32(f - np.floor(f))
        if s >= src - 1:
            s, f = src - 1, np.float32(0)
        idx[d] = s, min(s + 1, src - 1)
        weight[d] = np.rint(np.float32(1 - f) * 2048), np.rint(f * np.float32(2048))
    return idx, weight


def _resize_axis(x: np.ndarray, axis: int, taps) -> np.ndarray:
    idx, weight = taps
    shape = [1] * x.ndim
    shape[axis] = len(idx)
    out = np.zeros(x.shape[:axis] + (len(idx),) + x.shape[axis + 1:], weight.dtype)
    for k in range(idx.shape[1]):
        out += np.take(x, idx[:, k], axis=axis) * weight[:, k].reshape(shape)
    return out


def resize_area(frames: np.ndarray, width: int, height: int) -> np.ndarray:
    """``cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)`` of ``(n, H, W, C)`` uint8 frames.
    Shrinking: pixel-area averages in float32 (columns, then rows), rounded half to even; enlarging: OpenCV's
    fixed-point linear weights, rounded half up. Equal to OpenCV's but for rare ties (+-1 level)."""
    h, w = frames.shape[1:3]
    if (h, w) == (height, width):
        return frames
    if w >= width and h >= height:
        x = _resize_axis(frames.astype(np.float32), 2, _area_taps(w, width))
        x = _resize_axis(x, 1, _area_taps(h, height))
        return np.clip(np.rint(x), 0, 255).astype(np.uint8)
    x = _resize_axis(frames.astype(np.int64), 2, _linear_taps(w, width))
    x = _resize_axis(x, 1, _linear_taps(h, height))
    return np.clip((x + (1 << 21)) >> 22, 0, 255).astype(np.uint8)


def framecv_geometry(width: int, height: int, size: int = HEIGHT) -> Tuple[int, int, int]:
    """``(resized width, resized height, crop offset)`` of a ``width`` x ``height`` frame in FrameCV's 'crop'."""
    w = int(width * (size / float(height)))
    if w < size:
        raise DataError(f'a {width}x{height} frame is {w} pixels wide at height {size}: SoccerNet\'s centre crop '
                        f'needs a landscape video')
    return w, size, int((w - size) / 2)


@register_frame_filter('soccernet')
def _soccernet_chain(spec, info):
    """FrameCV's frames (module doc) as a branch of the shared decode: ffmpeg picks them at full size, the post-step
    resizes (OpenCV's area rule, :func:`resize_area`) and crops them."""
    width, height = info.display_size
    if not info.has_video or not width or not height:
        raise DataError(f'{info.path}: no video stream with a known frame size')
    w, h, x0 = framecv_geometry(width, height, spec.size)

    def post(frames):
        return np.ascontiguousarray(resize_area(frames, w, h)[:, :, x0:x0 + spec.size])

    return f'fps={LQ_FPS!r},{select_expression(spec.fps)}', (height, width), post


def read_frames_soccernet(path, spec, chunk, threads, info) -> Iterator[np.ndarray]:
    """Frames of ``spec`` chosen and shaped as SoccerNet's (module doc), alone: chunks of ``(n, 224, 224, 3)`` uint8
    RGB (at most :data:`~.branches.MAX_CHUNK_BYTES` of full-size frames at once)."""
    info = info or probe(path)
    per_read = max(1, min(int(chunk), MAX_CHUNK_BYTES // max(frame_bytes(spec, info), 1)))
    return read_branches(path, [spec], [per_read], threads, info)[0]


def _wav_header(buf: bytes, path) -> Tuple[int, int, int]:
    """``(sample rate, channels, offset of the samples)`` of the WAV stream ffmpeg writes to a pipe."""
    if len(buf) < 12 or buf[:4] != b'RIFF' or buf[8:12] != b'WAVE':
        raise DataError(f'{path}: ffmpeg did not give a WAV stream')
    pos, rate, channels = 12, None, None
    while pos + 8 <= len(buf):
        chunk_id, size = buf[pos:pos + 4], struct.unpack('<I', buf[pos + 4:pos + 8])[0]
        if chunk_id == b'fmt ':
            channels, rate = struct.unpack('<HI', buf[pos + 10:pos + 16])
        elif chunk_id == b'data':
            if rate is None:
                break
            return rate, channels, pos + 8
        pos += 8 + size + (size & 1)
    raise DataError(f'{path}: no WAV header in ffmpeg\'s output')


@register_audio_method('vandd')
def read_audio_vandd(path, spec, stream, chunk_seconds, start=0.0) -> Iterator[np.ndarray]:
    """Mono float32 audio at ``spec.sample_rate``, made per 0.5-s chunk as V&D (module doc)."""
    cmd = [ffmpeg_exe(), '-hide_banner', '-nostdin', '-v', 'error', '-i', str(path),
           '-map', f'0:a:{stream.index}' if stream else '0:a:0', '-vn', '-c:a', 'pcm_s16le', '-f', 'wav', 'pipe:']
    out_len = int(round(CHUNK_SECONDS * spec.sample_rate))
    chunks_per_yield = max(1, int(round(chunk_seconds / CHUNK_SECONDS)))
    pending, rate = b'', None
    for buf in _Pipe(cmd, 1 << 20):  # the first read holds the header (1 MiB, or all of a shorter stream)
        pending += bytes(buf)
        if rate is None:
            rate, channels, offset = _wav_header(pending, path)
            pending = pending[offset:]
            delta = int(CHUNK_SECONDS * rate)  # samples per chunk
            skip = int(round(float(start) * rate)) * channels * 2  # V&D: wav_data[start * sr:]
            block = delta * channels * 2
        drop = min(skip, len(pending))
        pending, skip = pending[drop:], skip - drop
        n = len(pending) // block
        for i in range(0, n, chunks_per_yield):
            k = min(chunks_per_yield, n - i)
            pcm = np.frombuffer(pending[i * block:(i + k) * block], '<i2').reshape(k, delta, channels)
            mono = (pcm / 32768.0).mean(axis=2)
            out = resample_chunks(mono, rate, spec.sample_rate)
            if out.shape[1] != out_len:
                out = np.pad(out, ((0, 0), (0, max(0, out_len - out.shape[1]))))[:, :out_len]
            yield out.astype(np.float32).reshape(-1)
        pending = pending[n * block:]


def _vandd_silence(duration, spec):
    """V&D on a silent track: its whole 0.5-s chunks, each resampled to ``0.5 * spec.sample_rate`` samples."""
    return int(float(duration) // CHUNK_SECONDS) * int(round(CHUNK_SECONDS * spec.sample_rate))


AUDIO_SILENCE['vandd'] = _vandd_silence
