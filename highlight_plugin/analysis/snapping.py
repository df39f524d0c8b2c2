"""Segment edges moved to where an editor would cut: shot changes, else pauses in the audio.

Rules, for each segment in time order (``tolerance`` 0 turns everything off):

1. **Shot changes first.** A start moves to the nearest shot change whose new shot begins (a cut's frame, the first
   clean frame after a dissolve or fade) within ``tolerance`` seconds; an end to the nearest whose old shot ends
   (a cut's frame, the first frame of a dissolve or fade).
2. **Else a pause.** With no shot change in reach, the edge moves to the quietest moment within ``tolerance``
   (:meth:`~highlight_plugin.analysis.pauses.LoudnessEnvelope.quietest`), if it is at least ``min_drop`` dB quieter
   than the edge itself; else it stays. In a pause a start goes late (the clip opens just before the sound resumes)
   and an end early (it closes just after the sound stops): no dead air.
3. **No flash of another shot.** No clip starts in the last ``guard`` seconds (0.5) before a shot change (it starts
   at the change instead) or ends in the first ``guard`` seconds after one (it ends at the change).
4. **Lengths and order.** Of the possible pairs of edges (shot changes by distance, the pause, the original edge)
   the first in that order is taken that keeps the segment within ``[min_len, max_len]``, inside
   ``[0, duration]`` and clear of its neighbours (a segment starts no earlier than the previous one ends, as snapped,
   and ends no later than the next one starts); when no pair fits the lengths, the one closest to fitting.
5. Edges land on the frame grid (``grid``: the source's exact rate or a variable-rate file's frame times; or ``fps``).
6. **Spans to keep.** A segment given a ``keep`` span ``(a, b)`` never starts after ``a`` nor ends before ``b``
   (football: the event and the decoder's margins around it; its edges only move outwards).

Each segment gains ``snap = dict(start=..., end=...)``: 'cut' (any shot change), 'pause', 'guard' or None.
"""
import math
from typing import Optional, Sequence

import numpy as np


def _spans(transitions):
    """``(n, 2)`` array of (old shot ends, new shot begins) per transition, by time, from
    :class:`~highlight_plugin.analysis.shots.Transition` objects or dicts with ``start``/``end`` (or ``time``)."""
    spans = []
    for t in transitions or ():
        if isinstance(t, dict):
            spans.append((float(t.get('start', t.get('time'))), float(t.get('end', t.get('time')))))
        else:
            spans.append((float(t.start), float(t.end)))
    return np.array(sorted(spans), np.float64).reshape(-1, 2)


