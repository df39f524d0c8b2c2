"""Frame readings: frames sampled at clip centres, streamed from an ffmpeg pipe (or decord) in bounded chunks,
and the registry of named frame samplings (``FrameSpec.sampling``, :func:`frame_reader`).

ffmpeg applies the rotation metadata (autorotate), follows the real timestamps (variable frame rate) and resizes in
the decoder, which is much cheaper than resizing decoded full-size frames. :func:`read_frames_decord` is an
alternative reader on decord (random access by frame index) with the same output contract.
"""
from typing import Callable, Dict, Iterator, Optional, Tuple

import numpy as np

from highlight_plugin.engine.errors import ConfigError, DataError
from .pipe import _Pipe
from .probe import MediaInfo, ffmpeg_exe, probe


def read_frames(path: str, fps: float, size: int, chunk: int = 32, crop: bool = True,
                threads: int = 0) -> Iterator[np.ndarray]:
    """Yield RGB frames ``(n <= chunk, size, size, 3)`` uint8, sampled at ``fps``.

    Frame ``k`` is the frame on screen at time ``(k + 0.5) / fps``, i.e. the centre of
    the k-th interval of length ``1 / fps`` (for one frame per clip: the clip centre).
    Gaps of a variable-frame-rate video are filled by repeating the previous frame.
    Resizing keeps the aspect ratio (shorter side ``size``); ``crop`` takes the centre
    square, else the frame is squashed to ``size`` x ``size``.
    """
    vf = centre_filter(fps, size, crop)
    cmd = [ffmpeg_exe(), '-hide_banner', '-nostdin', '-v', 'error', '-threads', str(threads),
           '-i', str(path), '-map', '0:v:0', '-vf', vf, '-f', 'rawvideo', '-pix_fmt', 'rgb24',
           'pipe:']
    frame_bytes = size * size * 3
    for buf in _Pipe(cmd, frame_bytes * chunk):
        n = len(buf) // frame_bytes
        if n:
            yield np.frombuffer(buf[:n * frame_bytes], np.uint8).reshape(n, size, size, 3)


def centre_filter(fps: float, size: int, crop: bool = True) -> str:
    """The ffmpeg filter chain of :func:`read_frames` (one frame per clip centre, resized and cropped)."""
    fps = float(fps)
    shift = 0.5 / fps
    scale = (f'scale={size}:{size}:force_original_aspect_ratio=increase:flags=bicubic,'
             f'crop={size}:{size}' if crop else f'scale={size}:{size}:flags=bicubic')
    return f'setpts=PTS-STARTPTS-{shift!r}/TB,fps=fps={fps!r}:start_time=0:round=up,{scale}'


