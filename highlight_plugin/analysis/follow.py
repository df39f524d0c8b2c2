"""9:16 that follows the action: where to place a vertical window in each frame of a clip.

:class:`ActivityProfile` is fed the same small frames as the shot detector (a low-resolution branch of the feature
decode, any size: 64x36 squashed is plenty) and keeps, per ``bin`` of 0.2 s, how much each column of the picture
moves (the mean absolute difference of consecutive frames) and how much detail it holds (horizontal and vertical
gradients of the bin's last frame, the tie-breaker in still shots): 2 x ``columns`` float16 numbers per bin,
about 9 MB for two hours at 64 columns, never the frames.

:func:`follow_track` turns it into a window path for a clip, shot by shot: per bin, the window position that holds
most activity (motion first, detail as a fallback); then, per shot, the smooth path nearest to those positions,
trusting each bin by how much activity it has and how clearly one position wins (a penalised least-squares fit,
a Whittaker smoother: it holds still when nothing moves and glides when the action moves). The path jumps only at
shot changes. :func:`highlight_plugin.render.cut.cut_clip` renders it (``vertical='follow'``) in the same encode as
the cut, by ``sendcmd`` commands to ``crop``.
"""
from dataclasses import dataclass
from typing import List, Sequence, Tuple

import numpy as np


class ActivityProfile:
    """Streaming per-column motion and detail of small frames, binned in time.

    Args:
        fps (float): frame rate of the frames pushed (frame ``i`` at ``i / fps`` s).
        bin_seconds (float): time resolution of the profile.
    """

    def __init__(self, fps, bin_seconds=0.2):
        if fps <= 0:
            raise ValueError(f'fps must be positive, got {fps}')
        self.fps = float(fps)
        self.per_bin = max(1, int(round(bin_seconds * fps)))
        self.bin_seconds = self.per_bin / self.fps
        self.frames = 0
        self._prev = None
        self._acc = None  # motion summed over the current bin
        self._motion, self._detail = [], []
        self._done = False

    def push(self, frames):
        """Add ``(n, h, w, 3)`` (or ``(n, h, w)``) uint8 frames, the next ones of the video."""
        frames = np.asarray(frames)
        if not len(frames):
            return
        if self._done:
            raise RuntimeError('push() after finish()')
        x = frames.astype(np.float32)
        if x.ndim == 4:
            x = x.mean(axis=3)  # luma-like: colour changes move the window as much as brightness changes
        prev = x[:1] if self._prev is None else self._prev[None]
        motion = np.abs(np.diff(np.concatenate([prev, x]), axis=0)).mean(axis=1)  # (n, w)
        if self._acc is None:
            self._acc = np.zeros(x.shape[2], np.float64)
        for i in range(len(x)):
            self._acc += motion[i]
            self.frames += 1
            if self.frames % self.per_bin == 0:
                self._close_bin(x[i])
        self._prev = x[-1]
        self._last = x[-1]

    def _close_bin(self, frame):
        self._motion.append((self._acc / self.per_bin).astype(np.float16))
        gx = np.abs(np.diff(frame, axis=1)).mean(axis=0)
        gy = np.abs(np.diff(frame, axis=0)).mean(axis=0)
        self._detail.append((np.concatenate([gx, gx[-1:]]) + gy).astype(np.float16))
        self._acc[:] = 0

    def finish(self):
        """Close the stream (a trailing partial bin counts); returns self."""
        if not self._done:
            if self.frames % self.per_bin and self._prev is not None:
                self._acc *= self.per_bin / (self.frames % self.per_bin)
                self._close_bin(self._last)
            self._done = True
        return self

    def state(self) -> dict:
        """What :meth:`from_state` rebuilds the finished profile from (a saved result keeps it)."""
        return dict(fps=self.fps, per_bin=self.per_bin, frames=self.frames, motion=self.motion.astype(np.float16),
                    detail=self.detail.astype(np.float16))

    @classmethod
    def from_state(cls, state: dict) -> 'ActivityProfile':
        """The finished profile of :meth:`state`."""
        profile = cls(state['fps'])
        profile.per_bin, profile.frames = int(state['per_bin']), int(state['frames'])
        profile.bin_seconds = profile.per_bin / profile.fps
        profile._motion, profile._detail = list(np.asarray(state['motion'])), list(np.asarray(state['detail']))
        profile._done = True
        return profile

    @property
    def motion(self) -> np.ndarray:
        """(bins, columns) mean absolute frame difference per column."""
        self.finish()
        return np.array(self._motion, np.float32).reshape(len(self._motion), -1)

    @property
    def detail(self) -> np.ndarray:
        """(bins, columns) gradient energy per column."""
        self.finish()
        return np.array(self._detail, np.float32).reshape(len(self._detail), -1)


def _window_scores(energy, width):
    """Activity inside a window of ``width`` columns (fractional: edge columns weighted) at each left edge."""
    cols = energy.shape[1]
    whole = int(np.floor(width))
    frac = width - whole
    cum = np.concatenate([np.zeros((len(energy), 1)), np.cumsum(energy, axis=1)], axis=1)
    starts = np.arange(cols - whole + 1 if frac == 0 else cols - whole)
    score = cum[:, starts + whole] - cum[:, starts]
    if frac:
        score = score + frac * energy[:, np.minimum(starts + whole, cols - 1)]
    return score, starts


