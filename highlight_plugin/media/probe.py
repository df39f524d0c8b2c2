"""What a media file holds, read with PyAV from libavformat's own fields (no text meant for people is parsed):
duration, streams and codecs, size, rotation, exact frame rates (with variable-rate detection and then every frame's
time), time base, start time, the source timecode and the audio tracks (:func:`probe`)."""
import dataclasses
import os
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Dict, List, Optional, Sequence

import numpy as np

from highlight_plugin.engine.errors import DataError
from highlight_plugin.media.rates import as_fraction, snap_rate


def ffmpeg_exe() -> str:
    """Path of the ffmpeg executable shipped inside the imageio-ffmpeg wheel."""
    import imageio_ffmpeg
    return imageio_ffmpeg.get_ffmpeg_exe()


@dataclass
class AudioStream:
    """One audio stream of a container."""
    index: int  # position among the audio streams (ffmpeg ``0:a:<index>``)
    language: Optional[str] = None
    default: bool = False
    channels: int = 0  # 0: not reported
    sample_rate: int = 0
    codec: Optional[str] = None  # libavcodec's name ('aac', 'pcm_s16le', ...)


@dataclass
class MediaInfo:
    """What :func:`probe` learns about a file. Rates are exact fractions (24000/1001, not 23.98)."""
    path: str
    duration: Optional[float]
    has_video: bool
    width: int = 0  # coded size of the first video stream, before rotation
    height: int = 0
    audio: List[AudioStream] = field(default_factory=list)
    rotation: int = 0  # display rotation of the video, degrees counter-clockwise in [0, 360)
    time_base: Optional[Fraction] = None  # seconds per tick of the video timestamps (1/30000, 1/1000, ...)
    average_rate: Optional[Fraction] = None  # frames over duration (libavformat's avg_frame_rate)
    base_rate: Optional[Fraction] = None  # the lowest rate all timestamps fit (libavformat's r_frame_rate)
    rate: Optional[Fraction] = None  # the frame grid's rate: the real constant rate, or a variable one's average
    variable_rate: bool = False  # frames do not come at one rate (a phone's 24 then 60 fps): see frame_times
    frame_times: Optional[np.ndarray] = None  # variable rate only: every frame's time (s, container clock), in order
    start_time: float = 0.0  # the container's start (s), which ``-ss`` counts from
    timecode: Optional[str] = None  # the source timecode of the first frame, '01:00:00:00' ('01:00:00;00': drop-frame)
    video_codec: Optional[str] = None
    format_name: str = ''  # libavformat's demuxer names ('mov,mp4,m4a,3gp,3g2,mj2', 'matroska,webm', 'mpegts')

    @property
    def fps(self) -> Optional[float]:
        """The frame rate as a float (from the exact :attr:`rate`)."""
        return float(self.rate) if self.rate else None

    @property
    def ticks_per_second(self) -> Optional[int]:
        """Ticks per second of the video timestamps (the inverse of :attr:`time_base`)."""
        return round(1 / self.time_base) if self.time_base else None

    @property
    def drop_frame(self) -> bool:
        """The source timecode is drop-frame (written with ';' before the frames)."""
        return bool(self.timecode) and self.timecode[8] in ';.,'

    @property
    def display_size(self):
        """``(width, height)`` as shown, i.e. after the rotation ffmpeg applies."""
        turned = self.rotation % 180 == 90
        return (self.height, self.width) if turned else (self.width, self.height)


_PROBED: Dict[tuple, 'MediaInfo'] = {}  # (path, size, mtime) -> MediaInfo: a reel's steps each ask about its file


def _copy(info: MediaInfo) -> MediaInfo:
    return dataclasses.replace(info, audio=[dataclasses.replace(a) for a in info.audio])


def probe(path: str) -> MediaInfo:
    """Read what ``path`` holds with PyAV (libavformat); remembered while the file is unchanged (size and
    modification time).

    Raises:
        DataError: the file is missing or libavformat cannot read it (the message names the file).
    """
    try:
        st = os.stat(path)
        key = (os.path.abspath(str(path)), st.st_size, st.st_mtime_ns)
    except OSError:
        key = None
    if key in _PROBED:
        return _copy(_PROBED[key])
    info = _probe(str(path))
    if key is not None:
        if len(_PROBED) > 256:
            _PROBED.clear()
        _PROBED[key] = _copy(info)
    return info


def _open(path: str):
    import av
    try:
        return av.open(path, metadata_errors='replace')
    except (av.FFmpegError, OSError, UnicodeDecodeError) as e:
        reason = getattr(e, 'strerror', None) or str(e) or type(e).__name__
        raise DataError(f'{path}: ffmpeg (PyAV) cannot read this file ({reason})') from e


