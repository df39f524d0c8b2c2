"""Snapping one clip edge the way the tool snaps (:meth:`~highlight_plugin.analysis.EdgeSnapper.snap_edge`: shot
changes first, else a pause, never a flash of another shot), for an editor dragging in and out points."""
from typing import Optional, Tuple

from ...analysis.snapping import EdgeSnapper

DEFAULT_TOLERANCE = 2.0  # seconds, the tool's --snap default (used when the reel was made with snapping off)


def snap_tolerance(result) -> float:
    """The reel's own ``--snap`` (seconds), else :data:`DEFAULT_TOLERANCE`."""
    snap = ((result.options or {}).get('predict') or {}).get('snap')
    return float(snap) if snap else DEFAULT_TOLERANCE


def snap_edge(result, source: str, edge: str, t: float, other: float, limit: float, min_length: float,
              tolerance: Optional[float] = None) -> Tuple[float, Optional[str]]:
    """Where the ``edge`` ('start' or 'end') of a clip of ``source`` goes when dragged to ``t``; ``other``: its
    other edge, which stays at least ``min_length`` away; ``limit``: the file's last time. Returns ``(time, kind)``:
    kind 'cut', 'pause', 'guard', or None (no shot change or pause within the tolerance: on the frame grid)."""
    a = result.analysis.get(source)
    tol = snap_tolerance(result) if tolerance is None else tolerance
    snapper = EdgeSnapper(tolerance=tol if a is not None else 0.0, grid=a.cut.grid if a is not None else None)
    if edge == 'start':
        lo, hi = 0.0, max(other - min_length, 0.0)
    else:
        lo, hi = min(other + min_length, limit), limit
    transitions = a.transitions if a is not None else ()
    envelope = a.envelope if a is not None else None
    return snapper.snap_edge(t, edge, other, transitions, envelope, lo, hi)


def dragged_edge(result, cut, clip: dict, edge: str, t) -> Tuple[float, Optional[str]]:
    """Where ``clip``'s ``edge`` snaps when dragged to ``t`` (clamped to its file): the page's preview while an
    editor drags; the change itself is snapped again when let go (:mod:`~.changes`)."""
    from .edit_list import MIN_LENGTH, _seconds
    source = cut.source_of(clip)
    limit = cut.limits[source]
    t = min(max(_seconds(t, 'snap: t'), 0.0), limit)
    other = clip['end'] if edge == 'start' else clip['start']
    return snap_edge(result, source, edge, t, other, limit, MIN_LENGTH)
