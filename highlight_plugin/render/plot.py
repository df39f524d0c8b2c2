"""The saliency curve of a video: a PNG (matplotlib) and an interactive SVG for the report page.

A long video has thousands of scores: drawn one by one, an hour is a solid band. Both drawings reduce the curve to
at most ``max_points`` bins (the spread of each bin drawn as a light band; the curve itself as a thin line when it
has fewer points) and draw a smoothed line over it (a Gaussian over about 1/150 of the video: 48 s of a two-hour
film, nothing on a short clip).
Time is labelled h:mm:ss at round steps. Chosen segments are shaded and numbered, shot changes ticked along the
bottom, and football events (segments with a ``class``) drawn as markers on one lane per class.
"""
import html
import math

import numpy as np

from ..engine.fileio import atomic_path

SEGMENT_COLOUR = '#ff7f0e'
CURVE_COLOUR = '#1f77b4'
CLASS_COLOURS = ('#d62728', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f',
                 '#1f77b4', '#ff7f0e')
_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400)


def hms(seconds, precise=False):
    """``h:mm:ss`` (``precise``: with tenths)."""
    sign = '-' if seconds < 0 else ''
    seconds = abs(seconds)
    whole = int(seconds) if precise else int(round(seconds))
    text = f'{sign}{whole // 3600:d}:{whole // 60 % 60:02d}:{whole % 60:02d}'
    return text + f'.{int((seconds - whole) * 10):d}' if precise else text


def time_ticks(duration, target=8):
    """Round tick times (s) for an axis of ``duration`` seconds, about ``target`` of them."""
    step = next((s for s in _STEPS if duration / s <= target), _STEPS[-1])
    return np.arange(0, duration + 1e-9, step)


def curve_summary(scores, clip_len, max_points=1200, smooth=None):
    """The curve reduced for drawing: ``dict(times, mean, lo, hi, smooth)`` over at most ``max_points`` bins.

    ``lo``/``hi`` are each bin's minimum and maximum (equal to ``mean`` when a bin is one score); ``smooth`` is a
    Gaussian-smoothed ``mean`` whose width is ``smooth`` seconds (default ``duration / 150``; none below 3 bins).
    """
    scores = np.asarray(scores, np.float64).reshape(-1)
    n = len(scores)
    if n == 0:
        empty = np.zeros(0)
        return dict(times=empty, mean=empty, lo=empty, hi=empty, smooth=empty)
    bins = min(n, max_points)
    edges = np.linspace(0, n, bins + 1).round().astype(int)
    idx = np.repeat(np.arange(bins), np.diff(edges))
    counts = np.bincount(idx, minlength=bins)
    mean = np.bincount(idx, scores, minlength=bins) / counts
    lo = np.full(bins, np.inf)
    hi = np.full(bins, -np.inf)
    np.minimum.at(lo, idx, scores)
    np.maximum.at(hi, idx, scores)
    times = (edges[:-1] + edges[1:]) / 2 * clip_len
    width = (n * clip_len / 150) if smooth is None else smooth
    bin_len = n * clip_len / bins
    sigma = width / bin_len
    smoothed = mean if sigma < 1.5 else _gaussian(mean, sigma)
    return dict(times=times, mean=mean, lo=lo, hi=hi, smooth=smoothed)


def _gaussian(values, sigma):
    radius = int(math.ceil(3 * sigma))
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    padded = np.pad(values, radius, mode='edge')
    return np.convolve(padded, kernel / kernel.sum(), mode='valid')


def _event_time(seg):
    return float(seg.get('event', (seg['start'] + seg['end']) / 2))


def event_lanes(segments, classes=None):
    """Football events (segments with a ``class``): ``{class: [segment, ...]}``, in the order of ``classes`` (all
    of them, so that several timelines share their lanes) or first seen."""
    lanes = {str(c): [] for c in classes or ()}
    for seg in segments:
        if seg.get('class') is not None:
            lanes.setdefault(str(seg['class']), []).append(seg)
    return lanes


