"""One ffmpeg run over a video feeding several frame outputs (its branches).

A frame sampling that can be written as an ffmpeg filter chain registers it with
:func:`register_frame_filter`. :func:`read_branches` then decodes the first video stream
once, ``split``\\ s it into one branch per :class:`FrameSpec` (each its own chain: frame
picking, resize, crop) and streams every branch to its own pipe as rgb24 frames::

    outputs = read_branches(path, [FrameSpec(0.5, 224, sampling='hero'),
                                   FrameSpec(30, 224, sampling='hero_dense')], chunks=[16, 960])
    for chunk in outputs[0]: ...   # (n <= 16, 224, 224, 3) uint8

Each branch is read by its own thread into a bounded queue, so one consumer can take the
outputs in turn, chunk by chunk of the same media duration (as the feature pipeline does)
without deadlock: ffmpeg runs at most a few chunks ahead of the slowest reader. A branch
gives exactly the frames a separate ffmpeg run of its chain would give (same codec, same
timestamps, same filters).

A chain may come with a numpy post-step applied to each chunk of its branch (SoccerNet's OpenCV area resize,
which no ffmpeg scaler reproduces): the chain function then returns ``(filters, (height, width), post)``.

The 'tiny' sampling is the reel analysis' stream (shot changes, the 9:16 follow profile): every frame at the
source's rate, squashed to ``size`` x ``size * 9 / 16`` pixels by area averaging (a point-sampling scaler such as
``fast_bilinear`` misses cuts between similar pictures).
"""
import os
import queue
import subprocess
import threading
from fractions import Fraction
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from highlight_plugin.engine.errors import ConfigError, DataError
from highlight_plugin.media.frames import FRAME_SAMPLINGS, centre_filter, register_frame_sampling
from highlight_plugin.media.probe import MediaInfo, ffmpeg_exe, probe

# sampling name -> chain(spec, info) -> (ffmpeg filter chain, (height, width) of its frames[, post-step])
FRAME_FILTERS: Dict[str, Callable[..., tuple]] = {}
MAX_CHUNK_BYTES = 64 << 20  # decoded frames of one branch held per chunk (a full-size branch gets shorter chunks)


def register_frame_filter(sampling: str):
    """Decorator: the ffmpeg filter chain of ``FrameSpec(sampling=sampling)`` frames, as
    ``chain(spec, info) -> (filters, (height, width)[, post])`` (``post``: a numpy step applied to each chunk of
    ``(n, height, width, 3)`` frames, returning the spec's frames). The sampling also gets an ffmpeg
    reader (one output of :func:`read_branches`) unless one is registered already."""
    def register(chain):
        FRAME_FILTERS[sampling] = chain
        if ('ffmpeg', sampling) not in FRAME_SAMPLINGS:
            register_frame_sampling(sampling, 'ffmpeg')(
                lambda path, spec, chunk, threads, info: read_branches(path, [spec], [chunk], threads, info)[0])
        return chain
    return register


def frame_filter(spec, info: MediaInfo) -> Tuple[str, Tuple[int, int], Optional[Callable]]:
    """``(filters, (height, width) of the decoded frames, post-step or None)`` of ``spec``."""
    if spec.sampling not in FRAME_FILTERS:
        raise ConfigError(f'frame sampling {spec.sampling!r} has no ffmpeg filter chain '
                          f'(known: {", ".join(sorted(FRAME_FILTERS))})')
    chain = FRAME_FILTERS[spec.sampling](spec, info)
    return (chain[0], chain[1], chain[2] if len(chain) > 2 else None)


def frame_bytes(spec, info: MediaInfo) -> int:
    """Bytes of one decoded frame of ``spec``'s branch (before its post-step)."""
    height, width = frame_filter(spec, info)[1]
    return int(height) * int(width) * 3


class _Output:
    """One branch: a pipe read by a thread into a bounded queue of frame chunks."""

    def __init__(self, fd: int, shape: Tuple[int, int], chunk: int, prefetch: int = 2):
        self.file = open(fd, 'rb', buffering=0)
        self.shape = (int(shape[0]), int(shape[1]), 3)
        self.frame_bytes = int(np.prod(self.shape))
        self.chunk_bytes = self.frame_bytes * max(1, int(chunk))
        self.queue: 'queue.Queue' = queue.Queue(maxsize=prefetch)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            while True:
                buf = bytearray(self.chunk_bytes)
                view, got = memoryview(buf), 0
                while got < self.chunk_bytes:
                    n = self.file.readinto(view[got:])
                    if not n:
                        break
                    got += n
                if got:
                    self.queue.put(buf[:got] if got < self.chunk_bytes else buf)
                if got < self.chunk_bytes:
                    break
        except (OSError, ValueError):  # closed while reading
            pass
        finally:
            self.queue.put(None)

    def close(self):
        while self.thread.is_alive():  # unblock a put on a full queue
            try:
                self.queue.get_nowait()
            except queue.Empty:
                self.thread.join(timeout=0.05)
        self.file.close()


