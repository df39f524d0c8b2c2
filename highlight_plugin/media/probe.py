"""What a media file holds: duration, streams, size, rotation, frame rate and audio tracks (:func:`probe`)."""
import dataclasses
import os
import re
import subprocess
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

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