class EdgeSnapper:
    """Snap segment edges to shot changes and pauses (rules in the module doc).

    Args:
        tolerance (float): seconds an edge may move (0: off).
        guard (float): no clip starts this close before a shot change or ends this close after one.
        min_len, max_len (float | None): segment length limits kept where possible (the decoder's).
        min_drop (float): a pause must be this many dB quieter than the edge's own moment.
        window (float): seconds of audio a moment's level is measured over.
        fps (float | None): frame rate of the frame grid edges land on.
        grid (FrameGrid | None): the source's frame grid (:class:`~highlight_plugin.media.clock.FrameGrid`),
            instead of ``fps``.
    """

    def __init__(self, tolerance=2.0, guard=0.5, min_len=None, max_len=None, min_drop=6.0, window=0.25, fps=None,
                 grid=None):
        if tolerance < 0:
            raise ValueError(f'tolerance must be >= 0, got {tolerance}')
        self.tolerance, self.guard, self.min_len, self.max_len = float(tolerance), float(guard), min_len, max_len
        self.min_drop, self.window, self.fps, self.grid = min_drop, window, fps, grid

    def __call__(self, segments: Sequence[dict], transitions=(), envelope=None, duration: Optional[float] = None,
                 keep: Optional[Sequence] = None):
        """Snapped copies of ``segments`` (same order; each with ``snap``); ``keep``: per segment a span ``(a, b)``
        it must still hold, or None (rule 6)."""
        segments = [dict(s) for s in segments]
        if self.tolerance == 0 or not segments:
            return segments
        keep = list(keep) if keep is not None else [None] * len(segments)
        spans = _spans(transitions)
        starts, ends = spans[:, 1], spans[:, 0]  # where new shots begin / old ones end
        duration = math.inf if duration is None else float(duration)
        order = sorted(range(len(segments)), key=lambda i: segments[i]['start'])
        prev_end = 0.0
        for k, i in enumerate(order):
            seg = segments[i]
            next_start = segments[order[k + 1]]['start'] if k + 1 < len(order) else duration
            lo, hi = prev_end, min(next_start, duration)
            a, b = keep[i] if keep[i] is not None else (math.inf, -math.inf)
            s_cands = self._candidates(seg['start'], starts, envelope, lo, min(hi, a), 'last')
            e_cands = self._candidates(seg['end'], ends, envelope, max(lo, b), hi, 'first')
            s, s_kind, e, e_kind = self._choose(seg, s_cands, e_cands)
            s, s_kind = self._guard_start(s, s_kind, e, spans, latest=a)
            e, e_kind = self._guard_end(s, e, e_kind, spans, earliest=b)
            seg['start'], seg['end'] = round(s, 3), round(e, 3)
            seg['snap'] = dict(start=s_kind, end=e_kind)
            prev_end = seg['end']
        return segments

    def snap_edge(self, t: float, edge: str, other: float, transitions=(), envelope=None, lo: float = 0.0,
                  hi: float = math.inf):
        """Where one edge of a segment goes when an editor drags it to ``t`` (``edge`` 'start' or 'end'; ``other``:
        the segment's other edge, which stays; ``[lo, hi]``: the room between its neighbours): rules 1-3 and 5,
        the lengths left to the editor. Returns ``(time, kind)``, kind as in ``snap`` ('cut', 'pause', 'guard',
        None)."""
        if edge not in ('start', 'end'):
            raise ValueError(f"edge must be 'start' or 'end', got {edge!r}")
        spans = _spans(transitions)
        if self.tolerance == 0:
            t, kind = min(max(t, lo), hi), None
        elif edge == 'start':
            t, kind = self._candidates(t, spans[:, 1], envelope, lo, min(hi, other), 'last')[0]
            t, kind = self._guard_start(t, kind, other, spans)
        else:
            t, kind = self._candidates(t, spans[:, 0], envelope, max(lo, other), hi, 'first')[0]
            t, kind = self._guard_end(other, t, kind, spans)
        return round(self._on_grid(t) if kind is None else t, 3), kind

    # ------------------------------------------------------------------ candidates
    def _on_grid(self, t):
        if self.grid is not None:
            return self.grid.snap(t)
        return t if not self.fps else round(t * self.fps) / self.fps

    def _candidates(self, t, changes, envelope, lo, hi, prefer):
        """``(time, kind)`` an edge at ``t`` may move to, best first, within ``[lo, hi]``."""
        tol = self.tolerance
        near = changes[(np.abs(changes - t) <= tol + 1e-9) & (changes >= lo - 1e-9) & (changes <= hi + 1e-9)]
        cands = [(float(c), 'cut') for c in sorted(near, key=lambda c: (abs(c - t), c))]
        if envelope is not None and not len(near):
            quiet = envelope.quietest(t, tol, window=self.window, lo=lo, hi=hi, prefer=prefer)
            if quiet is not None:
                here = envelope.level(t - self.window / 2, t + self.window / 2)
                there = envelope.level(quiet - self.window / 2, quiet + self.window / 2)
                if there <= here - self.min_drop:
                    cands.append((self._on_grid(quiet), 'pause'))
        if lo - 1e-9 <= t <= hi + 1e-9:
            cands.append((self._on_grid(t) if cands else t, None))
        else:  # the original edge overlaps a neighbour as snapped: clamp
            cands.append((min(max(t, lo), hi), None))
        return cands

    def _length_miss(self, length):
        """How far ``length`` is outside ``[min_len, max_len]`` (0 inside)."""
        miss = 0.0
        if self.min_len is not None and length < self.min_len - 1e-6:
            miss = self.min_len - length
        if self.max_len is not None and length > self.max_len + 1e-6:
            miss = length - self.max_len
        return miss if length > 0 else math.inf

    def _choose(self, seg, s_cands, e_cands):
        best, best_key = None, None
        for rs, (s, s_kind) in enumerate(s_cands):
            for re_, (e, e_kind) in enumerate(e_cands):
                key = (self._length_miss(e - s), rs + re_, rs)
                if best_key is None or key < best_key:
                    best, best_key = (s, s_kind, e, e_kind), key
        return best

    def _guard_start(self, s, kind, e, spans, latest=math.inf):
        """A start in the last ``guard`` seconds before a shot change moves to the new shot (not after ``latest``)."""
        if kind == 'cut' or self.guard <= 0:
            return s, kind
        for begin, end in spans:  # (old shot ends, new shot begins) of each transition
            if s < begin + 1e-9 and begin - s <= self.guard + 1e-9 and end < e and end <= latest + 1e-9:
                if self._length_miss(e - end) <= self._length_miss(e - s):
                    return end, 'guard'
        return s, kind

    def _guard_end(self, s, e, kind, spans, earliest=-math.inf):
        """An end in the first ``guard`` seconds after a shot change moves back to the old shot (not before
        ``earliest``)."""
        if kind == 'cut' or self.guard <= 0:
            return e, kind
        for begin, end in spans:
            if e > end - 1e-9 and e - end <= self.guard + 1e-9 and begin > s and begin >= earliest - 1e-9:
                if self._length_miss(begin - s) <= self._length_miss(e - s):
                    return begin, 'guard'
        return e, kind


def snap_segments(segments, transitions=(), envelope=None, duration=None, **kwargs):
    """:class:`EdgeSnapper` ``(**kwargs)`` applied once."""
    return EdgeSnapper(**kwargs)(segments, transitions, envelope, duration)
