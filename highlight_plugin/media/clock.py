"""A file's clock: where its first video frame lies (time 0 of the reel's segments), where its other streams start,
and its frame grid, on which every shot change, snapped edge, cut, poster and export lands.

The grid is the exact rational rate of a constant-rate file (frame ``k`` at ``k * 1001 / 24000`` s at 23.976) and
the real frame times of a variable-rate one (a phone's 24 then 60 fps), from :func:`~.probe.probe`. The first frame
and the stream starts come from the ffmpeg executable that cuts and decodes, so that they are the times it sees.
"""
import bisect
import math
import re
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from typing import Optional, Sequence, Tuple

from highlight_plugin.engine.errors import DataError
from highlight_plugin.media.probe import MediaInfo, ffmpeg_exe, probe

DEFAULT_RATE = Fraction(25)  # a video that reports no rate


class FrameGrid:
    """Frame ``k``'s time (s from the first frame) and the frame nearest to a time.

    Args:
        rate: the constant rate (for a variable-rate file, its average: used only where no frame time serves).
        times: a variable-rate file's frame times from its first frame, in order (None: constant rate).
    """

    def __init__(self, rate: Fraction, times: Optional[Sequence[float]] = None):
        self.rate = Fraction(rate)
        self.times = None if times is None else [float(t) for t in times]
        if self.times is not None and len(self.times) < 2:
            self.times = None

    @property
    def variable(self) -> bool:
        return self.times is not None

    def _time(self, k: int) -> float:
        """Frame ``k``'s start; past the last frame, the end of the last one (frames keep their last duration)."""
        times, n = self.times, len(self.times)
        if k < n:
            return times[max(k, 0)] if k >= 0 else times[0] + k * (times[1] - times[0])
        return times[-1] + (k - n + 1) * (times[-1] - times[-2])

    def time(self, k: int) -> float:
        """Seconds from the first frame to frame ``k`` (``k`` = the number of frames: the end of the last)."""
        return float(Fraction(k) / self.rate) if self.times is None else self._time(k)

    def index(self, t: float) -> int:
        """The frame whose start is nearest to ``t`` (ties to the later one): an edge at ``t`` cuts before it."""
        if self.times is None:
            return int(math.floor(t * self.rate + Fraction(1, 2)))
        k = bisect.bisect_left(self.times, t)
        if k >= len(self.times):
            last = self.times[-1] - self.times[-2]
            return len(self.times) - 1 + int(math.floor((t - self.times[-1]) / last + 0.5))
        if k == 0:
            return 0 if t >= self.times[0] - (self.times[1] - self.times[0]) / 2 else -1
        return k if self.times[k] - t <= t - self.times[k - 1] else k - 1

    def edge(self, k: int) -> float:
        """The time half-way between frame ``k - 1`` and frame ``k``: a trim bound that keeps ``k`` and not
        ``k - 1``, whatever the timestamps' rounding."""
        if self.times is None:
            return float((Fraction(k) - Fraction(1, 2)) / self.rate)
        return (self._time(k - 1) + self._time(k)) / 2

    def snap(self, t: float) -> float:
        """``t`` moved to the nearest frame start."""
        return self.time(self.index(t))

    def at(self, position: float) -> float:
        """The time of a fractional frame index (the centre of a fade between two frames)."""
        if abs(position - round(position)) < 1e-6:
            return self.time(round(position))
        k = math.floor(position)
        return self.time(k) + (position - k) * (self.time(k + 1) - self.time(k))


@dataclass
class CutSource:
    """What cutting needs to know about a source file (see :func:`inspect_source`)."""
    path: str
    origin: float  # absolute time (s) of the first decoded video frame: time 0 of the segments
    format_start: float  # the container's start time, which ``-ss`` counts from
    rate: Fraction  # exact frame rate (a variable-rate file's average)
    width: int  # displayed size (after rotation)
    height: int
    audio_streams: int
    grid: Optional[FrameGrid] = None  # the frame grid (default: the constant ``rate``)

    def __post_init__(self):
        self.rate = Fraction(self.rate)
        if self.grid is None:
            self.grid = FrameGrid(self.rate)

    @property
    def fps(self) -> float:
        """The frame rate as a float."""
        return float(self.rate)

    def frame_index(self, t: float) -> int:
        """Index of the frame nearest to segment time ``t``."""
        return self.grid.index(t)