class FrameBranches:
    """An ffmpeg process decoding ``path`` once into one rgb24 pipe per filter chain.

    Use :func:`read_branches`; :meth:`close` (also called when every output has been read to
    its end or one raised) stops ffmpeg.
    """

    def __init__(self, path: str, chains: Sequence[tuple], chunks: Sequence[int], threads: int = 0):
        n = len(chains)
        graph = [f'[0:v:0]split={n}' + ''.join(f'[s{i}]' for i in range(n))] if n > 1 else []
        for i, (chain, *_) in enumerate(chains):
            graph.append(f'[{"s%d" % i if n > 1 else "0:v:0"}]{chain}[o{i}]')
        pipes = [os.pipe() for _ in range(n)]
        cmd = [ffmpeg_exe(), '-hide_banner', '-nostdin', '-v', 'error', '-threads', str(threads), '-i', str(path),
               '-filter_complex', ';'.join(graph)]
        for i, (_, w) in enumerate(pipes):
            # passthrough: every frame the chain gives, as it gives it (a 'select' leaves gaps a CFR output would fill)
            cmd += ['-map', f'[o{i}]', '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', f'pipe:{w}']
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.PIPE, pass_fds=[w for _, w in pipes])
        finally:
            for _, w in pipes:
                os.close(w)
        self.path = path
        self.stderr = b''
        self._err = threading.Thread(target=self._drain_stderr, daemon=True)
        self._err.start()
        self.outputs = [_Output(r, chain[1], chunk) for (r, _), chain, chunk in zip(pipes, chains, chunks)]
        self._ended = set()
        self._closed = False

    def _drain_stderr(self):
        self.stderr = self.proc.stderr.read()

    def frames(self, i: int) -> Iterator[np.ndarray]:
        """Chunks ``(n, H, W, 3)`` uint8 of output ``i``."""
        out = self.outputs[i]
        try:
            while True:
                buf = out.queue.get()
                if buf is None:
                    break
                n = len(buf) // out.frame_bytes
                if n:
                    yield np.frombuffer(buf, np.uint8, n * out.frame_bytes).reshape((n,) + out.shape)
            self._ended.add(i)
            if len(self._ended) == len(self.outputs):  # the last output at its end: ffmpeg is done
                rc = self.proc.wait()
                self._err.join()
                if rc != 0:
                    msg = self.stderr.decode(errors='replace').strip().splitlines()
                    raise DataError(f'ffmpeg failed (exit {rc}): {msg[-1] if msg else "no message"}')
        except BaseException:
            self.close()
            raise
        finally:
            if len(self._ended) == len(self.outputs):
                self.close()

    def close(self):
        if self._closed:
            return
        self._closed = True
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for out in self.outputs:
            out.close()
        self._err.join()
        self.proc.stderr.close()


class _Frames:
    """Iterator over one output, with ``close()`` (stops the shared ffmpeg run) as the pipeline expects."""

    def __init__(self, branches: FrameBranches, i: int, post: Optional[Callable] = None):
        self.branches, self.it, self.post = branches, branches.frames(i), post

    def __iter__(self):
        return self

    def __next__(self):
        frames = next(self.it)
        return frames if self.post is None else self.post(frames)

    def close(self):
        self.branches.close()


def read_branches(path: str, specs: Sequence, chunks: Sequence[int], threads: int = 0,
                  info: Optional[MediaInfo] = None) -> List[Iterator[np.ndarray]]:
    """One iterator of rgb24 frame chunks per :class:`FrameSpec`, all from one decode of ``path``
    (see the module doc). ``chunks``: frames per chunk of each output."""
    info = info or probe(path)
    if not info.has_video:
        raise DataError(f'{path}: no video stream')
    chains = [frame_filter(s, info) for s in specs]
    branches = FrameBranches(path, chains, chunks, threads)
    return [_Frames(branches, i, chain[2]) for i, chain in enumerate(chains)]


def tiny_height(size: int) -> int:
    """Height of a 'tiny' frame ``size`` pixels wide (16:9, even)."""
    return max(2, int(round(size * 9 / 16 / 2)) * 2)


