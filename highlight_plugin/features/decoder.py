"""One ffmpeg decode of a video feeding several frame outputs.

A frame sampling that can be written as an ffmpeg filter chain registers it with
:func:`register_frame_filter`. :func:`decode_frames` then decodes the first video stream
once, ``split``\\ s it into one branch per :class:`FrameSpec` (each its own chain: frame
picking, resize, crop) and streams every branch to its own pipe as rgb24 frames::

    outputs = decode_frames(path, [FrameSpec(0.5, 224, sampling='hero'),
                                   FrameSpec(30, 224, sampling='hero_dense')], chunks=[16, 960])
    for chunk in outputs[0]: ...   # (n <= 16, 224, 224, 3) uint8

Each branch is read by its own thread into a bounded queue, so one consumer can take the
outputs in turn, chunk by chunk of the same media duration (as the feature pipeline does)
without deadlock: ffmpeg runs at most a few chunks ahead of the slowest reader. A branch
gives exactly the frames a separate ffmpeg run of its chain would give (same decoder, same
timestamps, same filters).
"""
import os
import queue
import subprocess
import threading
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from highlight_plugin.engine.errors import ConfigError, DataError
from .media import FRAME_SAMPLINGS, MediaInfo, centre_filter, ffmpeg_exe, probe, register_frame_sampling

# sampling name -> chain(spec, info) -> (ffmpeg filter chain, (height, width) of its frames)
FRAME_FILTERS: Dict[str, Callable[..., Tuple[str, Tuple[int, int]]]] = {}


def register_frame_filter(sampling: str):
    """Decorator: the ffmpeg filter chain of ``FrameSpec(sampling=sampling)`` frames, as
    ``chain(spec, info) -> (filters, (height, width))``. The sampling also gets an ffmpeg
    reader (one output of :func:`decode_frames`) unless one is registered already."""
    def register(chain):
        FRAME_FILTERS[sampling] = chain
        if ('ffmpeg', sampling) not in FRAME_SAMPLINGS:
            register_frame_sampling(sampling, 'ffmpeg')(
                lambda path, spec, chunk, threads, info: decode_frames(path, [spec], [chunk], threads, info)[0])
        return chain
    return register


def frame_filter(spec, info: MediaInfo) -> Tuple[str, Tuple[int, int]]:
    if spec.sampling not in FRAME_FILTERS:
        raise ConfigError(f'frame sampling {spec.sampling!r} has no ffmpeg filter chain '
                          f'(known: {", ".join(sorted(FRAME_FILTERS))})')
    return FRAME_FILTERS[spec.sampling](spec, info)


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


class FrameDecoder:
    """An ffmpeg process decoding ``path`` once into one rgb24 pipe per filter chain.

    Use :func:`decode_frames`; :meth:`close` (also called when every output has been read to
    its end or one raised) stops ffmpeg.
    """

    def __init__(self, path: str, chains: Sequence[Tuple[str, Tuple[int, int]]], chunks: Sequence[int],
                 threads: int = 0):
        n = len(chains)
        graph = [f'[0:v:0]split={n}' + ''.join(f'[s{i}]' for i in range(n))] if n > 1 else []
        for i, (chain, _) in enumerate(chains):
            graph.append(f'[{"s%d" % i if n > 1 else "0:v:0"}]{chain}[o{i}]')
        pipes = [os.pipe() for _ in range(n)]
        cmd = [ffmpeg_exe(), '-hide_banner', '-nostdin', '-v', 'error', '-threads', str(threads), '-i', str(path),
               '-filter_complex', ';'.join(graph)]
        for i, (_, w) in enumerate(pipes):
            cmd += ['-map', f'[o{i}]', '-f', 'rawvideo', '-pix_fmt', 'rgb24', f'pipe:{w}']
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
        self.outputs = [_Output(r, shape, chunk) for (r, _), (_, shape), chunk in zip(pipes, chains, chunks)]
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
    """Iterator over one output, with ``close()`` (stops the shared decoder) as the pipeline expects."""

    def __init__(self, decoder: FrameDecoder, i: int):
        self.decoder, self.it = decoder, decoder.frames(i)

    def __iter__(self):
        return self

    def __next__(self):
        return next(self.it)

    def close(self):
        self.decoder.close()


def decode_frames(path: str, specs: Sequence, chunks: Sequence[int], threads: int = 0,
                  info: Optional[MediaInfo] = None) -> List[Iterator[np.ndarray]]:
    """One iterator of rgb24 frame chunks per :class:`FrameSpec`, all from one decode of ``path``
    (see the module doc). ``chunks``: frames per chunk of each output."""
    info = info or probe(path)
    if not info.has_video:
        raise DataError(f'{path}: no video stream')
    decoder = FrameDecoder(path, [frame_filter(s, info) for s in specs], chunks, threads)
    return [_Frames(decoder, i) for i in range(len(specs))]


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