def _probe(path: str) -> MediaInfo:
    import av
    with _open(path) as container:
        start = container.start_time / 1e6 if container.start_time is not None else 0.0
        info = MediaInfo(path, _duration(container, start), has_video=False, start_time=start,
                         format_name=container.format.name)
        video = next((s for s in container.streams.video
                      if not s.disposition & av.stream.Disposition.attached_pic), None)
        for i, stream in enumerate(container.streams.audio):
            info.audio.append(_audio_stream(i, stream))
        if video is not None:
            _read_video(info, container, video)
        info.timecode = _timecode(container, video)
        index = video.index if video is not None else None
    if not info.has_video and not info.audio:
        raise DataError(f'{path}: ffmpeg (PyAV) cannot read this file (no video or audio stream)')
    if info.has_video:
        _read_rates(info, path, index)
    return info


def _duration(container, start) -> Optional[float]:
    if container.duration is None:
        ends = [float((s.start_time or 0) * s.time_base) + float(s.duration * s.time_base)
                for s in container.streams if s.duration and s.time_base]
        return max(ends) - start if ends else None
    duration = container.duration / 1e6
    # Matroska's duration is the end of its timeline, not a length: a file whose timestamps start late (a recorded
    # broadcast remuxed with its clock) lasts duration - start (the other demuxers report the length)
    if container.format.name.startswith('matroska') and start > 0:
        duration = max(duration - start, 0.0)
    return duration


def _audio_stream(index, stream) -> AudioStream:
    import av
    cc = stream.codec_context
    language = (stream.language or '').lower() or None
    return AudioStream(index, None if language == 'und' else language,
                       bool(stream.disposition & av.stream.Disposition.default), int(cc.channels or 0),
                       int(cc.sample_rate or 0), cc.name)


def _read_video(info: MediaInfo, container, stream):
    """Size, codec, time base, the reported rates and the rotation (the display matrix rides on the first frame)."""
    import av
    cc = stream.codec_context
    info.has_video = True
    info.width, info.height, info.video_codec = int(cc.width or 0), int(cc.height or 0), cc.name
    info.time_base = stream.time_base
    info.average_rate = as_fraction(stream.average_rate)
    info.base_rate = as_fraction(stream.base_rate or stream.guessed_rate)
    try:
        for frame in container.decode(stream):
            info.rotation = round(frame.rotation or 0) % 360
            info.width, info.height = info.width or frame.width, info.height or frame.height
            break
    except (av.FFmpegError, ValueError):  # undecodable: the readers will say so
        pass


def _read_rates(info: MediaInfo, path: str, index: int):
    """The frame grid's rate: the reported one when the average and base rates agree; else the frames' own times
    decide (demuxed, not decoded): one rate (interlaced broadcast, Matroska ticks) or a variable rate."""
    avg, base = snap_rate(info.average_rate), snap_rate(info.base_rate)
    if not avg or not base or avg == base:
        info.rate = base or avg
        return
    ticks = _frame_ticks(path, index)
    if len(ticks) < 3:
        info.rate = avg
        return
    steps = np.diff(ticks)
    typical = float(np.median(steps))
    if np.all(np.abs(steps - typical) <= max(1.0, 0.1 * typical)):  # one rate, give or take a tick
        info.rate = snap_rate(Fraction(len(ticks) - 1) / (int(ticks[-1] - ticks[0]) * info.time_base))
        return
    info.rate, info.variable_rate = info.average_rate, True
    times = ticks.astype(np.float64) * float(info.time_base)
    times.flags.writeable = False
    info.frame_times = times


def _frame_ticks(path: str, index: int) -> np.ndarray:
    """The presentation timestamps (ticks) of the frames of stream ``index``, sorted: every packet the decoder
    keeps (edit lists mark the others discarded)."""
    import av
    with _open(path) as container:
        stream = container.streams[index]
        try:
            pts = [p.pts for p in container.demux(stream) if p.pts is not None and not p.is_discard]
        except av.FFmpegError as e:
            raise DataError(f'{path}: ffmpeg (PyAV) cannot read the video packets ({e})') from e
    return np.sort(np.asarray(pts, np.int64))


_TIMECODE = re.compile(r'^\d{2}:\d{2}:\d{2}[:;.,]\d{2}$')


def _tag(metadata, key) -> Optional[str]:
    value = next((v for k, v in (metadata or {}).items() if k.lower() == key), None)
    return value.strip() if isinstance(value, str) and _TIMECODE.match(value.strip()) else None


def _timecode(container, video) -> Optional[str]:
    """The source timecode of the first frame: a ``tmcd`` track's, else the video stream's or the container's
    ``timecode`` tag (MOV, MP4, MXF, Matroska)."""
    for stream in container.streams.data:
        found = _tag(stream.metadata, 'timecode')
        if found:
            return found
    return (_tag(video.metadata, 'timecode') if video is not None else None) or _tag(container.metadata, 'timecode')


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
