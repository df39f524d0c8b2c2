"""The saliency curve of a video as a PNG (matplotlib), and what the drawings share (bins, ticks, lanes); the
interactive SVG of the report page is :mod:`.curve`.

A long video has thousands of scores: drawn one by one, an hour is a solid band. Both drawings reduce the curve to
at most ``max_points`` bins (the spread of each bin drawn as a light band; the curve itself as a thin line when it
has fewer points) and draw a smoothed line over it (a Gaussian over about 1/150 of the video: 48 s of a two-hour
film, nothing on a short clip).
Time is labelled h:mm:ss at round steps. Chosen segments are shaded and numbered, shot changes ticked along the
bottom, and football events (segments with a ``class``) drawn as markers on one lane per class.
"""
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
