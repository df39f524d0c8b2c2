"""Editor exports of a list of segments, written with OpenTimelineIO: the timeline (``.otio``), a CMX 3600 EDL
(``.edl``, otio-cmx3600-adapter) and an FCP 7 XML (``.xml``, otio-fcp-adapter: Premiere and DaVinci Resolve import
it), for an assistant editor to conform the reel against the full-quality source.

* **Rate and frames.** Everything is at the source's own rate (24000/1001 for 23.976, not 23.98, and not 25), on the
  frames the clips hold: a segment ``[start, end)`` (seconds from the source's first frame) is frames
  ``round(start * rate)`` to ``round(end * rate)``, as :mod:`~highlight_plugin.render.cut` cuts it. A variable-rate
  source (a phone's 24 then 60 fps) has no rate of its own, and SMPTE timecode has none of 10, 12, 15 or 120 fps:
  such a source's exports are at the standard rate nearest to its (average) rate, said in :func:`export_notes`.
* **Timecode.** Source timecodes count from the source's own start timecode (its ``tmcd`` track or ``timecode``
  tag; 00:00:00:00 without one), so that they match what an editing application shows for the file. Timecode is
  drop-frame only where the source's own timecode is (a 29.97 file without timecode gets non-drop, as cameras and
  encoders write it): the EDL gets the matching ``FCM`` line, the XML the matching display format. The record side
  starts at 00:00:00:00 and lays the clips end to end in the order given.
* **Tracks.** Video and audio (one audio clip per video clip, the same source range; a gap where the source has no
  audio). The EDL's events are ``AA/V`` (picture and a stereo pair) or ``V``.
* **References.** The ``.otio`` and ``.xml`` reference the source by a ``file://`` URL; the EDL names it in
  ``* FROM CLIP NAME`` (reel ``AX``, Premiere's style: Premiere and Resolve conform by that name).
* **Markers.** A football segment's ``event`` (``class``, ``confidence``, ``clock``) is a marker on its clip at the
  event's frame, named like ``'2nd half 23:14, goal'`` (an EDL locator, ``* LOC``).
"""
import copy
import os.path as osp
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from ..engine.errors import DataError
from ..media.clock import DEFAULT_RATE, FrameGrid
from ..media.probe import probe
from ..media.rates import DROP_FRAME_RATES, nearest_standard_rate, rate_text, timecode_base
from .io import atomic_write_text

# marker colours per event class (names OTIO, EDL locators and FCP XML share)
MARKER_COLOURS = dict(goal='RED', card='YELLOW', kick='GREEN', subs='BLUE')
DEFAULT_COLOUR = 'CYAN'
METADATA_KEY = 'highlight_plugin'  # the namespace of this package's fields in OTIO metadata
SEGMENT_FIELDS = ('rank', 'score', 'class', 'confidence', 'half', 'clock', 'event')


def _plain(fields):
    """``fields`` with numpy scalars as Python numbers (OTIO metadata holds plain values only)."""
    return {k: v.item() if hasattr(v, 'item') else v for k, v in fields.items()}


def marker_name(seg):
    """``'2nd half 23:14, goal'``, or the class alone without a clock."""
    return ', '.join(str(seg[k]) for k in ('clock', 'class') if seg.get(k) is not None)


@dataclass
class EditSource:
    """A source file as the exports see it (:func:`edit_source`)."""
    path: str
    rate: Fraction  # the edit rate: the source's exact rate (a variable-rate source: the nearest standard one)
    start: int  # the source timecode of its first frame, in frames at ``rate``
    drop_frame: bool  # its timecode is drop-frame
    frames: Optional[int]  # its length in frames, when known
    has_audio: bool
    variable_rate: bool = False
    average: Optional[Fraction] = None  # the source's own (average) rate
    span: Optional[tuple] = None  # a variable-rate source's slowest and fastest rate

    def frame(self, t: float) -> int:
        """The frame at (nearest to) ``t`` seconds from the first frame, as the cut rounds its edges."""
        return FrameGrid(self.rate).index(t)


