"""Cutting segments out of a video and joining them into a reel, with the bundled ffmpeg.

Time base: segment times are seconds from the first decoded video frame, the origin of the extractors' frames,
whatever the container's start time (a broadcast MPEG-TS starts at 1.4 s or later). A clip ``[start, end)`` holds
the source frames whose time lies in ``[start, end)`` once both edges are rounded to the nearest frame of the
source's grid (its exact rational rate, or a variable-rate file's real frame times; see ``media/clock.py``):
clips are cut by ``trim``/``atrim`` on the absolute timestamps (``-copyts``), after an input seek that is checked to
land before the first frame wanted (seeking in a transport stream can land a GOP late, which used to freeze or drop
the clip's start).

Audio: a clip keeps the source's audio exactly when the source has some; it is cut to the same span as the video,
faded in and out over ``fade`` seconds (50 ms: no clicks, no audible dip) and brought to a loudness target (EBU R128,
default -14 LUFS integrated, true peak <= -1 dBTP) by one gain measured on the clip's audio alone and, only where that
gain would push the true peak over the ceiling, a 4x-oversampled lookahead limiter; the plan is checked once on the
clip's audio rendered through the AAC encoder and corrected (:func:`plan_audio`). These passes read the audio only:
no extra pass over the video. ``cut_clips(loudness_mode='reel')`` applies one gain to all clips instead.

Video: every clip is encoded once (H.264, one setting for all), shaped for 9:16 in the same encode ('crop', 'blur',
or 'follow': a window moved per frame by ``sendcmd``), its poster taken from that encode. The reel joins the clips'
video by stream copy and renders its audio once more from the source with the clips' plans (:func:`join_reel`).
Files are written under a temporary name and renamed when complete.
"""
import contextlib
import dataclasses
import math
import os.path as osp
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from typing import Optional, Sequence

from ..engine.errors import DataError
from ..engine.fileio import atomic_path
from ..media.clock import CutSource, first_frame, inspect_source
from ..media.probe import ffmpeg_exe, probe

VERTICAL_MODES = ('crop', 'blur', 'follow')
MAX_VERTICAL_HEIGHT = 1920  # 9:16 at 1080x1920, the platforms' largest
AUDIO_RATE = 48000


def _even(x):
    return max(2, int(x) // 2 * 2)


def vertical_size(width, height, max_height='source'):
    """Output size of a 9:16 clip from a ``width`` x ``height`` source.

    ``max_height`` 'source' (the default): the source height, capped at 1920 (no upscaling: a 720p source gives
    404x720); an int: that height (1920: 1080x1920, the platforms' largest, upscaling small sources).
    """
    out_h = _even(min(height, MAX_VERTICAL_HEIGHT) if max_height == 'source' else max_height)
    return _even(round(out_h * 9 / 16)), out_h


def crop_width(width, height):
    """Width of the 9:16 window of full height in a ``width`` x ``height`` frame (the whole width when narrower)."""
    return min(_even(width), _even(height * 9 / 16))


def vertical_filter(mode, width, height, max_height='source', track_file=None, x0=None):
    """The ffmpeg filter chain of a 9:16 layout of a ``width`` x ``height`` source.

    'crop': the centre 9:16 window; 'follow': a 9:16 window whose left edge is sent per frame from ``track_file``
    (a ``sendcmd`` file, see :func:`write_track_commands`), starting at ``x0``; 'blur': the whole frame over a
    blurred, zoomed copy of itself.
    """
    out_w, out_h = vertical_size(width, height, max_height)
    cw = crop_width(width, height)
    ch = min(_even(height), _even(width * 16 / 9))
    scale = f'scale={out_w}:{out_h},setsar=1'
    if mode == 'crop':
        return f'crop={cw}:{ch},{scale}'
    if mode == 'follow':
        if track_file is None:
            return f'crop={cw}:{ch},{scale}'
        return (f"sendcmd=f='{_filter_escape(track_file)}',crop=w={cw}:h={ch}:x={int(x0 or 0)}:"
                f'y={(height - ch) // 2},{scale}')
    if mode == 'blur':
        return (f'split[vb0][vb1];[vb0]scale={out_w}:{out_h}:force_original_aspect_ratio=increase,'
                f'crop={out_w}:{out_h},boxblur=20[vbg];[vb1]scale={out_w}:{out_h}:force_original_aspect_ratio=decrease'
                f'[vfg];[vbg][vfg]overlay=(W-w)/2:(H-h)/2,setsar=1')
    raise ValueError(f'vertical must be None or one of {VERTICAL_MODES}, got {mode!r}')


def _filter_escape(path):
    return str(path).replace('\\', '\\\\').replace("'", "\\'").replace(':', '\\:')


def write_track_commands(track, source_width, crop_w, path):
    """A ``sendcmd`` file moving the crop window: ``track`` holds ``(t, centre)`` pairs, ``t`` in seconds from the
    clip start and ``centre`` the window centre as a fraction of the source width. Returns the first left edge."""
    lines, first = [], None
    for t, centre in track:
        x = int(min(max(round(centre * source_width - crop_w / 2), 0), source_width - crop_w))
        first = x if first is None else first
        lines.append(f'{max(t, 0.0):.4f} crop x {x};')
    with open(path, 'w') as fh:
        fh.write('\n'.join(lines) + '\n')
    return first or 0


def _first_line(stderr):
    lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    return lines[-1].strip() if lines else 'no message'


def _run(cmd, target):
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, errors='replace')
    if proc.returncode != 0:
        raise DataError(f'ffmpeg failed writing {target}: {_first_line(proc.stderr)}')
    return proc.stderr