def _whittaker(target, weight, smooth, jerk):
    """The path ``x`` minimising ``sum w (x - target)^2 + smooth sum (dx)^2 + jerk sum (d2x)^2``."""
    n = len(target)
    if n == 1:
        return target.copy()
    d1 = np.diff(np.eye(n), axis=0)
    a = np.diag(weight) + smooth * d1.T @ d1
    if n > 2:
        d2 = np.diff(np.eye(n), 2, axis=0)
        a += jerk * d2.T @ d2
    return np.linalg.solve(a, weight * target)


@dataclass(frozen=True)
class FollowStyle:
    """How the 9:16 window moves: ``detail_weight`` of detail against motion (both normalised per shot); ``smooth``
    and ``jerk``: how much the path resists moving and changing speed (per bin; larger: calmer). The speed term is
    small: a subject crossing the frame is followed at its pace, without a lag."""
    detail_weight: float = 0.3
    smooth: float = 1.0
    jerk: float = 100.0


def follow_track(profile: ActivityProfile, start, end, transitions=(), window=9 / 16 / (16 / 9), fps=None,
                 style: FollowStyle = FollowStyle()) -> List[Tuple[float, float]]:
    """Window centres for the frames ``[start, end)`` (seconds) of a video: ``(t, centre)`` with ``t`` from the
    clip's start and ``centre`` a fraction of the source width, one per frame at ``fps`` (default the profile's).

    Args:
        profile: the finished :class:`ActivityProfile` of the video.
        transitions: its shot changes (:class:`~highlight_plugin.analysis.shots.Transition` or dicts with ``time``).
        window: the window's width as a fraction of the source width (9:16 in 16:9: 0.316).
        style: how the window moves (:class:`FollowStyle`).
    """
    fps = fps or profile.fps
    n_frames = int(round((end - start) * fps))
    times = np.arange(n_frames) / fps
    if window >= 1 or n_frames == 0:
        return [(float(t), 0.5) for t in times]
    motion, detail = profile.motion, profile.detail
    if not len(motion):
        return [(float(t), 0.5) for t in times]
    cols = motion.shape[1]
    width = window * cols
    bin_len = profile.bin_seconds
    changes = sorted(float(t['time'] if isinstance(t, dict) else t.time) for t in transitions or ())
    bounds = [start] + [c for c in changes if start < c < end] + [end]
    centres = np.full(n_frames, 0.5)
    for s0, s1 in zip(bounds[:-1], bounds[1:]):
        b0 = int(np.floor(s0 / bin_len))
        b1 = min(max(int(np.ceil(s1 / bin_len)), b0 + 1), len(motion))
        if b0 >= b1:
            continue
        path = _shot_path(motion[b0:b1], detail[b0:b1], width, style) / cols
        bin_times = (np.arange(b0, b1) + 0.5) * bin_len
        sel = (times + start >= s0 - 1e-9) & (times + start < s1 - 1e-9)
        centres[sel] = np.interp(times[sel] + start, bin_times, path)
    half = window / 2
    return [(float(t), float(min(max(c, half), 1 - half))) for t, c in zip(times, centres)]


def _shot_path(motion, detail, width, style: FollowStyle):
    """Window centres (in columns) per bin of one shot."""
    def norm(a):
        total = a.sum()
        return a / total * a.size if total > 0 else a

    energy = norm(motion) + style.detail_weight * norm(detail)
    score, starts = _window_scores(energy, width)
    best = score.argmax(axis=1)
    # the centre of the activity inside the best window (not the window's edge when several windows tie)
    cols = np.arange(energy.shape[1]) + 0.5
    inside = (cols[None] >= starts[best][:, None]) & (cols[None] < starts[best][:, None] + width)
    mass = (energy * inside).sum(axis=1)
    target = np.where(mass > 0, (energy * inside * cols).sum(axis=1) / np.maximum(mass, 1e-9),
                      starts[best] + width / 2)
    # trust: how much of the bin's activity the best window holds beyond an average window, times the activity
    total = energy.sum(axis=1)
    gain = (score[np.arange(len(score)), best] - score.mean(axis=1)) / np.maximum(total, 1e-6)
    weight = np.maximum(gain, 0) * total / max(total.mean(), 1e-6) + 1e-3
    if weight.max() <= 1e-3 + 1e-9:  # nothing to follow: hold the centre
        return np.full(len(energy), energy.shape[1] / 2)
    return _whittaker(target, weight, style.smooth, style.jerk)


def track_inside(track: Sequence[Tuple[float, float]], boxes, source_width, window) -> np.ndarray:
    """Per frame, whether a box ``(x0, x1)`` (pixels) lies inside the window of the track (for tests and checks)."""
    out = []
    for (_, centre), (x0, x1) in zip(track, boxes):
        left = centre * source_width - window * source_width / 2
        out.append(left - 1 <= x0 and x1 <= left + window * source_width + 1)
    return np.array(out)


def window_fraction(width, height, aspect=9 / 16) -> float:
    """Width of the full-height ``aspect`` window as a fraction of a ``width`` x ``height`` frame."""
    return min(1.0, height * aspect / width)