def timecode_frames(timecode: Optional[str], rate: Fraction, drop_frame: bool) -> int:
    """Frames from 00:00:00:00 to ``timecode`` at ``rate`` (0 for None or a timecode that does not fit the rate)."""
    import opentimelineio as otio
    if not timecode:
        return 0
    text = timecode[:8] + (';' if drop_frame else ':') + timecode[9:]
    try:
        return int(round(otio.opentime.from_timecode(text, float(rate)).value))
    except (ValueError, RuntimeError):
        return 0


def timecode_rate(rate) -> bool:
    """Whether SMPTE timecode (and so the EDL and XML adapters) exists at ``rate``: 23.976, 24, 25, 29.97, 30,
    47.952, 48, 50, 59.94 and 60, not 10, 12, 15 or 120."""
    import opentimelineio as otio
    try:
        otio.opentime.to_timecode(otio.opentime.RationalTime(0, float(rate)), float(rate))
    except ValueError:
        return False
    return True


def edit_source(path) -> EditSource:
    """Probe ``path`` for the exports: its edit rate, start timecode, length and audio. A variable-rate source, or
    one at a rate timecode does not have (12, 15, 120 fps), is exported at the nearest standard rate.

    Raises:
        DataError: the file cannot be read or has no video (the message names it).
    """
    info = probe(str(path))
    if not info.has_video:
        raise DataError(f'{path}: no video stream to export')
    rate, span = info.rate or DEFAULT_RATE, None
    if info.variable_rate or not timecode_rate(rate):
        rate = nearest_standard_rate(info.average_rate or rate)
        if info.frame_times is not None and len(info.frame_times) > 2:
            steps = [b - a for a, b in zip(info.frame_times[:-1], info.frame_times[1:]) if b > a]
            span = (1 / float(max(steps)), 1 / float(min(steps))) if steps else None
    drop = info.drop_frame and rate in DROP_FRAME_RATES
    frames = int(round(info.duration * rate)) if info.duration else None
    return EditSource(str(path), Fraction(rate), timecode_frames(info.timecode, rate, drop), drop, frames,
                      bool(info.audio), info.variable_rate, info.rate, span)


def export_notes(segments: Sequence[dict], source) -> List[str]:
    """What the notes say about the exports: a variable-rate source exported at a standard rate, sources of
    different rates in one EDL."""
    sources = _sources(segments, source)
    notes = []
    for src in sources.values():
        if src.variable_rate:
            spread = f'{src.span[0]:.0f} to {src.span[1]:.0f} fps, ' if src.span else ''
            notes.append(f'{osp.basename(src.path)} has a variable frame rate ({spread}{float(src.average):.2f} fps '
                         f'on average): its editor exports are at {rate_text(src.rate)} fps, the standard rate '
                         f'nearest to its average, their in and out points the cuts rounded to its frames.')
        elif src.average and src.average != src.rate:
            notes.append(f'{osp.basename(src.path)} is at {rate_text(src.average)} fps, a rate timecode does not '
                         f'have: its editor exports are at {rate_text(src.rate)} fps, the nearest standard rate, '
                         f'their in and out points the cuts rounded to its frames.')
    first = next(iter(sources.values()))
    for src in list(sources.values())[1:]:
        if src.rate != first.rate:
            notes.append(f'{osp.basename(src.path)} is at {rate_text(src.rate)} fps and {osp.basename(first.path)} '
                         f'at {rate_text(first.rate)} fps: the EDL, one rate for all, converts the first to the '
                         f'second.')
    return notes


def _sources(segments, source) -> Dict[str, EditSource]:
    paths = [str(s.get('source') or source) for s in segments] or [str(source)]
    return {p: edit_source(p) for p in dict.fromkeys(paths)}


