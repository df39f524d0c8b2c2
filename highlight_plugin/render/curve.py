"""The interactive saliency curve of the report page: its geometry (:func:`curve_view`), drawn as inline SVG by the
``curve.svg.j2`` template (autoescaped).

The same drawing as :func:`~.plot.plot_saliency`, with the time scale in ``data-`` attributes (``data-t0``,
``data-t1`` over ``data-x0`` .. ``data-x1``) for click-to-play, a tooltip on every segment, shot change and event,
and one lane per football event class.
"""
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from .plot import CLASS_COLOURS, CURVE_COLOUR, SEGMENT_COLOUR, _event_time, curve_summary, event_lanes, hms, time_ticks
from .templates import render_template

LANE_HEIGHT = 18


@dataclass(frozen=True)
class CurveLayout:
    """The drawing's size (SVG units; it scales to the page) and how many bins the curve keeps at most."""
    width: int = 1100
    height: int = 240
    max_points: int = 1200
    left: int = 48
    right: int = 32
    top: int = 18


@dataclass
class _Scale:
    """Time -> x and score -> y."""
    left: float
    width: float
    duration: float
    top: float = 0.0
    height: float = 0.0
    lo: float = 0.0
    span: float = 1.0

    def x(self, t):
        return self.left + self.width * min(max(t / self.duration, 0.0), 1.0) if self.duration > 0 else self.left

    def y(self, v):
        return self.top + self.height - (v - self.lo) / self.span * (self.height - 6) - 3


def _points(xs, values, scale):
    return ' '.join(f'{a:.1f},{scale.y(v):.1f}' for a, v in zip(xs, values))


def _curve_parts(curve, scores, segments, scale):
    """The y labels, the shaded segments and the lines of the curve."""
    out = dict(ylabels=[(scale.y(v), f'{v:.2f}') for v in (scale.lo, scale.lo + scale.span / 2,
                                                           scale.lo + scale.span)], segments=[])
    for i, seg in enumerate(segments, 1):
        x0, x1 = scale.x(seg['start']), scale.x(seg['end'])
        out['segments'].append(dict(rank=i, x=x0, width=max(x1 - x0, 1), centre=(x0 + x1) / 2, tip=(
            f'#{i} {hms(seg["start"])}–{hms(seg["end"])}, score {seg.get("score", float("nan")):.3f}')))
    xs = [scale.x(t) for t in curve['times']]
    out['spread'] = None if np.allclose(curve['lo'], curve['hi']) else (
        _points(xs, curve['hi'], scale) + ' ' + _points(xs[::-1], curve['lo'][::-1], scale))
    # one point per score: the curve itself (binned: the band says it)
    out['mean'] = _points(xs, curve['mean'], scale) if len(curve['times']) == len(scores) else None
    out['smooth'] = None if curve['smooth'] is curve['mean'] else _points(xs, curve['smooth'], scale)
    return out


def _lanes(segments, classes, scale, lane_top):
    """One lane per football event class: its spans and event markers."""
    lanes = []
    for row, (name, segs) in enumerate(event_lanes(segments, classes).items()):
        cy = lane_top + row * LANE_HEIGHT + LANE_HEIGHT / 2
        events = []
        for seg in segs:
            t = _event_time(seg)
            tip = f'{name} {seg.get("clock") or hms(t)}'
            if seg.get('confidence') is not None:
                tip += f' ({float(seg["confidence"]):.2f})'
            x = scale.x(t)
            events.append(dict(t=t, half=seg.get('half', ''), tip=tip,
                               d=f'M{x - 5:.1f},{cy - 5:.1f} L{x + 5:.1f},{cy - 5:.1f} L{x:.1f},{cy + 5:.1f} Z'))
        spans = [dict(x=scale.x(s['start']), width=max(scale.x(s['end']) - scale.x(s['start']), 1)) for s in segs]
        lanes.append(dict(name=name, colour=CLASS_COLOURS[row % len(CLASS_COLOURS)], y=cy, spans=spans,
                          events=events))
    return lanes


def curve_view(scores, clip_len, segments, duration=None, transitions=(), classes: Optional[Sequence[str]] = None,
               layout: CurveLayout = CurveLayout()) -> dict:
    """What the SVG template draws: the curve (``scores`` of ``clip_len`` seconds, or None: the segments only), the
    ranked ``segments``, shot changes (``transitions``: objects or dicts with ``time`` and ``kind``) and football
    event lanes (``classes``: the lanes and their colours, in order, when several timelines must agree)."""
    curve = curve_summary(scores, clip_len, layout.max_points) if scores is not None else None
    duration = float(duration or (len(scores) * clip_len if scores is not None else 0) or
                     max([s['end'] for s in segments], default=1.0))
    curve_h = layout.height - 58 if curve is not None and len(curve['times']) else 0
    n_lanes = len(event_lanes(segments, classes))
    scale = _Scale(layout.left, layout.width - layout.left - layout.right, duration, layout.top, curve_h)
    view = dict(layout=layout, scale=scale, duration=duration, curve_h=curve_h, ylabels=[], segments=[],
                spread=None, mean=None, smooth=None, colours=dict(segment=SEGMENT_COLOUR, curve=CURVE_COLOUR))
    if curve_h:
        scale.lo, hi = float(np.min(curve['lo'])), float(np.max(curve['hi']))
        scale.span = hi - scale.lo or 1.0
        view.update(_curve_parts(curve, scores, segments, scale))
    lane_top = layout.top + curve_h + (6 if curve_h else 0)
    shot_y = layout.top + curve_h if curve_h else lane_top + n_lanes * LANE_HEIGHT  # the bottom of the plot
    view['shots'] = [dict(x=scale.x(float(t['time'] if isinstance(t, dict) else t.time)), y=shot_y, tip=(
        f'{t.get("kind", "cut") if isinstance(t, dict) else getattr(t, "kind", "cut")} at '
        f'{hms(float(t["time"] if isinstance(t, dict) else t.time), precise=True)}')) for t in transitions or ()]
    view['lanes'] = _lanes(segments, classes, scale, lane_top)
    axis_y = lane_top + (n_lanes * LANE_HEIGHT + 4 if n_lanes else 0)
    view.update(axis_y=axis_y, total_h=layout.top + curve_h + (n_lanes * LANE_HEIGHT + 10 if n_lanes else 0) + 34,
                ticks=[(scale.x(t), hms(t)) for t in time_ticks(duration)],
                background=max(curve_h, 1) + n_lanes * LANE_HEIGHT)
    return view


def saliency_svg(scores, clip_len, segments, duration=None, transitions=(), classes=None,
                 layout: CurveLayout = CurveLayout(), file_key: str = '') -> str:
    """The curve as inline SVG (see :func:`curve_view`); ``file_key`` names the timeline's file on a page with
    several (its ids get the key as a suffix)."""
    view = curve_view(scores, clip_len, segments, duration, transitions, classes, layout)
    return render_template('curve.svg.j2', view=view, key=file_key)