@dataclass
class Span:
    """A clip's place in its source: absolute trim bounds and the seek that reaches them."""
    v_start: float  # trim bounds of the video, half-way between the frames before / after the clip and its own
    v_end: float
    a_start: float  # the same span for the audio, on frame times
    a_end: float
    seek: float  # input -ss (from the container start), 0 = none
    duration: float
    frames: int
    first: int = 0  # index of the clip's first frame in the source (its frame grid)


def locate(source: CutSource, start, end, preroll=3.0) -> Span:
    """Trim bounds of the frames ``[start, end)`` of ``source`` (edges rounded to the nearest frame of its grid) and
    an input seek that lands before them.

    The seek is half a second early, checked by decoding the frame decoding starts from after it (an indexed
    container lands on the keyframe before; a transport stream seeks by byte position and may land a GOP late); when
    it lands late, ``preroll`` seconds early, then 30 s, then from the start.
    """
    grid = source.grid
    k0, k1 = grid.index(start), grid.index(end)
    if k1 <= k0:
        raise ValueError(f'empty clip: {start:.3f}-{end:.3f} s holds no frame at {source.fps:g} fps')
    t0, t1 = grid.time(k0), grid.time(k1)
    v0 = source.origin + grid.edge(k0)
    span = Span(v0, source.origin + grid.edge(k1), source.origin + t0, source.origin + t1, 0.0, t1 - t0, k1 - k0, k0)
    for early in (0.5, preroll, 30.0):
        seek = v0 - source.format_start - early
        if seek <= 0:
            break
        try:
            first, _ = first_frame(source.path, seek)
        except DataError:  # no keyframe after the seek point
            continue
        if first <= v0:
            span.seek = seek
            break
    return span


_LOUDNESS = re.compile(r'Integrated loudness:\s*I:\s*(-?[\d.]+|-?inf) LUFS')
_TRUE_PEAK = re.compile(r'True peak:\s*Peak:\s*(-?[\d.]+|-?inf) dBFS')


def _audio_chain(span: Span, stream=0, input_index=0):
    """The clip's audio on the output's layout (48 kHz stereo), before gain and fades."""
    return (f'[{input_index}:a:{stream}]atrim=start={span.a_start:.6f}:end={span.a_end:.6f},'
            f'asetpts=PTS-{span.a_start:.6f}/TB,'
            f'aresample={AUDIO_RATE}:first_pts=0,aformat=sample_fmts=fltp:channel_layouts=stereo,'
            f'apad=whole_dur={span.duration:.6f},atrim=end={span.duration:.6f}')