@dataclass
class _Style:
    """How one export spells the timeline: times at ``rate(src)``; media referenced by URL or plain path."""
    edl: bool = False

    def rate(self, src: EditSource) -> float:
        # the EDL adapter infers drop-frame from the rate: non-drop NTSC timecode is written at the integer rate
        # (the same frame counts, labelled 30 a second, which is what non-drop timecode is)
        if self.edl and src.rate in DROP_FRAME_RATES and not src.drop_frame:
            return float(timecode_base(src.rate))
        return float(src.rate)

    def url(self, src: EditSource) -> str:
        path = Path(src.path).absolute()
        return str(path) if self.edl else path.as_uri()


def _marker(seg, src: EditSource, style: _Style):
    """The event's marker, at its frame (in the clip's source time, as OTIO places an item's markers)."""
    import opentimelineio as otio
    k = src.frame(seg['event'])
    rate = style.rate(src)
    comment = f'confidence {seg["confidence"]:.2f}' if seg.get('confidence') is not None else ''
    return otio.schema.Marker(
        name=marker_name(seg),
        marked_range=otio.opentime.TimeRange(otio.opentime.RationalTime(src.start + k, rate),
                                             otio.opentime.RationalTime(0, rate)),
        color=MARKER_COLOURS.get(seg.get('class'), DEFAULT_COLOUR), comment=comment,
        metadata={METADATA_KEY: _plain({f: seg[f] for f in ('class', 'confidence', 'half', 'clock', 'event')
                                        if f in seg})})


def _clip(seg, rank, src: EditSource, style: _Style):
    """The video clip of one segment (its audio twin is a copy)."""
    import opentimelineio as otio
    rate = style.rate(src)
    k0, k1 = src.frame(seg['start']), src.frame(seg['end'])
    if k1 <= k0:
        raise ValueError(f'segment {rank} ({seg["start"]:.3f}-{seg["end"]:.3f} s) holds no frame of {src.path}')
    available = None
    if src.frames:
        available = otio.opentime.TimeRange(otio.opentime.RationalTime(src.start, rate),
                                            otio.opentime.RationalTime(src.frames, rate))
    reference = otio.schema.ExternalReference(target_url=style.url(src), available_range=available)
    reference.name = osp.basename(src.path)  # the file's name as people read it (the URL is quoted)
    if not style.edl:  # the XML's file timecode: drop-frame exactly when the source's is
        reference.metadata['fcp_xml'] = {'timecode': {'displayformat': 'DF' if src.drop_frame else 'NDF'}}
    meta = {f: seg[f] for f in SEGMENT_FIELDS if seg.get(f) is not None}
    meta.update(rank=rank, start=seg['start'], end=seg['end'])
    clip = otio.schema.Clip(name=f'highlight_{rank:03d}', media_reference=reference,
                            metadata={METADATA_KEY: _plain(meta)},
                            source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(src.start + k0, rate),
                                                                 otio.opentime.RationalTime(k1 - k0, rate)))
    if seg.get('event') is not None:
        clip.markers.append(_marker(seg, src, style))
    if style.edl:
        notes = []
        if seg.get('score') is not None:
            notes.append(f'COMMENT: score {seg["score"]:.4f}')
        if seg.get('confidence') is not None:
            notes.append(f'COMMENT: {marker_name(seg)} (confidence {seg["confidence"]:.2f})')
        clip.metadata['cmx_3600'] = {'comments': notes}
    return clip