_SHOWINFO = re.compile(r'\bn: *0 .*?pts_time:(-?\d+(?:\.\d+)?).*? s:(\d+)x(\d+)')
_VIDEO_PTS = re.compile(r'Parsed_showinfo.*?\bn: *0 .*?pts_time:(-?\d+(?:\.\d+)?)')
_AUDIO_PTS = re.compile(r'Parsed_ashowinfo.*?\bn: *0 .*?pts_time:(-?\d+(?:\.\d+)?)')


def _last_line(stderr):
    lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    return lines[-1].strip() if lines else 'no message'


def first_frame(path, seek=None) -> Tuple[float, Tuple[int, int]]:
    """``(absolute time of the first frame ffmpeg decodes after seeking to seek, its displayed size)``, read from
    the ``showinfo`` filter's per-frame line; after a seek it is the frame decoding starts from (a keyframe), not the
    first one at or after ``seek``."""
    cmd = [ffmpeg_exe(), '-hide_banner', '-nostdin', '-copyts']
    if seek:
        cmd += ['-noaccurate_seek', '-ss', f'{seek:.6f}']
    cmd += ['-i', str(path), '-map', '0:v:0', '-frames:v', '1', '-vf', 'showinfo', '-f', 'null', '-']
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, errors='replace')
    m = _SHOWINFO.search(proc.stderr)
    if proc.returncode != 0 or not m:
        raise DataError(f'{path}: ffmpeg cannot decode a video frame ({_last_line(proc.stderr)})')
    return float(m.group(1)), (int(m.group(2)), int(m.group(3)))


@dataclass
class StreamStarts:
    """Where a file's streams start, for putting everything on one clock: the reel's, whose time 0 is the first
    decoded video frame (:attr:`CutSource.origin`)."""
    origin: float  # absolute time of the first decoded video frame
    features: float  # that frame's time as ffmpeg's CLI gives it without -copyts: the clock of the reference
    # recipes' frames (they count from the container's start), so feature time t is reel time t - features
    audio: Optional[float] = None  # the first decoded audio sample, on the reel's clock (None: no such stream)


def stream_starts(path, audio_stream: Optional[int] = None) -> StreamStarts:
    """The :class:`StreamStarts` of ``path`` (two one-frame decodes); ``audio_stream``: index among its audio
    streams."""
    def run(copyts, audio):
        cmd = [ffmpeg_exe(), '-hide_banner', '-nostdin', *(['-copyts'] if copyts else []), '-i', str(path),
               '-map', '0:v:0', '-vf', 'showinfo', '-frames:v', '1', '-f', 'null', '-']
        if audio:
            cmd += ['-map', f'0:a:{audio_stream}', '-af', 'ashowinfo', '-frames:a', '1', '-f', 'null', '-']
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, errors='replace')
        video = _VIDEO_PTS.search(proc.stderr)
        if proc.returncode != 0 or not video:
            raise DataError(f'{path}: ffmpeg cannot decode a video frame ({_last_line(proc.stderr)})')
        sound = _AUDIO_PTS.search(proc.stderr) if audio else None
        return float(video.group(1)), float(sound.group(1)) if sound else None

    origin, audio = run(True, audio_stream is not None)
    features, _ = run(False, False)
    return StreamStarts(origin, features, None if audio is None else audio - origin)


def frame_grid(info: MediaInfo, origin: float) -> FrameGrid:
    """The frame grid of a probed file whose first decoded frame is at ``origin`` (absolute seconds)."""
    rate = info.rate or DEFAULT_RATE
    if not info.variable_rate or info.frame_times is None:
        return FrameGrid(rate)
    times = [t - origin for t in info.frame_times if t >= origin - 1e-6]
    return FrameGrid(rate, times)


def inspect_source(path) -> CutSource:
    """Timing of ``path`` for cutting: the first frame's absolute time, the frame grid, display size, audio streams.

    Raises:
        DataError: no decodable video frame (the message names the file).
    """
    info = probe(str(path))
    if not info.has_video:
        raise DataError(f'{path}: no video stream')
    origin, (width, height) = first_frame(path)
    return CutSource(str(path), origin, info.start_time, info.rate or DEFAULT_RATE, width, height, len(info.audio),
                     frame_grid(info, origin))


__all__ = ['FrameGrid', 'CutSource', 'StreamStarts', 'first_frame', 'stream_starts', 'frame_grid', 'inspect_source']
