"""Editor exports of a list of segments: CMX3600 EDL and OpenTimelineIO (.otio JSON), written without extra packages.

Each segment is cut from ``seg['source']`` when it has one (the halves of a match in two files), else from the
``source`` given. A segment with an ``event`` (football: ``class``, ``clock``, ``confidence``) gets a marker at
that time, named like ``'2nd half 23:14, goal'``: an EDL comment and locator (``* LOC:``, record timecode), an
OTIO marker on its clip (source time).
"""
import json
import os.path as osp

from .io import atomic_write_text

# locator / marker colours per event class (the colour names both EDL locators and OTIO know)
MARKER_COLOURS = dict(goal='RED', card='YELLOW', kick='GREEN', subs='BLUE')
DEFAULT_COLOUR = 'CYAN'


def marker_name(seg):
    """``'2nd half 23:14, goal'``, or the class alone without a clock."""
    return ', '.join(str(seg[k]) for k in ('clock', 'class') if seg.get(k) is not None)


def _colour(seg):
    return MARKER_COLOURS.get(seg.get('class'), DEFAULT_COLOUR)


def _timecode(seconds, fps):
    frames = int(round(seconds * fps))
    fps_i = int(round(fps))
    return '{:02d}:{:02d}:{:02d}:{:02d}'.format(frames // (3600 * fps_i), frames // (60 * fps_i) % 60,
                                                 frames // fps_i % 60, frames % fps_i)


def write_edl(segments, source, out_path, fps=25.0, title='highlights'):
    """A CMX3600 EDL: one video+audio event per segment, laid end to end on the record side."""
    lines = [f'TITLE: {title}', 'FCM: NON-DROP FRAME', '']
    record = 0.0
    for i, seg in enumerate(segments, 1):
        length = seg['end'] - seg['start']
        lines.append(f'{i:03d}  AX       AA/V  C        {_timecode(seg["start"], fps)} {_timecode(seg["end"], fps)} '
                     f'{_timecode(record, fps)} {_timecode(record + length, fps)}')
        lines.append(f'* FROM CLIP NAME: {osp.basename(seg.get("source", source))}')
        if 'score' in seg:
            lines.append(f'* COMMENT: score {seg["score"]:.4f}')
        if seg.get('event') is not None:
            name = marker_name(seg)
            confidence = f' (confidence {seg["confidence"]:.2f})' if seg.get('confidence') is not None else ''
            lines.append(f'* COMMENT: {name}{confidence}')
            at = record + min(max(seg['event'] - seg['start'], 0.0), length)
            lines.append(f'* LOC: {_timecode(at, fps)} {_colour(seg):<7} {name}')
        lines.append('')
        record += length
    atomic_write_text(out_path, '\n'.join(lines))
    return out_path


def _rational(value, rate):
    return {'OTIO_SCHEMA': 'RationalTime.1', 'rate': float(rate), 'value': float(round(value * rate, 6))}


def write_otio(segments, source, out_path, fps=25.0, title='highlights'):
    """An OpenTimelineIO timeline: one video track whose clips reference ``source`` at each segment."""
    clips = [{
        'OTIO_SCHEMA': 'Clip.1',
        'name': f'highlight_{i:03d}',
        'metadata': {k: seg[k] for k in ('score', 'class', 'confidence', 'half', 'clock') if k in seg},
        'media_reference': {'OTIO_SCHEMA': 'ExternalReference.1', 'target_url': osp.abspath(seg.get('source', source)),
                            'available_range': None, 'metadata': {}},
        'source_range': {'OTIO_SCHEMA': 'TimeRange.1', 'start_time': _rational(seg['start'], fps),
                         'duration': _rational(seg['end'] - seg['start'], fps)},
        'effects': [], 'markers': _otio_markers(seg, fps),
    } for i, seg in enumerate(segments, 1)]
    track = {'OTIO_SCHEMA': 'Track.1', 'name': 'V1', 'kind': 'Video', 'children': clips, 'metadata': {},
             'source_range': None, 'effects': [], 'markers': []}
    timeline = {'OTIO_SCHEMA': 'Timeline.1', 'name': title, 'metadata': {}, 'global_start_time': None,
                'tracks': {'OTIO_SCHEMA': 'Stack.1', 'name': 'tracks', 'children': [track], 'metadata': {},
                           'source_range': None, 'effects': [], 'markers': []}}
    atomic_write_text(out_path, json.dumps(timeline, indent=2))
    return out_path


def _otio_markers(seg, fps):
    """One zero-length marker at the segment's event, in the clip's source time (OTIO's rule for item markers)."""
    if seg.get('event') is None:
        return []
    return [{'OTIO_SCHEMA': 'Marker.2', 'name': marker_name(seg), 'color': _colour(seg),
             'comment': f'confidence {seg["confidence"]:.2f}' if seg.get('confidence') is not None else '',
             'marked_range': {'OTIO_SCHEMA': 'TimeRange.1', 'start_time': _rational(seg['event'], fps),
                              'duration': _rational(0.0, fps)},
             'metadata': {k: seg[k] for k in ('class', 'confidence', 'half', 'clock', 'event') if k in seg}}]