def plot_saliency(scores, clip_len, segments, out_path, title=None, transitions=(), duration=None, max_points=1200):
    """Write the curve as a PNG (see the module doc); ``transitions``: shot changes (objects or dicts with
    ``time``)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    curve = curve_summary(scores, clip_len, max_points)
    duration = float(duration or len(scores) * clip_len or 1e-6)
    lanes = event_lanes(segments)
    rows = 2 if lanes else 1
    fig, axes = plt.subplots(rows, 1, figsize=(12, 3.2 + 0.35 * len(lanes)), dpi=100, sharex=True, squeeze=False,
                             gridspec_kw=dict(height_ratios=[3, max(1, 0.4 * len(lanes))][:rows]))
    ax = axes[0, 0]
    if len(curve['times']):
        if len(curve['times']) < len(scores) or not np.allclose(curve['lo'], curve['hi']):
            ax.fill_between(curve['times'], curve['lo'], curve['hi'], color=CURVE_COLOUR, alpha=0.18, lw=0,
                            label='spread')
        if len(curve['times']) == len(scores):
            ax.plot(curve['times'], curve['mean'], color=CURVE_COLOUR, lw=0.8, alpha=0.7, label='saliency')
        if curve['smooth'] is not curve['mean']:
            ax.plot(curve['times'], curve['smooth'], color='#0b3d91', lw=1.6, label='smoothed')
    for i, seg in enumerate(sorted(segments, key=lambda s: s['start'])):
        ax.axvspan(seg['start'], seg['end'], color=SEGMENT_COLOUR, alpha=0.3, label='highlight' if i == 0 else None)
    for i, seg in enumerate(segments):
        ax.text((seg['start'] + seg['end']) / 2, 1.01, str(i + 1), ha='center', va='bottom', fontsize=8,
                transform=ax.get_xaxis_transform())
    for i, t in enumerate(transitions or ()):
        when = float(t['time'] if isinstance(t, dict) else t.time)
        ax.axvline(when, ymin=0, ymax=0.06, color='#444', lw=0.6, alpha=0.7, label='shot change' if i == 0 else None)
    ax.set_xlim(0, duration)
    ax.set_ylabel('score')
    if title:
        ax.set_title(title, fontsize=10, pad=14)
    ax.legend(loc='upper right', fontsize=8, ncol=5)
    if lanes:
        lane_ax = axes[1, 0]
        for row, (name, segs) in enumerate(lanes.items()):
            colour = CLASS_COLOURS[row % len(CLASS_COLOURS)]
            lane_ax.scatter([_event_time(s) for s in segs], [row] * len(segs), color=colour, marker='v', s=40)
        lane_ax.set_yticks(range(len(lanes)), list(lanes), fontsize=8)
        lane_ax.set_ylim(len(lanes) - 0.5, -0.5)
    bottom = axes[-1, 0]
    ticks = time_ticks(duration)
    bottom.set_xticks(ticks)
    bottom.xaxis.set_major_formatter(FuncFormatter(lambda v, _: hms(v)))
    bottom.set_xlabel('time (h:mm:ss)')
    fig.tight_layout()
    try:
        with atomic_path(out_path) as tmp:
            fig.savefig(tmp, format='png')
    finally:
        plt.close(fig)
    return out_path


def saliency_svg(scores, clip_len, segments, duration=None, transitions=(), width=1100, height=240, max_points=1200,
                 classes=None):
    """The curve as inline SVG for the report page: the same drawing as :func:`plot_saliency`, with the time
    scale in ``data-`` attributes (``data-t0``, ``data-t1`` over ``data-x0`` .. ``data-x1``) for click-to-play, a
    tooltip on every segment, shot change and event, and one lane per football event class (``classes``: the lanes
    and their colours, in order, when several timelines must agree)."""
    curve = curve_summary(scores, clip_len, max_points) if scores is not None else None
    duration = float(duration or (len(scores) * clip_len if scores is not None else 0) or
                     max([s['end'] for s in segments], default=1.0))
    lanes = event_lanes(segments, classes)
    left, right, top = 48, 32, 18
    curve_h = height - 58 if curve is not None and len(curve['times']) else 0
    lane_h = 18
    total_h = top + curve_h + (len(lanes) * lane_h + 10 if lanes else 0) + 34
    plot_w = width - left - right

    def x(t):
        return left + plot_w * min(max(t / duration, 0.0), 1.0) if duration > 0 else left

    out = [f'<svg id="curve" class="curve" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {total_h}" '
           f'width="100%" data-t0="0" data-t1="{duration:.3f}" data-x0="{left}" data-x1="{left + plot_w}" '
           f'data-width="{width}" role="img" aria-label="saliency over time; click to play from there">',
           f'<rect x="{left}" y="{top}" width="{plot_w}" '
           f'height="{max(curve_h, 1) + (len(lanes) * lane_h if lanes else 0)}" fill="#fafafa" stroke="#ddd"/>']
    if curve_h:
        lo_v = float(np.min(curve['lo']))
        hi_v = float(np.max(curve['hi']))
        span = hi_v - lo_v or 1.0

        def y(v):
            return top + curve_h - (v - lo_v) / span * (curve_h - 6) - 3

        for v in (lo_v, (lo_v + hi_v) / 2, hi_v):
            out.append(f'<text x="{left - 4}" y="{y(v) + 3:.1f}" class="ylab" text-anchor="end">{v:.2f}</text>')
        for i, seg in enumerate(segments, 1):
            x0, x1 = x(seg['start']), x(seg['end'])
            tip = f'#{i} {hms(seg["start"])}–{hms(seg["end"])}, score {seg.get("score", float("nan")):.3f}'
            out.append(f'<rect class="seg" data-seg="{i}" x="{x0:.1f}" y="{top}" width="{max(x1 - x0, 1):.1f}" '
                       f'height="{curve_h}" fill="{SEGMENT_COLOUR}" fill-opacity="0.28"><title>{html.escape(tip)}'
                       f'</title></rect>')
            out.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{top - 5}" class="seglab" text-anchor="middle">{i}</text>')
        xs = [x(t) for t in curve['times']]
        if not np.allclose(curve['lo'], curve['hi']):
            upper = ' '.join(f'{a:.1f},{y(v):.1f}' for a, v in zip(xs, curve['hi']))
            lower = ' '.join(f'{a:.1f},{y(v):.1f}' for a, v in zip(xs[::-1], curve['lo'][::-1]))
            out.append(f'<polygon class="spread" points="{upper} {lower}" fill="{CURVE_COLOUR}" fill-opacity="0.18"/>')
        if len(curve['times']) == len(scores):  # one point per score: the curve itself (binned: the band says it)
            line = ' '.join(f'{a:.1f},{y(v):.1f}' for a, v in zip(xs, curve['mean']))
            out.append(f'<polyline class="mean" points="{line}" fill="none" stroke="{CURVE_COLOUR}" '
                       f'stroke-opacity="0.7" stroke-width="1"/>')
        if curve['smooth'] is not curve['mean']:
            line = ' '.join(f'{a:.1f},{y(v):.1f}' for a, v in zip(xs, curve['smooth']))
            out.append(f'<polyline class="smooth" points="{line}" fill="none" stroke="#0b3d91" stroke-width="1.8"/>')
    lane_top = top + curve_h + (6 if curve_h else 0)
    shot_y = top + curve_h if curve_h else lane_top + (len(lanes) * lane_h if lanes else 0)  # bottom of the plot
    for t in transitions or ():
        when = float(t['time'] if isinstance(t, dict) else t.time)
        kind = t.get('kind', 'cut') if isinstance(t, dict) else getattr(t, 'kind', 'cut')
        out.append(f'<line class="shot" x1="{x(when):.1f}" x2="{x(when):.1f}" y1="{shot_y - 10}" '
                   f'y2="{shot_y}" stroke="#333" stroke-width="1"><title>{html.escape(kind)} at '
                   f'{hms(when, precise=True)}</title></line>')
    for row, (name, segs) in enumerate(lanes.items()):
        colour = CLASS_COLOURS[row % len(CLASS_COLOURS)]
        cy = lane_top + row * lane_h + lane_h / 2
        out.append(f'<text x="{left - 4}" y="{cy + 4:.1f}" class="lane" text-anchor="end">{html.escape(name)}</text>')
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{cy:.1f}" y2="{cy:.1f}" stroke="#e4e4e4"/>')
        for seg in segs:
            x0, x1 = x(seg['start']), x(seg['end'])
            out.append(f'<rect class="span" x="{x0:.1f}" y="{cy - 4:.1f}" width="{max(x1 - x0, 1):.1f}" height="8" '
                       f'fill="{colour}" fill-opacity="0.22"/>')
        for seg in segs:
            t = _event_time(seg)
            tip = f'{name} {seg.get("clock") or hms(t)}'
            if seg.get('confidence') is not None:
                tip += f' ({float(seg["confidence"]):.2f})'
            out.append(f'<path class="event" data-t="{t:.3f}" data-half="{seg.get("half", "")}" '
                       f'd="M{x(t) - 5:.1f},{cy - 5:.1f} L{x(t) + 5:.1f},{cy - 5:.1f} L{x(t):.1f},{cy + 5:.1f} Z" '
                       f'fill="{colour}"><title>{html.escape(tip)}</title></path>')
    axis_y = lane_top + (len(lanes) * lane_h if lanes else 0) + (4 if lanes else 0)
    for t in time_ticks(duration):
        out.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{axis_y}" y2="{axis_y + 4}" stroke="#666"/>')
        out.append(f'<text x="{x(t):.1f}" y="{axis_y + 16}" class="xlab" text-anchor="middle">{hms(t)}</text>')
    out.append(f'<line id="cursor" x1="{left}" x2="{left}" y1="{top}" y2="{axis_y}" stroke="#c00" '
               f'stroke-width="1.5" visibility="hidden"/>')
    out.append('</svg>')
    return '\n'.join(out)
