"""Editor exports of a list of segments: CMX3600 EDL and OpenTimelineIO (.otio JSON), written without extra packages."""
import json
import os.path as osp

from .io import atomic_write_text


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
        lines.append(f'* FROM CLIP NAME: {osp.basename(source)}')
        if 'score' in seg:
            lines.append(f'* COMMENT: score {seg["score"]:.4f}')
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
        'metadata': {'score': seg.get('score')},
        'media_reference': {'OTIO_SCHEMA': 'ExternalReference.1', 'target_url': osp.abspath(source),
                            'available_range': None, 'metadata': {}},
        'source_range': {'OTIO_SCHEMA': 'TimeRange.1', 'start_time': _rational(seg['start'], fps),
                         'duration': _rational(seg['end'] - seg['start'], fps)},
        'effects': [], 'markers': [],
    } for i, seg in enumerate(segments, 1)]
    track = {'OTIO_SCHEMA': 'Track.1', 'name': 'V1', 'kind': 'Video', 'children': clips, 'metadata': {},
             'source_range': None, 'effects': [], 'markers': []}
    timeline = {'OTIO_SCHEMA': 'Timeline.1', 'name': title, 'metadata': {}, 'global_start_time': None,
                'tracks': {'OTIO_SCHEMA': 'Stack.1', 'name': 'tracks', 'children': [track], 'metadata': {},
                           'source_range': None, 'effects': [], 'markers': []}}
    atomic_write_text(out_path, json.dumps(timeline, indent=2))
    return out_path