def scaled_size(width: int, height: int, size: int, crop: bool = True):
    """``(w, h)`` of a ``width`` x ``height`` frame resized as :func:`read_frames` does
    before its centre crop (ffmpeg's ``force_original_aspect_ratio=increase`` rounding)."""
    if not crop:
        return size, size
    rescale = lambda a, b, c: (a * b + c // 2) // c  # noqa: E731 - libavutil's av_rescale
    return max(size, rescale(size, width, height)), max(size, rescale(size, height, width))


def clip_centre_indices(starts: np.ndarray, end: float, fps: float,
                        time_base: Optional[int] = None) -> np.ndarray:
    """Index of the frame on screen at each time ``(k + 0.5) / fps`` before ``end``, as
    the filters of :func:`read_frames` choose it.

    ``starts`` are the sorted presentation times (s) of the frames, ``end`` the end of the
    last one. With the stream ``time_base`` (ticks per second) the rule is ffmpeg's: a
    frame starting less than one tick after a centre is already on screen (setpts
    truncates, fps rounds up); without it, only float noise (1 us) is tolerated.
    """
    t = np.asarray(starts, np.float64) - starts[0]
    n = max(0, int(np.ceil((end - starts[0]) * fps - 0.5 - 1e-9)))
    k = np.arange(n)
    if time_base:
        ticks = np.round(t * time_base)  # decord's float32 seconds back to integer ticks
        shift = 0.5 / fps * time_base
        bound = shift + np.floor(k * (time_base / fps) + 1e-7) + 1  # first tick off screen
        return np.searchsorted(ticks, bound, side='left') - 1
    return np.searchsorted(t, (k + 0.5) / fps + 1e-6, side='right') - 1


def _decord_pads_rows(width: int) -> bool:
    """decord 0.6.0 returns an RGB frame without copying when its row stride (width padded
    to 32 pixels, x 3 bytes) is a multiple of the width, and then takes the padding for
    extra channels: ``(h, w, 4)`` arrays from ``vr[i]`` and a failing ``get_batch``. Only
    widths <= 96 are affected (1, 2, 3, 4, 6, 8, 12, 16, 24, 48, 72)."""
    padded = -(-width // 32) * 32
    return padded != width and 3 * padded % width == 0


def read_frames_decord(path: str, fps: float, size: int, chunk: int = 32, crop: bool = True,
                       threads: int = 0, info: Optional[MediaInfo] = None) -> Iterator[np.ndarray]:
    """:func:`read_frames` on decord: the same frames (the one on screen at each clip
    centre, same count), the same geometry and chunks of ``(n <= chunk, size, size, 3)``
    uint8 RGB.

    decord indexes the whole file once at open time (packets, not pixels), then each
    chunk is one ``get_batch`` of its frame indices, resized by decord's scaler to the
    size ffmpeg's ``scale`` gives and centre-cropped here. decord rotates by 90/180/270
    degrees like ffmpeg. Differences: decord's scaler is bilinear where :func:`read_frames`
    uses bicubic (a few intensity levels apart), other rotation angles and mirrored
    display matrices are not applied like ffmpeg does (the former refused), and decoding
    runs in the caller's thread when a chunk is asked for (the ffmpeg reader decodes
    ahead in its own process). decord still decodes every frame between two requested
    ones, so it is about as fast as ffmpeg for sparse clip centres and slower for dense
    sampling.

    Raises:
        DataError: decord cannot open or decode the file, or its timestamps are unusable
            (the message names the file).
    """
    import decord
    info = info or probe(path)
    if not info.has_video:
        raise DataError(f'{path}: no video stream')
    if info.rotation % 90:
        raise DataError(f'{path}: display rotation {info.rotation} degrees is not supported by '
                        f'decord (use the ffmpeg backend)')
    width, height = scaled_size(*info.display_size, size, crop)
    x0, y0 = round((width - size) / 2), round((height - size) / 2)  # ffmpeg crop's lrint(): half to even
    try:
        reader = decord.VideoReader(str(path), width=width, height=height, num_threads=threads)
        times = reader.get_frame_timestamp(range(len(reader)))
    except (decord.DECORDError, RuntimeError) as e:
        raise DataError(f'{path}: decord cannot read this file ({_first_line(e)})') from e
    if not len(times) or not np.isfinite(times).all() or times.min() < -1e6:
        raise DataError(f'{path}: decord finds no usable frame timestamps (use the ffmpeg backend)')
    indices = clip_centre_indices(times[:, 0], float(times[-1, 1]), float(fps), info.ticks_per_second)
    for i in range(0, len(indices), chunk):
        batch = indices[i:i + chunk].tolist()
        try:
            if _decord_pads_rows(width):  # one frame at a time, padding dropped
                frames = np.stack([reader[j].asnumpy().reshape(height, -1)[:, :width * 3]
                                   .reshape(height, width, 3) for j in batch])
            else:
                frames = reader.get_batch(batch).asnumpy()
        except (decord.DECORDError, RuntimeError) as e:
            raise DataError(f'{path}: decord failed at frame {batch[0]} ({_first_line(e)})') from e
        yield np.ascontiguousarray(frames[:, y0:y0 + size, x0:x0 + size]) if crop else frames


def _first_line(error: Exception) -> str:
    lines = [ln.strip() for ln in str(error).splitlines() if ln.strip()]
    return lines[0] if lines else type(error).__name__


# Named frame samplings: how a recipe picks and shapes its frames (docs/parity.md). Each entry reads the frames of a
# FrameSpec as ``reader(path, spec, chunk, threads, info)`` -> chunks of (n, size, size, 3) uint8 RGB.
FRAME_SAMPLINGS: Dict[Tuple[str, str], Callable[..., Iterator[np.ndarray]]] = {}
BACKENDS = ('ffmpeg', 'decord')


def register_frame_sampling(sampling: str, backend: str = 'ffmpeg'):
    """Decorator: the reader of ``FrameSpec(sampling=sampling)`` frames on ``backend``."""
    def register(reader):
        FRAME_SAMPLINGS[(backend, sampling)] = reader
        return reader
    return register


@register_frame_sampling('centre', 'ffmpeg')
def _centre_ffmpeg(path, spec, chunk, threads, info):
    return read_frames(path, spec.fps, spec.size, chunk=chunk, crop=spec.crop, threads=threads)


@register_frame_sampling('centre', 'decord')
def _centre_decord(path, spec, chunk, threads, info):
    return read_frames_decord(path, spec.fps, spec.size, chunk=chunk, crop=spec.crop, threads=threads, info=info)


def frame_reader(backend: str, sampling: str = 'centre') -> Callable[..., Iterator[np.ndarray]]:
    """The reader of ``sampling`` frames on ``backend`` ('ffmpeg' or 'decord'), called as
    ``reader(path, spec, chunk, threads, info)``."""
    if backend not in BACKENDS:
        raise ConfigError(f'unknown frame reader {backend!r} (choose from {list(BACKENDS)})')
    if (backend, sampling) not in FRAME_SAMPLINGS:
        known = sorted(s for b, s in FRAME_SAMPLINGS if b == backend)
        raise ConfigError(f'frame sampling {sampling!r} is not available on the {backend} reader '
                          f'(it has: {", ".join(known)})')
    return FRAME_SAMPLINGS[(backend, sampling)]