def _input(source: CutSource, span: Span):
    cmd = ['-copyts']
    if span.seek > 0:
        cmd += ['-ss', f'{span.seek:.6f}']
    # stop reading a second after the clip (relative to the seek)
    read = span.v_end - source.format_start - span.seek + 1.0
    return cmd + ['-t', f'{read:.6f}', '-i', source.path]


AUDIO_CODEC = ('-c:a', 'aac', '-b:a', '128k', '-ar', str(AUDIO_RATE), '-ac', '2')  # every clip's audio


def _loudness_of(text, what):
    i, tp = _LOUDNESS.search(text), _TRUE_PEAK.search(text)
    if not i or not tp:
        raise DataError(f'{what}: ffmpeg ebur128 gave no loudness summary')
    return max(float(i.group(1)), -70.0), max(float(tp.group(1)), -120.0)


def measure_loudness(source: CutSource, span: Span, stream=0, chain='', encoded=False):
    """``(integrated loudness LUFS, true peak dBTP)`` of the clip's audio after the extra filters ``chain``, by
    ffmpeg's ``ebur128`` on the audio alone; ``encoded``: after a round trip through the clips' AAC encoder (what
    the clip will hold). Silence gives -70 LUFS (ebur128's absolute gate)."""
    graph = _audio_chain(span, stream) + (',' + chain if chain else '')
    if not encoded:  # (-map: else ffmpeg would also decode the video for the null output)
        cmd = [ffmpeg_exe(), '-hide_banner', '-nostdin', '-v', 'info', *_input(source, span), '-filter_complex',
               graph + ',ebur128=peak=true:framelog=quiet[a]', '-map', '[a]', '-f', 'null', '-']
        return _loudness_of(_run(cmd, f'the loudness of {source.path}'), source.path)
    with tempfile.TemporaryDirectory(prefix='loud_') as tmpdir:
        encoded_path = osp.join(tmpdir, 'audio.m4a')
        cmd = [ffmpeg_exe(), '-hide_banner', '-nostdin', '-v', 'error', *_input(source, span), '-filter_complex',
               graph + '[a]', '-map', '[a]', *AUDIO_CODEC, encoded_path]
        _run(cmd, f'the loudness of {source.path}')
        return reel_loudness(encoded_path)


@dataclass
class LoudnessTarget:
    """EBU R128 normalisation: ``integrated`` LUFS, ``true_peak`` dBTP, gain at most ``max_gain`` dB (a near-silent
    clip is not pumped into noise); the limiter aims ``margin`` dB under the true-peak ceiling, room for the AAC
    encoder (128 kb/s), which overshoots by up to about 1.4 dB on dense, heavily limited sound."""
    integrated: float = -14.0
    true_peak: float = -1.0
    max_gain: float = 20.0
    margin: float = 1.5

    def gain(self, loudness):
        """Gain (dB) bringing ``loudness`` to the target; 0 for silence."""
        return 0.0 if loudness <= -70.0 else min(self.integrated - loudness, self.max_gain)


@dataclass
class AudioPlan:
    """What a clip's audio goes through: a gain (dB), a true-peak limiter (on or off, aiming at ``ceiling`` dBTP)
    and fades of ``fade`` seconds at its edges; ``shortfall``: dB the clip stays under the loudness target because
    the gain it needed was over :attr:`LoudnessTarget.max_gain`."""
    gain: float = 0.0
    limit: bool = False
    ceiling: float = -1.5
    fade: float = 0.05
    shortfall: float = 0.0

    def chain(self, duration):
        """The ffmpeg filters, for a clip of ``duration`` seconds."""
        parts = [f'volume={self.gain:.3f}dB'] if abs(self.gain) > 1e-3 else []
        if self.limit:  # 4x oversampled: the sample peaks at 192 kHz are the true peaks
            level = max(10 ** (self.ceiling / 20), 0.0625)
            parts.append(f'aresample={4 * AUDIO_RATE},alimiter=limit={level:.5f}:level=0:latency=1:attack=2:'
                         f'release=80,aresample={AUDIO_RATE}')
        fade = min(self.fade, duration / 4)
        if fade > 0:
            parts.append(f'afade=t=in:st=0:d={fade:.4f},afade=t=out:st={duration - fade:.6f}:d={fade:.4f}')
        return ','.join(parts)