@register_frame_filter('tiny')
def _tiny_chain(spec, info):
    """Every frame at ``spec.fps`` (the source's exact rate, e.g. 24000/1001), squashed to ``size`` x
    ``tiny_height(size)`` by area averaging, on the time axis of the first frame (frame ``i`` at ``i / fps`` s). A
    variable-rate source gives every frame as it comes (frame ``i`` is the source's frame ``i``, at its own time:
    :class:`~highlight_plugin.media.clock.FrameGrid`)."""
    return _tiny(spec, resample=not info.variable_rate)


@register_frame_filter('tiny_even')
def _tiny_even_chain(spec, info):
    """The 'tiny' frames on an even time grid at ``spec.fps`` whatever the source (for a variable-rate one, the frame
    on screen every 1/fps s: what a profile binned in time needs, the 9:16 follow's)."""
    return _tiny(spec, resample=True)


def _tiny(spec, resample):
    w, h = int(spec.size), tiny_height(spec.size)
    fps = f'fps=fps={rate_option(spec.fps)},' if resample else ''
    return f'setpts=PTS-STARTPTS,{fps}scale={w}:{h}:flags=area,format=rgb24', (h, w)


def rate_option(rate) -> str:
    """A rate as an ffmpeg option value: exact ('24000/1001') for a Fraction."""
    return f'{rate.numerator}/{rate.denominator}' if isinstance(rate, Fraction) else repr(float(rate))


def source_fps(info: MediaInfo, default=Fraction(25)) -> Fraction:
    """The frame rate the 'tiny' branch samples at: the source's exact rate (a variable-rate source's average;
    ``default`` when not reported)."""
    return Fraction(info.rate) if info.rate and info.rate > 0 else Fraction(default)


def read_tiny_frames(path: str, fps: Optional[float] = None, size: int = 64, chunk: int = 256,
                     info: Optional[MediaInfo] = None) -> Iterator[np.ndarray]:
    """Chunks ``(n, h, size, 3)`` uint8 of the 'tiny' stream of ``path`` at ``fps`` (default: the source's) alone;
    in ``make_highlights`` the same frames come from a branch of the feature decode."""
    from highlight_plugin.media.specs import FrameSpec
    info = info or probe(path)
    spec = FrameSpec(fps or source_fps(info), size, crop=False, sampling='tiny')
    return read_branches(path, [spec], [chunk], 0, info)[0]


@register_frame_filter('centre')
def _centre_chain(spec, info):
    """The frame on screen at each clip centre (see ``media.read_frames``)."""
    return centre_filter(spec.fps, spec.size, spec.crop), (spec.size, spec.size)


def hero_geometry(width: int, height: int, size: int) -> Tuple[int, int, int, int]:
    """HERO's resize and crop (``video_loader.VideoLoader._get_output_dim``): the short side becomes
    ``size``, the long side ``int(long * size / short)``; the crop starts at ``int((W - size) / 2)``.
    Returns ``(scaled_w, scaled_h, x, y)``. Uses the coded size, as HERO's ffprobe call does (a
    rotated phone video is stretched there, and here)."""
    if height >= width:
        w, h = size, int(height * size / width)
    else:
        w, h = int(width * size / height), size
    return w, h, int((w - size) / 2.0), int((h - size) / 2.0)


def _hero_chain(spec, info, fps):
    w, h, x, y = hero_geometry(info.width, info.height, spec.size)
    # ffmpeg's fps filter at its defaults (round=near): the frame on screen just before each (k + 0.5) / fps;
    # scale with the CLI's default flags (bicubic)
    return f'fps=fps={fps!r},scale={w}:{h},crop={spec.size}:{spec.size}:{x}:{y}', (spec.size, spec.size)


@register_frame_filter('hero')
def _hero_clip_chain(spec, info):
    """HERO / Moment-DETR / UniVTG CLIP frames (``clip/video_loader.py``): ``fps=1/clip_len``, HERO's
    geometry; a video shorter than ``1/fps + 0.1`` s is sampled at ``2 / max(int(duration), 1)`` fps."""
    fps = float(spec.fps)
    if info.duration and 0 < info.duration < 1 / fps + 0.1:
        fps = 2.0 / max(int(info.duration), 1)
    return _hero_chain(spec, info, fps)


@register_frame_filter('hero_dense')
def _hero_dense_chain(spec, info):
    """HERO's SlowFast decode (``slowfast/extract_feature/video_loader.py``): ``fps`` (30) frames a
    second with HERO's geometry; the clip's frames are picked later (``slowfast.hero_frame_indices``)."""
    return _hero_chain(spec, info, float(spec.fps))
