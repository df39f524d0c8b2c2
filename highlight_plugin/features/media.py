"""Media access through the ffmpeg binary bundled with ``imageio-ffmpeg``.

Everything streams: video frames and audio samples are read from an ffmpeg pipe in
bounded chunks, so memory does not grow with the length of the video. ffmpeg applies the
rotation metadata (autorotate), follows the real timestamps (variable frame rate) and
resizes in the decoder, which is much cheaper than resizing decoded full-size frames.
"""
import queue
import re
import subprocess
import threading
from dataclasses import dataclass, field
from typing import Iterator, List, Optional, Sequence

import numpy as np

from highlight_plugin.engine.errors import DataError


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


@dataclass
class MediaInfo:
    """What :func:`probe` learns about a file."""
    path: str
    duration: Optional[float]
    has_video: bool
    width: int = 0
    height: int = 0
    audio: List[AudioStream] = field(default_factory=list)


_DURATION = re.compile(r'Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)')
_STREAM = re.compile(r'Stream #\d+:\d+(?:\[\w+\])?(?:\((\w+)\))?: (Video|Audio|Subtitle|Data)(.*)')
_SIZE = re.compile(r', (\d{2,5})x(\d{2,5})[ ,]')


def probe(path: str) -> MediaInfo:
    """Read duration and streams of ``path`` from ``ffmpeg -i`` (no ffprobe is bundled).

    Raises:
        DataError: the file is missing or ffmpeg cannot parse it.
    """
    proc = subprocess.run([ffmpeg_exe(), '-hide_banner', '-nostdin', '-i', str(path)],
                          capture_output=True, text=True, errors='replace')
    text = proc.stderr
    m = _DURATION.search(text)
    duration = None
    if m:
        h, mi, s = m.groups()
        duration = int(h) * 3600 + int(mi) * 60 + float(s)
    info = MediaInfo(str(path), duration, has_video=False)
    for lang, kind, rest in _STREAM.findall(text):
        if kind == 'Video' and not info.has_video and 'attached pic' not in rest:
            info.has_video = True
            size = _SIZE.search(rest + ' ')
            if size:
                info.width, info.height = int(size.group(1)), int(size.group(2))
        elif kind == 'Audio':
            lang = None if lang in (None, '', 'und') else lang.lower()
            info.audio.append(AudioStream(len(info.audio), lang, '(default)' in rest))
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


def read_frames(path: str, fps: float, size: int, chunk: int = 32, crop: bool = True,
                threads: int = 0) -> Iterator[np.ndarray]:
    """Yield RGB frames ``(n <= chunk, size, size, 3)`` uint8, sampled at ``fps``.

    Frame ``k`` is the frame on screen at time ``(k + 0.5) / fps``, i.e. the centre of
    the k-th interval of length ``1 / fps`` (for one frame per clip: the clip centre).
    Gaps of a variable-frame-rate video are filled by repeating the previous frame.
    Resizing keeps the aspect ratio (shorter side ``size``); ``crop`` takes the centre
    square, else the frame is squashed to ``size`` x ``size``.
    """
    fps = float(fps)
    shift = 0.5 / fps
    scale = (f'scale={size}:{size}:force_original_aspect_ratio=increase:flags=bicubic,'
             f'crop={size}:{size}' if crop else f'scale={size}:{size}:flags=bicubic')
    vf = f'setpts=PTS-STARTPTS-{shift!r}/TB,fps=fps={fps!r}:start_time=0:round=up,{scale}'
    cmd = [ffmpeg_exe(), '-hide_banner', '-nostdin', '-v', 'error', '-threads', str(threads),
           '-i', str(path), '-map', '0:v:0', '-vf', vf, '-f', 'rawvideo', '-pix_fmt', 'rgb24',
           'pipe:']
    frame_bytes = size * size * 3
    for buf in _Pipe(cmd, frame_bytes * chunk):
        n = len(buf) // frame_bytes
        if n:
            yield np.frombuffer(buf[:n * frame_bytes], np.uint8).reshape(n, size, size, 3)


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