def plan_audio(source, span, target: Optional[LoudnessTarget], stream=0, fade=0.05, gain=None, measured=None,
               check=True) -> AudioPlan:
    """The :class:`AudioPlan` of a clip. With a ``target``: the gain from the clip's measured loudness (or the given
    common ``gain``), the limiter on where the true peak would pass the ceiling; then (``check``) the clip's audio is
    rendered through the AAC encoder and measured, and the plan corrected once: the gain by what is missing (the
    limiter, the fades and the encoder take some loudness away), the ceiling lowered by any true-peak overshoot."""
    plan = AudioPlan(fade=fade)
    if target is None:
        plan.gain = gain or 0.0
        return plan
    plan.ceiling = target.true_peak - target.margin
    loudness, peak = measured or measure_loudness(source, span, stream)
    wanted = target.integrated - loudness if loudness > -70.0 else 0.0  # the gain the target asks for
    plan.gain = target.gain(loudness) if gain is None else gain
    plan.limit = peak + plan.gain > plan.ceiling
    if check and loudness > -70.0:
        got, got_peak = measure_loudness(source, span, stream, plan.chain(span.duration), encoded=True)
        if gain is None and got > -70.0:
            wanted = plan.gain + target.integrated - got
            plan.gain = min(wanted, target.max_gain)
            plan.limit = plan.limit or peak + plan.gain > plan.ceiling
        if got_peak > target.true_peak:
            plan.limit, plan.ceiling = True, plan.ceiling - (got_peak - target.true_peak)
    if gain is None:
        plan.shortfall = max(wanted - target.max_gain, 0.0)
    return plan


def loudness_notes(plans: Sequence[Optional[AudioPlan]], target: Optional[LoudnessTarget], labels=None,
                   tolerance=0.5):
    """Lines for the notes when clips could not be brought to the loudness ``target`` (their ``shortfall``, over
    ``tolerance`` dB): which clips (``labels``, default their rank 1, 2, ...), by how much, and why."""
    if target is None:
        return []
    labels = list(labels) if labels is not None else list(range(1, len(plans) + 1))
    short = [(label, plan.shortfall) for label, plan in zip(labels, plans)
             if plan is not None and plan.shortfall > tolerance]
    if not short:
        return []
    which = (f'Clip {short[0][0]} stays' if len(short) == 1 else
             f'Clips {", ".join(str(label) for label, _ in short[:-1])} and {short[-1][0]} stay')
    worst = max(s for _, s in short)
    return [f'{which} up to {worst:.1f} dB under the loudness target ({target.integrated:g} LUFS): the source is so '
            f'quiet there that reaching it needs more than the +{target.max_gain:g} dB of gain allowed, which would '
            f'raise its noise as much.']


@dataclass
class ClipShape:
    """A clip's picture: None (the source's shape), 'crop', 'blur' or 'follow' (9:16; 'follow' moves the window along
    ``track``, ``(t, centre)`` pairs from :func:`highlight_plugin.analysis.follow.follow_track`), 9:16 at
    ``vertical_height`` ('source': no upscaling, or a height such as 1920: :func:`vertical_size`), x264's ``crf`` and
    ``preset``."""
    vertical: Optional[str] = None
    vertical_height: object = 'source'
    track: Optional[Sequence] = None
    crf: int = 20
    preset: str = 'veryfast'


@dataclass
class ClipSound:
    """A clip's audio: ``has_audio`` (None: exactly when the source has; False drops it), the stream (index among the
    source's audio streams), ``fade`` seconds at its edges, the EBU R128 ``loudness`` target (None: the source's
    level) or a common ``gain_db`` (one gain for a whole reel, see :func:`cut_clips`), or the ``audio_plan`` the
    caller made (then fade, loudness and gain are not used)."""
    has_audio: Optional[bool] = None
    audio_stream: int = 0
    fade: float = 0.05
    loudness: Optional[LoudnessTarget] = field(default_factory=LoudnessTarget)
    gain_db: Optional[float] = None
    audio_plan: Optional[AudioPlan] = None


