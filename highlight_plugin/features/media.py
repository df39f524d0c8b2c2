"""Media access through the ffmpeg binary bundled with ``imageio-ffmpeg``.

Everything streams: video frames and audio samples are read from an ffmpeg pipe in
bounded chunks, so memory does not grow with the length of the video. ffmpeg applies the
rotation metadata (autorotate), follows the real timestamps (variable frame rate) and
resizes in the decoder, which is much cheaper than resizing decoded full-size frames.

:func:`read_frames_decord` is an alternative frame reader on decord (random access by
frame index) with the same output contract. A recipe names its frame sampling
(``FrameSpec.sampling``) and its audio reading (``AudioSpec.method``); :func:`frame_reader`
and :func:`audio_reader` return the registered readers.
"""
import dataclasses
import os
import queue
import re
import subprocess
import threading
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from highlight_plugin.engine.errors import ConfigError, DataError


def ffmpeg_exe() -> str:
    """Path of the ffmpeg executable shipped inside the imageio-ffmpeg wheel."""
    import imageio_ffmpeg
    return imageio_ffmpeg.get_ffmpeg_exe()


@dataclass
class AudioStream:
    """One audio stream of a container, as reported by ffmpeg."""
    index: int  # position among the audio streams (ffmpeg ``0:a:<index>``)
    language: Optional[str] = None
    default: bool = False
    channels: int = 0  # 0: not reported
    sample_rate: int = 0


@dataclass
class MediaInfo:
    """What :func:`probe` learns about a file."""
    path: str
    duration: Optional[float]
    has_video: bool
    width: int = 0  # coded size of the first video stream, before rotation
    height: int = 0
    audio: List[AudioStream] = field(default_factory=list)
    rotation: int = 0  # display rotation of the video, degrees counter-clockwise in [0, 360)
    time_base: Optional[int] = None  # ticks per second of the video timestamps (ffmpeg's tbn)
    fps: Optional[float] = None  # average frame rate of the video as ffmpeg reports it

    @property
    def display_size(self):
        """``(width, height)`` as shown, i.e. after the rotation ffmpeg applies."""
        turned = self.rotation % 180 == 90
        return (self.height, self.width) if turned else (self.width, self.height)


_DURATION = re.compile(r'Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)')
_START = re.compile(r'Duration:[^\n]*?, start: (-?\d+(?:\.\d+)?)')
_MATROSKA = re.compile(r'^Input #0, matroska', re.MULTILINE)
_STREAM = re.compile(r'Stream #\d+:\d+(?:\[\w+\])?(?:\((\w+)\))?: (Video|Audio|Subtitle|Data)(.*)')
_SIZE = re.compile(r', (\d{2,5})x(\d{2,5})[ ,]')
_TBN = re.compile(r', (\d+(?:\.\d+)?)(k?) tbn')
_FPS = re.compile(r', (\d+(?:\.\d+)?)(k?) fps')
_AUDIO = re.compile(r', (\d+) Hz, ([^,]+)')
# channel layout names ffmpeg prints -> channel count ('N channels' is parsed)
_LAYOUTS = {'mono': 1, 'stereo': 2, '2.1': 3, '3.0': 3, '3.0(back)': 3, '4.0': 4, 'quad': 4, 'quad(side)': 4, '3.1': 4,
            '5.0': 5, '5.0(side)': 5, '4.1': 5, '5.1': 6, '5.1(side)': 6, '6.0': 6, '6.0(front)': 6, 'hexagonal': 6,
            '6.1': 7, '6.1(back)': 7, '6.1(front)': 7, '7.0': 7, '7.0(front)': 7, '7.1': 8, '7.1(wide)': 8,
            '7.1(wide-side)': 8, 'octagonal': 8, 'downmix': 2}
_ROTATION = re.compile(r'display ?matrix: rotation of (-?\d+(?:\.\d+)?) degrees', re.IGNORECASE)


_PROBED: Dict[tuple, 'MediaInfo'] = {}  # (path, size, mtime) -> MediaInfo: a reel's steps each ask about its file


def probe(path: str) -> MediaInfo:
    """Read duration and streams of ``path`` from ``ffmpeg -i`` (no ffprobe is bundled); remembered while the file
    is unchanged (size and modification time).

    Raises:
        DataError: the file is missing or ffmpeg cannot parse it.
    """
    try:
        st = os.stat(path)
        key = (os.path.abspath(str(path)), st.st_size, st.st_mtime_ns)
    except OSError:
        key = None
    if key in _PROBED:
        info = _PROBED[key]
        return dataclasses.replace(info, audio=[dataclasses.replace(a) for a in info.audio])
    info = _probe(path)
    if key is not None:
        if len(_PROBED) > 256:
            _PROBED.clear()
        _PROBED[key] = dataclasses.replace(info, audio=[dataclasses.replace(a) for a in info.audio])
    return info