def build_timeline(segments: Sequence[dict], source, title='highlights', style: Optional[_Style] = None,
                   sources: Optional[Dict[str, EditSource]] = None):
    """An OpenTimelineIO timeline of ``segments`` (in the given order, end to end) cut from ``source`` (or each
    segment's own ``source``): a video track ``V1`` and an audio track ``A1`` (see the module doc)."""
    import opentimelineio as otio
    style = style or _Style()
    sources = sources or _sources(segments, source)
    first = next(iter(sources.values()))
    timeline = otio.schema.Timeline(name=title, global_start_time=otio.opentime.RationalTime(0, style.rate(first)))
    timeline.metadata['fcp_xml'] = {'timecode': {'displayformat': 'DF' if first.drop_frame else 'NDF'}}
    timeline.metadata[METADATA_KEY] = {'rate': str(first.rate), 'drop_frame': first.drop_frame,
                                       'variable_rate': first.variable_rate}
    video = otio.schema.Track(name='V1', kind=otio.schema.TrackKind.Video)
    audio = otio.schema.Track(name='A1', kind=otio.schema.TrackKind.Audio)
    for i, seg in enumerate(segments, 1):
        src = sources[str(seg.get('source') or source)]
        clip = _clip(seg, int(seg.get('rank', i)), src, style)
        video.append(clip)
        if src.has_audio:
            twin = copy.deepcopy(clip)
            twin.markers.clear()
            audio.append(twin)
        else:
            audio.append(otio.schema.Gap(source_range=otio.opentime.TimeRange(duration=clip.source_range.duration)))
    timeline.tracks.append(video)
    timeline.tracks.append(audio)
    return timeline


def write_otio(segments, source, out_path, title='highlights'):
    """The OpenTimelineIO timeline (:func:`build_timeline`) as ``.otio`` JSON."""
    import opentimelineio as otio
    atomic_write_text(out_path, otio.adapters.write_to_string(build_timeline(segments, source, title), 'otio_json'))
    return out_path


def write_fcp_xml(segments, source, out_path, title='highlights'):
    """The timeline as an FCP 7 XML (``xmeml``) file, for Premiere and DaVinci Resolve."""
    import opentimelineio as otio
    atomic_write_text(out_path, otio.adapters.write_to_string(build_timeline(segments, source, title), 'fcp_xml'))
    return out_path


def write_edl(segments, source, out_path, title='highlights'):
    """A CMX 3600 EDL of the timeline: one event per segment, ``AA/V`` where its source has audio, the ``FCM`` line
    of the first source's timecode, source timecodes from each source's own start timecode."""
    import opentimelineio as otio
    sources = _sources(segments, source)
    timeline = build_timeline(segments, source, title, _Style(edl=True), sources)
    text = otio.adapters.write_to_string(timeline, 'cmx_3600', style='premiere', reelname_len=None)
    first = next(iter(sources.values()))
    with_audio = [sources[str(s.get('source') or source)].has_audio for s in segments]
    atomic_write_text(out_path, _finish_edl(text, first.drop_frame, with_audio))
    return out_path


def _finish_edl(text, drop_frame, with_audio):
    """What the adapter leaves out: the ``FCM`` line after the title, and ``AA/V`` on the events whose source has
    audio (it writes the video track's events, ``V``)."""
    lines, out, event = text.splitlines(), [], 0
    fcm = f'FCM: {"DROP FRAME" if drop_frame else "NON-DROP FRAME"}'
    for line in lines:
        if line[:3].isdigit() and line[14:19] == 'V    ':  # '001  AX       V     C        ...'
            if with_audio[event]:
                line = line[:14] + 'AA/V ' + line[19:]
            event += 1
        out.append(line)
        if line.startswith('TITLE:'):
            out.append(fcm)
    if not any(line.startswith('TITLE:') for line in lines):
        out.insert(0, fcm)
    return '\n'.join(out) + '\n'


def write_exports(segments, source, edl=None, otio=None, xml=None, title='highlights') -> List[str]:
    """Write whichever of the EDL, ``.otio`` and FCP XML is given a path; returns :func:`export_notes`."""
    for path, writer in ((edl, write_edl), (otio, write_otio), (xml, write_fcp_xml)):
        if path is not None:
            writer(segments, source, path, title)
    return export_notes(segments, source)


__all__ = ['EditSource', 'edit_source', 'timecode_frames', 'timecode_rate', 'build_timeline', 'write_otio',
           'write_fcp_xml', 'write_edl', 'write_exports', 'export_notes', 'marker_name']