@dataclass
class ClipPlace:
    """Where a clip lies: the :func:`inspect_source` of its file and its :func:`locate` span when the caller has them,
    the seconds decoded before it so that the seek lands before its first frame."""
    source: Optional[CutSource] = None
    span: Optional[Span] = None
    preroll: float = 3.0


_CLIP_PARTS = (ClipShape, ClipSound, ClipPlace)


def _clip_parts(fields: dict):
    """``fields`` (of :class:`ClipShape`, :class:`ClipSound`, :class:`ClipPlace`, by name) into the three."""
    parts = []
    for cls in _CLIP_PARTS:
        names = {f.name for f in dataclasses.fields(cls)}
        parts.append(cls(**{k: fields.pop(k) for k in list(fields) if k in names}))
    if fields:
        raise TypeError(f'cut_clip() got unexpected options {", ".join(sorted(fields))}')
    return parts


def cut_clip(video, start, end, out_path, poster=None, **fields):
    """Write the frames ``[start, end)`` (seconds from the first frame) of ``video`` to ``out_path`` (H.264/AAC MP4).

    ``fields``: those of :class:`ClipShape` (``vertical``, ``vertical_height``, ``track``, ``crf``, ``preset``),
    :class:`ClipSound` (``has_audio``, ``audio_stream``, ``fade``, ``loudness``, ``gain_db``, ``audio_plan``) and
    :class:`ClipPlace` (``source``, ``span``, ``preroll``). ``poster``: ``(t, path[, width])``: also write the clip's
    frame at ``t`` seconds from its start as a JPEG ``width`` pixels wide (480), from the same decode.

    Raises:
        DataError: ffmpeg fails (the message names ``out_path``) or the file has no video frame.
    """
    shape, sound, place = _clip_parts(dict(fields))
    if shape.vertical not in (None, *VERTICAL_MODES):
        raise ValueError(f'vertical must be None or one of {VERTICAL_MODES}, got {shape.vertical!r}')
    try:
        source = place.source or inspect_source(video)
    except DataError as e:
        raise DataError(f'ffmpeg failed writing {out_path}: {e}') from e
    span = place.span or locate(source, start, end, place.preroll)
    audio = source.audio_streams > sound.audio_stream and sound.has_audio is not False
    with tempfile.TemporaryDirectory(prefix='cut_') as tmpdir:
        graph = [f'[0:v:0]trim=start={span.v_start:.6f}:end={span.v_end:.6f},setpts=PTS-STARTPTS'
                 + _shape_filter(shape, source, tmpdir) + ('[v]' if poster is None else ',split[v][p]')]
        if poster is not None:  # one frame of the clip as it is encoded, for free
            when, _, width = (tuple(poster) + (480,))[:3]  # the frame nearest to start + when, counted in the clip
            k = min(max(source.grid.index(start + when) - span.first, 0), span.frames - 1)
            graph.append(f'[p]trim=start_frame={k}:end_frame={k + 1},scale={_even(width)}:-2[pv]')
        if audio:
            plan = sound.audio_plan or plan_audio(source, span, sound.loudness, sound.audio_stream, sound.fade,
                                                  sound.gain_db)
            extra = plan.chain(span.duration)
            graph.append(_audio_chain(span, sound.audio_stream) + (',' + extra if extra else '') + '[a]')
        cmd = [ffmpeg_exe(), '-y', '-nostdin', '-loglevel', 'error', *_input(source, span),
               '-filter_complex', ';'.join(graph), '-map', '[v]', '-c:v', 'libx264', '-crf', str(shape.crf),
               '-preset', shape.preset, '-pix_fmt', 'yuv420p', '-fps_mode', 'passthrough']
        if audio:
            cmd += ['-map', '[a]', *AUDIO_CODEC]
        cmd += ['-movflags', '+faststart']
        with contextlib.ExitStack() as stack:
            tmp = stack.enter_context(atomic_path(out_path))
            cmd.append(tmp)
            if poster is not None:
                cmd += ['-map', '[pv]', '-frames:v', '1', '-q:v', '4', '-c:v', 'mjpeg', '-f', 'image2',
                        stack.enter_context(atomic_path(poster[1]))]
            _run(cmd, out_path)
    return out_path