def _probe(path: str) -> MediaInfo:
    proc = subprocess.run([ffmpeg_exe(), '-hide_banner', '-nostdin', '-i', str(path)],
                          capture_output=True, text=True, errors='replace')
    text = proc.stderr
    m = _DURATION.search(text)
    duration = None
    if m:
        h, mi, s = m.groups()
        duration = int(h) * 3600 + int(mi) * 60 + float(s)
        start = _START.search(text)
        # Matroska's Duration is the end of its timeline, not a length: a file whose timestamps start late (a
        # recorded broadcast remuxed with its clock) lasts Duration - start (other demuxers report the length)
        if start and _MATROSKA.search(text) and 'Estimating duration from bitrate' not in text:
            duration = max(duration - max(float(start.group(1)), 0.0), 0.0)
    info = MediaInfo(str(path), duration, has_video=False)
    streams = list(_STREAM.finditer(text))
    for i, m in enumerate(streams):
        lang, kind, rest = m.groups()
        if kind == 'Video' and not info.has_video and 'attached pic' not in rest:
            info.has_video = True
            size = _SIZE.search(rest + ' ')
            if size:
                info.width, info.height = int(size.group(1)), int(size.group(2))
            fps = _FPS.search(rest)
            if fps:
                info.fps = float(fps.group(1)) * (1000 if fps.group(2) else 1)
            tbn = _TBN.search(rest)
            if tbn:
                info.time_base = round(float(tbn.group(1)) * (1000 if tbn.group(2) else 1))
            # side data printed below the stream line, up to the next stream
            block = text[m.end():streams[i + 1].start() if i + 1 < len(streams) else len(text)]
            rot = _ROTATION.search(block)
            if rot:
                info.rotation = round(float(rot.group(1))) % 360
        elif kind == 'Audio':
            lang = None if lang in (None, '', 'und') else lang.lower()
            audio = AudioStream(len(info.audio), lang, '(default)' in rest)
            fmt = _AUDIO.search(rest)
            if fmt:
                layout = fmt.group(2).strip()
                n = re.match(r'(\d+) channels', layout)
                audio.sample_rate, audio.channels = int(fmt.group(1)), int(n.group(1)) if n else _LAYOUTS.get(layout, 0)
            info.audio.append(audio)
    if not info.has_video and not info.audio:
        last = [ln.strip() for ln in text.strip().splitlines() if ln.strip()][-1:] or ['no streams']
        raise DataError(f'{path}: ffmpeg cannot read this file ({last[0]})')
    return info


# ISO 639-1 codes -> the ISO 639-2 tags containers use (both bibliographic and terminologic)
_ISO639 = dict(en=('eng',), hi=('hin',), ta=('tam',), te=('tel',), bn=('ben',), mr=('mar',), ml=('mal',),
               kn=('kan',), fr=('fra', 'fre'), de=('deu', 'ger'), es=('spa',), it=('ita',), pt=('por',),
               ru=('rus',), ja=('jpn',), zh=('zho', 'chi'), ar=('ara',), ko=('kor',), nl=('nld', 'dut'))


def language_matches(tag: Optional[str], wanted: str) -> bool:
    """``wanted`` ('en', 'eng', 'hin', ...) names the language of the stream tag ``tag``."""
    if not tag:
        return False
    tag, wanted = tag.lower(), wanted.lower()
    return tag == wanted or tag in _ISO639.get(wanted, ()) or wanted in _ISO639.get(tag, ())


def select_audio_stream(info: MediaInfo, languages: Sequence[str] = ()) -> Optional[AudioStream]:
    """First audio stream whose language is in ``languages`` (in preference order; 2- or
    3-letter codes), else the default stream, else the first one; ``None`` without audio."""
    if not info.audio:
        return None
    for lang in languages:
        for stream in info.audio:
            if language_matches(stream.language, lang):
                return stream
    defaults = [s for s in info.audio if s.default]
    return (defaults or info.audio)[0]


class _Pipe:
    """An ffmpeg subprocess read by a thread into a bounded queue of chunks.

    The thread lets ffmpeg decode the next chunk while the caller runs the networks on
    the current one (the OS pipe buffer alone is only 64 KiB).
    """

    def __init__(self, cmd: List[str], chunk_bytes: int, prefetch: int = 2):
        self.cmd = cmd
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.chunk_bytes = chunk_bytes
        self.queue: 'queue.Queue' = queue.Queue(maxsize=prefetch)
        self.stderr = b''
        self._err_thread = threading.Thread(target=self._drain_stderr, daemon=True)
        self._err_thread.start()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _drain_stderr(self):
        self.stderr = self.proc.stderr.read()

    def _read(self):
        try:
            while True:
                buf = self.proc.stdout.read(self.chunk_bytes)
                if not buf:
                    break
                self.queue.put(bytearray(buf))  # writable, so numpy views can feed torch
        finally:
            self.queue.put(None)

    def __iter__(self) -> Iterator[bytes]:
        try:
            while True:
                buf = self.queue.get()
                if buf is None:
                    break
                yield buf
            rc = self.proc.wait()
            self._err_thread.join()
            if rc != 0:
                msg = self.stderr.decode(errors='replace').strip().splitlines()
                raise DataError(f'ffmpeg failed (exit {rc}): {msg[-1] if msg else "no message"}')
        finally:
            self.close()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        # unblock the reader thread if it waits on a full queue
        while self._thread.is_alive():
            try:
                self.queue.get_nowait()
            except queue.Empty:
                self._thread.join(timeout=0.05)
        self._err_thread.join()  # ffmpeg has exited: stderr is at its end
        self.proc.stdout.close()
        self.proc.stderr.close()


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
    indices = clip_centre_indices(times[:, 0], float(times[-1, 1]), float(fps), info.time_base)
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
        raise ConfigError(f'unknown video decoder backend {backend!r} (choose from {list(BACKENDS)})')
    if (backend, sampling) not in FRAME_SAMPLINGS:
        known = sorted(s for b, s in FRAME_SAMPLINGS if b == backend)
        raise ConfigError(f'frame sampling {sampling!r} is not available on the {backend} decoder '
                          f'(it has: {", ".join(known)})')
    return FRAME_SAMPLINGS[(backend, sampling)]


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
