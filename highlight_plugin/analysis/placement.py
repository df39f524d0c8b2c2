"""Putting a result's segments on the reel's clock and snapping their edges to shot changes and pauses."""
import os.path as osp

from .snapping import EdgeSnapper


def to_reel_clock(result):
    """Move ``result``'s segments (and their ``keep`` spans) from feature time to the reel's clock: feature time
    minus where the first frame lies on the features' clock (:attr:`SourceAnalysis.feature_shift`)."""
    keep = list(result.keep) if result.keep is not None else [None] * len(result.segments)
    segments = []
    for i, seg in enumerate(result.segments):
        seg = dict(seg)
        a = result.analysis.get(result.source_of(seg))
        shift = a.feature_shift if a is not None else 0.0
        if shift:
            for key in ('start', 'end', 'event'):
                if key in seg:
                    seg[key] = round(max(seg[key] - shift, 0.0), 3)
            if keep[i] is not None:
                keep[i] = (keep[i][0] - shift, keep[i][1] - shift)
        segments.append(seg)
    result.segments = segments
    if result.keep is not None:
        result.keep = keep
    return result


def snap_result(result, snap: float, min_len=None, max_len=None):
    """Snap the edges of ``result``'s segments (``snap`` seconds, 0: off) to the shot changes and pauses of their
    file, keeping the lengths within ``min_len`` / ``max_len`` and each segment's ``keep`` span; segments cut from
    several files (the halves of a match) are snapped per file. The football curve's ``plot_segments`` follow."""
    segments = [dict(s) for s in result.segments]
    before = [(s['start'], s['end']) for s in segments]
    keep = list(result.keep) if result.keep is not None else [None] * len(segments)
    if snap > 0:
        by_file = {}
        for i, seg in enumerate(segments):
            by_file.setdefault(result.source_of(seg), []).append(i)
        for source, idx in by_file.items():
            a = result.analysis.get(source)
            if a is None:
                continue
            snapper = EdgeSnapper(tolerance=snap, min_len=min_len, max_len=max_len, grid=a.cut.grid)
            snapped = snapper([segments[i] for i in idx], a.transitions, a.envelope,
                              duration=a.duration - a.feature_shift if a.duration else None,
                              keep=[keep[i] for i in idx])
            for i, seg in zip(idx, snapped):
                segments[i] = seg
    if result.plot_segments is not None:  # the curve's axis: the same edge moves
        result.plot_segments = [dict(p, start=round(p['start'] + s['start'] - a0, 3),
                                     end=round(p['end'] + s['end'] - b0, 3))
                                for p, s, (a0, b0) in zip(result.plot_segments, segments, before)]
    result.segments = segments
    return result


def silent_source_notes(result):
    """Notes for the files of ``result`` that have no audio track."""
    for source in result.sources:
        a = result.analysis.get(source)
        if a is not None and not a.has_audio:
            what = ('its audio features were computed on silence (as over a silent stretch of a film); '
                    if a.silent_features else '')
            note = f'{osp.basename(source)} has no audio track: {what}its clips have no sound.'
            if note not in result.notes:
                result.notes.append(note)
    return result