def _shape_filter(shape: ClipShape, source: CutSource, tmpdir) -> str:
    """``,<filters>`` shaping the picture for 9:16 (empty for the source's shape)."""
    if shape.vertical == 'follow' and shape.track is not None:
        cmd_file = osp.join(tmpdir, 'track.cmd')
        x0 = write_track_commands(shape.track, source.width, crop_width(source.width, source.height), cmd_file)
        return ',' + vertical_filter('follow', source.width, source.height, shape.vertical_height, cmd_file, x0)
    if shape.vertical:
        return ',' + vertical_filter(shape.vertical, source.width, source.height, shape.vertical_height)
    return ''


def plan_clips(source: CutSource, segments: Sequence[dict], loudness_mode='clip',
               loudness: Optional[LoudnessTarget] = LoudnessTarget(), fade=0.05, audio_stream=0, preroll=3.0):
    """``(spans, plans)`` of the segments' clips: where each lies in the source (:func:`locate`) and its
    :class:`AudioPlan` (None when the source has no such audio stream).

    ``loudness_mode`` 'clip' brings each clip to the target (no jumps between clips, each clip a finished post);
    'reel' applies one gain to all, the one that brings them joined to the target (the source's mix between clips
    is kept), checked once on the clips as encoded.
    """
    if loudness_mode not in ('clip', 'reel'):
        raise ValueError(f"loudness_mode must be 'clip' or 'reel', got {loudness_mode!r}")
    spans = [locate(source, seg['start'], seg['end'], preroll) for seg in segments]
    stream = audio_stream
    if source.audio_streams <= stream:
        return spans, [None] * len(spans)
    if loudness is None or loudness_mode == 'clip':
        return spans, [plan_audio(source, span, loudness, stream, fade) for span in spans]
    measured = [measure_loudness(source, span, stream) for span in spans]
    gain = loudness.gain(_joint_loudness(spans, [m[0] for m in measured]))
    plans = [plan_audio(source, span, loudness, stream, fade, gain, m, check=False) for span, m in zip(spans, measured)]
    encoded = [measure_loudness(source, span, stream, plan.chain(span.duration), encoded=True)
               for span, plan in zip(spans, plans)]
    joint = _joint_loudness(spans, [e[0] for e in encoded])
    wanted = gain + loudness.integrated - joint if joint > -70.0 else gain
    gain = min(wanted, loudness.max_gain)
    for plan, (_, peak), (_, source_peak) in zip(plans, encoded, measured):
        plan.gain, plan.shortfall = gain, max(wanted - loudness.max_gain, 0.0)
        plan.limit = plan.limit or source_peak + gain > plan.ceiling
        if peak > loudness.true_peak:
            plan.limit, plan.ceiling = True, plan.ceiling - (peak - loudness.true_peak)
    return spans, plans


def cut_clips(video, segments: Sequence[dict], out_paths: Sequence[str], loudness_mode='clip',
              loudness: Optional[LoudnessTarget] = LoudnessTarget(), tracks=None, reel_path=None, posters=None,
              **kwargs):
    """Cut every segment (``start``, ``end``) of ``video`` to its ``out_paths`` entry and, with ``reel_path``, join
    them there in the given order (:func:`join_reel`); returns the clip paths.

    ``loudness_mode``: see :func:`plan_clips`. ``tracks``: a follow track per segment (``vertical='follow'``).
    ``posters``: a ``(t, path)`` per segment (``t`` from the clip's start), written by the same encode. Other
    arguments: :func:`cut_clip`.
    """
    source = kwargs.pop('source', None) or inspect_source(video)
    stream = kwargs.get('audio_stream', 0)
    spans, plans = plan_clips(source, segments, loudness_mode, loudness, kwargs.pop('fade', 0.05), stream,
                              kwargs.get('preroll', 3.0))
    if kwargs.get('has_audio') is False:
        plans = [None] * len(plans)
    tracks = tracks or [None] * len(segments)
    posters = posters or [None] * len(segments)
    clips = [cut_clip(video, seg['start'], seg['end'], path, source=source, track=track, audio_plan=plan, span=span,
                      poster=poster, **kwargs)
             for seg, path, track, plan, span, poster in zip(segments, out_paths, tracks, plans, spans, posters)]
    if reel_path is not None:
        join_reel(source, spans, plans, clips, reel_path, stream)
    return clips


def _per_clip(value, n):
    return list(value) if isinstance(value, (list, tuple)) else [value] * n


def _reel_audio_graph(sources, spans, plans, streams, first_input):
    """Input options and filter graph rendering the clips' audio one after the other into ``[a]``."""
    inputs, graph = [], []
    for i, (src, span, plan, stream) in enumerate(zip(sources, spans, plans, streams)):
        inputs += _input(src, span)
        extra = plan.chain(span.duration)
        graph.append(_audio_chain(span, stream, first_input + i) + (',' + extra if extra else '') + f'[a{i}]')
    graph.append(''.join(f'[a{i}]' for i in range(len(spans))) + f'concat=n={len(spans)}:v=0:a=1[a]')
    return inputs, ';'.join(graph)


def reel_audio(source, spans, plans, out_path, audio_stream=0):
    """The reel's audio alone: every clip's span of ``source`` through its plan, one after the other, as a 48-kHz
    stereo WAV (no encoder priming to carry over). ``source`` and ``audio_stream`` may be lists, one per clip."""
    sources, streams = _per_clip(source, len(spans)), _per_clip(audio_stream, len(spans))
    inputs, graph = _reel_audio_graph(sources, spans, plans, streams, 0)
    with atomic_path(out_path) as tmp:
        _run([ffmpeg_exe(), '-y', '-nostdin', '-loglevel', 'error', *inputs, '-filter_complex', graph, '-map', '[a]',
              '-c:a', 'pcm_f32le', '-f', 'wav', tmp], out_path)
    return out_path


def join_reel(source, spans, plans, clips, out_path, audio_stream=0, audio_file=None):
    """Join the clips cut from ``source`` into a reel: the video by stream copy of the clips, the audio rendered
    once more from the source spans with the same plans and encoded once (joining the clips' AAC would keep each
    one's encoder priming, 21 ms of noise and drift at every join, or encode it a second time).

    ``source`` and ``audio_stream`` may be lists, one entry per clip (clips cut from several files: the two halves
    of a match). The reel has audio when every clip has an audio plan. ``audio_file``: that audio, already rendered
    by :func:`reel_audio` (e.g. while the clips were being encoded), then only encoded here.
    """
    if not clips:
        raise ValueError('no clips to join')
    sources, streams = _per_clip(source, len(clips)), _per_clip(audio_stream, len(clips))
    with tempfile.NamedTemporaryFile('w', suffix='.txt') as listing, atomic_path(out_path) as tmp:
        for clip in clips:
            listing.write("file '{}'\n".format(osp.abspath(clip).replace("'", r"'\''")))
        listing.flush()
        cmd = [ffmpeg_exe(), '-y', '-nostdin', '-loglevel', 'error', '-f', 'concat', '-safe', '0', '-i', listing.name]
        if audio_file is not None:
            cmd += ['-i', str(audio_file), '-map', '0:v:0', '-map', '1:a:0', *AUDIO_CODEC]
        elif all(plan is not None for plan in plans):
            inputs, graph = _reel_audio_graph(sources, spans, plans, streams, 1)
            cmd += [*inputs, '-filter_complex', graph, '-map', '0:v:0', '-map', '[a]', *AUDIO_CODEC]
        else:
            cmd += ['-map', '0:v:0']
        _run(cmd + ['-c:v', 'copy', '-movflags', '+faststart', tmp], out_path)
    return out_path


def poster_frame(video, t, out_path, width=480, source: Optional[CutSource] = None):
    """Write the frame shown at ``t`` (seconds from the first frame) as a JPEG ``width`` pixels wide (a clip's poster
    in the report: its best moment, e.g. the peak or the event, rather than its first frame)."""
    source = source or inspect_source(video)
    k = max(source.grid.index(max(t, 0.0)), 0)
    span = locate(source, source.grid.time(k), source.grid.time(k + 1))
    cmd = [ffmpeg_exe(), '-y', '-nostdin', '-loglevel', 'error', *_input(source, span), '-filter_complex',
           f'[0:v:0]trim=start={span.v_start:.6f}:end={span.v_end:.6f},scale={_even(width)}:-2[v]', '-map', '[v]',
           '-frames:v', '1', '-q:v', '4']
    with atomic_path(out_path) as tmp:
        _run(cmd + ['-f', 'image2', '-c:v', 'mjpeg', tmp], out_path)
    return out_path


def _joint_loudness(spans, levels):
    """Loudness of clips joined, from each one's integrated loudness (power-weighted by duration; silence gated)."""
    energy = sum(span.duration * 10 ** (level / 10) for span, level in zip(spans, levels) if level > -70.0)
    return 10 * math.log10(energy / sum(span.duration for span in spans)) if energy > 0 else -70.0


def concat_clips(clips, out_path, loudness: Optional[LoudnessTarget] = None):
    """Join clips that share one encoding (as :func:`cut_clip` writes them): the video by stream copy, the audio
    decoded and encoded again (a copied AAC stream would keep each clip's encoder priming, 21 ms, and drift out of
    sync by that much at every join). ``loudness``: also bring the joined audio to that target (one gain, and the
    limiter if the true peak asks for it), on the audio alone."""
    if not clips:
        raise ValueError('no clips to join')
    with tempfile.NamedTemporaryFile('w', suffix='.txt') as listing, atomic_path(out_path) as tmp:
        for clip in clips:
            listing.write("file '{}'\n".format(osp.abspath(clip).replace("'", r"'\''")))
        listing.flush()
        # -copyts: the clips' timestamps as they are (else the audio's priming would delay the video by 21 ms)
        head = [ffmpeg_exe(), '-y', '-nostdin', '-loglevel', 'error', '-copyts', '-f', 'concat', '-safe', '0', '-i',
                listing.name]
        audio = bool(probe(str(clips[0])).audio)
        cmd = head + ['-map', '0:v:0', '-c:v', 'copy']
        if audio:
            cmd += ['-map', '0:a:0', *AUDIO_CODEC]
            if loudness is not None:
                text = _run([ffmpeg_exe(), '-hide_banner', '-nostdin', '-v', 'info', '-f', 'concat', '-safe', '0',
                             '-i', listing.name, '-map', '0:a:0', '-af', 'ebur128=peak=true:framelog=quiet', '-f',
                             'null', '-'], f'the loudness of {out_path}')
                level, peak = _loudness_of(text, out_path)
                plan = AudioPlan(gain=loudness.gain(level), ceiling=loudness.true_peak - loudness.margin, fade=0)
                plan.limit = peak + plan.gain > plan.ceiling
                chain = plan.chain(1.0)
                if chain:
                    cmd += ['-af', chain]
        _run(cmd + ['-movflags', '+faststart', tmp], out_path)
    return out_path


def reel_loudness(path):
    """``(integrated LUFS, true peak dBTP)`` of a finished file's first audio stream (ffmpeg ``ebur128``)."""
    cmd = [ffmpeg_exe(), '-hide_banner', '-nostdin', '-v', 'info', '-i', str(path), '-map', '0:a:0',
           '-af', 'ebur128=peak=true:framelog=quiet', '-f', 'null', '-']
    return _loudness_of(_run(cmd, f'the loudness of {path}'), path)


__all__ = ['LoudnessTarget', 'AudioPlan', 'plan_audio', 'loudness_notes', 'vertical_size', 'vertical_filter',
           'cut_clip', 'cut_clips', 'plan_clips', 'join_reel', 'reel_audio', 'concat_clips', 'measure_loudness',
           'reel_loudness', 'locate', 'poster_frame']
