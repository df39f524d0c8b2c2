"""Shot boundaries from a stream of small frames (hard cuts, dissolves and fades), frame-accurate.

The detector is fed the frames of the video at its own frame rate, shrunk to a few dozen pixels (64x36 is plenty),
in chunks as they are decoded: in ``make_highlights`` a low-resolution branch of the one decode that feeds the
feature extractors. It keeps a few dozen of those tiny frames and a few numbers per frame (about 20 bytes), never the
video, and costs tens of microseconds per frame (see ``benchmarks/reel_speed.py``).

Per frame ``i`` (time ``i / fps`` from the first frame) it measures, on RGB values 0-255:

* ``d[i] = mean |f[i] - f[i-1]|``; a **hard cut** before frame ``i`` when ``d[i] >= min_score`` and ``d[i]`` is
  ``threshold`` times the mean of its ``window`` neighbours on either side (an adaptive threshold, as PySceneDetect's
  ``detect-adaptive``: fast motion raises the neighbours too), and the change lasts: ``f[i + window]`` still differs
  from ``f[i - window - 1]`` by half as much (a camera flash does not); cuts closer than ``min_shot`` keep the
  stronger one;
* for a **gradual transition** (dissolve, fade to or from black) centred on frame ``m``, with ``a = m - L`` and
  ``b = m + L`` (``L = gradual_lag`` seconds): the two ends differ (``mean |f[b] - f[a]| >= min_gradual``) while the
  middle frame is their blend (``mean |f[m] - (f[a] + f[b]) / 2| <= blend * mean |f[b] - f[a]|``; a pan or a cut
  fails that test, a linear mix of two pictures passes it) and no frame-to-frame step carries most of the change.
  Consecutive centres form one transition, placed at their middle; its extent is the run of frames around it whose
  frame-to-frame change stays near the change at its centre.

A transition has a ``time`` (the first frame of the new shot for a cut, the middle of a gradual one) and a span
``[start, end]``: clips should end at ``start`` (the old shot's last clean frame) and begin at ``end``.
"""
from dataclasses import asdict, dataclass, replace
from typing import List, Optional

import numpy as np


@dataclass
class Transition:
    """A shot change: ``kind`` 'cut', 'dissolve' or 'fade'; times in seconds from the first frame."""
    time: float
    start: float
    end: float
    kind: str = 'cut'
    score: float = 0.0  # the mean absolute RGB difference across the change (0-255)

    def as_dict(self, ndigits=3):
        return {k: (round(v, ndigits) if isinstance(v, float) else v) for k, v in asdict(self).items()}


class _Grow:
    """An append-only float32 array (amortised doubling)."""

    def __init__(self):
        self.data, self.n = np.zeros(1024, np.float32), 0

    def extend(self, values):
        values = np.asarray(values, np.float32)
        while self.n + len(values) > len(self.data):
            self.data = np.concatenate([self.data, np.zeros_like(self.data)])
        self.data[self.n:self.n + len(values)] = values
        self.n += len(values)

    def view(self):
        return self.data[:self.n]


def _mad(x, y):
    """Mean absolute difference per row of two (n, D) float32 arrays."""
    return np.abs(x - y).mean(axis=1)


@dataclass(frozen=True)
class ShotSettings:
    """The thresholds of :class:`ShotDetector`.

    Attributes:
        threshold: a cut's change over the mean change of its neighbours.
        min_score: smallest change of a cut (mean absolute RGB difference, 0-255).
        window: neighbours on each side for the adaptive threshold and the flash test.
        min_shot: seconds between two cuts (the weaker is dropped).
        gradual: also detect dissolves and fades.
        gradual_lag: half-width (s) of the blend test; transitions up to about twice as long are placed well, longer
            ones still detected.
        min_gradual: smallest change across a gradual transition.
        blend: largest residual of the blend test, relative to the change.
        dark: mean RGB level under which a frame counts as black (a dissolve to or from it is a 'fade').
    """
    threshold: float = 3.0
    min_score: float = 12.0
    window: int = 2
    min_shot: float = 0.5
    gradual: bool = True
    gradual_lag: float = 0.5
    min_gradual: float = 20.0
    blend: float = 0.2
    dark: float = 20.0


class ShotDetector:
    """Streaming shot-boundary detector (see the module doc).

    Args:
        fps (float): frame rate of the frames pushed (the source's; frame ``i`` is at ``i / fps`` s).
        settings (ShotSettings): its thresholds; ``overrides``: fields of :class:`ShotSettings` to change.
    """

    def __init__(self, fps, settings: Optional[ShotSettings] = None, **overrides):
        if fps <= 0:
            raise ValueError(f'fps must be positive, got {fps}')
        settings = replace(settings or ShotSettings(), **overrides)
        self.fps, self.threshold, self.min_score = float(fps), settings.threshold, settings.min_score
        self.window, self.min_shot, self.gradual = int(settings.window), settings.min_shot, settings.gradual
        self.min_gradual, self.blend, self.dark = settings.min_gradual, settings.blend, settings.dark
        self.lag = max(2, int(round(settings.gradual_lag * fps)))
        self._keep = max(2 * self.lag, 2 * self.window + 1)  # frames kept from one chunk to the next
        self._tail = None
        self.frames = 0
        self.block = 32
        # per frame i: d[i] = |f_i - f_{i-1}|, persist[i] = |f_i - f_{i-2 window-1}|, level[i] = mean of f_i;
        # per centre m (stored at m): across[m] = |f_{m+L} - f_{m-L}|, residual[m] = |f_m - (f_{m-L} + f_{m+L}) / 2|
        self._d, self._persist, self._level, self._across, self._residual = (_Grow() for _ in range(5))
        # the extent of a dissolve: for each centre that passes the blend test, |f_{m+k} - f_{m-k}| for k up to
        # ``reach``, from a history of the last 2 reach + 1 frames (uint8)
        self.reach = max(self.lag, int(round(1.5 * fps)))
        self._hist = np.zeros((0, 0), np.uint8)
        self._pending, self._growth = [], {}
        self._result: Optional[List[Transition]] = None

    def push(self, frames):
        """Add ``(n, h, w, 3)`` (or ``(n, h, w)``) uint8 frames, the next ones of the video."""
        frames = np.asarray(frames)
        if frames.ndim not in (3, 4) or not len(frames):
            return
        if self._result is not None:
            raise RuntimeError('push() after finish()')
        for i in range(0, len(frames), self.block):  # small blocks stay in the CPU cache
            self._push(frames[i:i + self.block].reshape(min(self.block, len(frames) - i), -1).astype(np.float32))

    def _push(self, x):
        n_old = 0 if self._tail is None else len(self._tail)
        buf = x if self._tail is None else np.concatenate([self._tail, x])
        first = self.frames - n_old  # global index of buf[0]
        self._level.extend(x.mean(axis=1))

        def lagged(lag):
            """|buf[j] - buf[j - lag]| for the new frames j (0 where the video has no frame j - lag)."""
            out = np.zeros(len(x), np.float32)
            j0 = max(n_old, lag)
            if j0 < len(buf):
                out[j0 - n_old:] = _mad(buf[j0:], buf[j0 - lag:len(buf) - lag])
            return out

        self._d.extend(lagged(1))
        self._persist.extend(lagged(2 * self.window + 1))
        # blend test on centres m = j - L for the new frames j with a full window behind them
        L = self.lag
        j0 = max(n_old, 2 * L - first)
        if j0 < len(buf):
            ends, starts, mids = buf[j0:], buf[j0 - 2 * L:len(buf) - 2 * L], buf[j0 - L:len(buf) - L]
            across = _mad(ends, starts)
            residual = np.abs(mids - (ends + starts) * 0.5).mean(axis=1)
            m0 = first + j0 - L
            if m0 > self._across.n:  # centres before the first that exists
                self._across.extend(np.zeros(m0 - self._across.n))
                self._residual.extend(np.zeros(m0 - self._residual.n))
            self._across.extend(across)
            self._residual.extend(residual)
            blend = (across >= self.min_gradual) & (residual <= self.blend * across)
            self._pending += (m0 + np.flatnonzero(blend)).tolist()
        self.frames += len(x)
        self._tail = buf[-self._keep:]
        if self.gradual:
            keep = 2 * self.reach + 1 + self.block
            self._hist = np.concatenate([self._hist, x.astype(np.uint8)])[-keep:] if len(self._hist) else \
                x.astype(np.uint8)[-keep:]
            self._grow_pending(final=False)

    def _grow_pending(self, final):
        """Growth profiles of the pending centres whose frames ``m +- reach`` have arrived (all of them at the end)."""
        start = self.frames - len(self._hist)  # global index of self._hist[0]
        waiting = []
        for m in self._pending:
            k_max = min(self.reach, m - max(start, 0), self.frames - 1 - m)
            if k_max < self.reach and not final:
                waiting.append(m)
                continue
            ks = np.arange(1, max(k_max, 1) + 1)
            j = m - start
            self._growth[m] = _mad(self._hist[j + ks].astype(np.float32), self._hist[j - ks].astype(np.float32))
        self._pending = waiting

    def finish(self) -> List[Transition]:
        """The shot changes found, by time (call once the last frames are pushed)."""
        if self._result is None:
            self._grow_pending(final=True)
            self._tail, self._hist = None, None
            cuts = self._cuts()
            found = cuts + (self._graduals(cuts) if self.gradual else [])
            if self.gradual:
                found = self._dips(found)
            self._result = sorted(found, key=lambda t: t.time)
        return self._result

    @property
    def transitions(self) -> List[Transition]:
        return self.finish()

    def times(self, edge='time'):
        """Array of the transitions' ``time`` (or ``start`` / ``end``)."""
        return np.array([getattr(t, edge) for t in self.finish()], np.float64)

    # ------------------------------------------------------------------ decisions
    def _cuts(self):
        d, persist = self._d.view(), self._persist.view()
        n, w = len(d), self.window
        if n < 2:
            return []
        padded = np.pad(d, w, mode='constant', constant_values=np.nan)
        neighbours = np.stack([padded[w + k:w + k + n] for k in range(-w, w + 1) if k])
        mean = np.nanmean(neighbours, axis=0) if n > 1 else np.zeros(n)
        mean = np.nan_to_num(mean, nan=0.0)
        later = np.full(n, np.inf, np.float32)  # |f_{i+window} - f_{i-window-1}|, inf where the video ends first
        later[:n - w] = persist[w:]
        idx = np.arange(n)
        cand = idx[(idx >= 1) & (d >= self.min_score) & (d >= self.threshold * (mean + 1.0))
                   & (later >= np.maximum(self.min_score, 0.5 * d))]
        kept = [cand[k] for k in self._spaced(cand, d[cand])]
        return [Transition(float(i / self.fps), float(i / self.fps), float(i / self.fps), 'cut', float(d[i]))
                for i in kept]

    def _spaced(self, frames, strength):
        """Indices of the candidates (at ``frames``) kept: the strongest of any closer than ``min_shot``."""
        gap = self.min_shot * self.fps
        kept = []
        for i in sorted(range(len(frames)), key=lambda i: -strength[i]):
            if all(abs(frames[i] - frames[k]) >= gap for k in kept):
                kept.append(i)
        return sorted(kept)

    def _graduals(self, cuts):
        across, residual, d, level = self._across.view(), self._residual.view(), self._d.view(), self._level.view()
        L, n = self.lag, len(across)
        if n == 0:
            return []
        m = np.arange(n)
        # the biggest frame-to-frame step between the ends: max of d[m-L+1 .. m+L]
        biggest = np.full(n, np.inf, np.float32)
        if len(d) >= 2 * L:
            steps = np.lib.stride_tricks.sliding_window_view(d, 2 * L).max(axis=1)
            k = m - L + 1
            valid = (k >= 0) & (k < len(steps))
            biggest[valid] = steps[k[valid]]
        ok = (m >= L) & (across >= self.min_gradual) & (residual <= self.blend * across) & (biggest <= 0.5 * across)
        cut_frames = np.array([round(c.time * self.fps) for c in cuts], int)
        out = []
        for group in np.split(m[ok], np.flatnonzero(np.diff(m[ok]) > 1) + 1) if ok.any() else []:
            centre = int(round((group[0] + group[-1]) / 2))
            if len(cut_frames) and np.abs(cut_frames - centre).min() <= L:
                continue  # a hard cut explains the change
            lo, hi = self._extent(group)
            dark = min(level[lo - 1], level[min(hi, len(level) - 1)]) < self.dark
            out.append(Transition(float(centre / self.fps), float(lo / self.fps), float(hi / self.fps),
                                  'fade' if dark else 'dissolve',
                                  float(across[centre])))
        frames = [t.time * self.fps for t in out]
        return [out[i] for i in self._spaced(frames, [t.score for t in out])]

    def _dips(self, found):
        """Fades through black: a run of dark frames entered or left gradually becomes one 'fade' from the old
        shot's last clean frame to the new one's first, absorbing the cuts and blends found inside it."""
        level = self._level.view()
        dark = level < self.dark
        if not dark.any():
            return found
        edges = np.flatnonzero(np.diff(np.concatenate([[0], dark.astype(np.int8), [0]])))
        reach = int(round(2 * self.fps))
        for r0, r1 in zip(edges[::2], edges[1::2]):  # dark frames r0 .. r1 - 1
            if r0 == 0 or r1 >= len(level):
                continue  # the video starts or ends in black
            lo = r0  # walk back over the fade-out (the picture brightens going back) to the last clean frame
            while lo > max(r0 - reach, 1) and level[lo - 1] > level[lo] + 0.5:
                lo -= 1
            hi = r1  # and forward over the fade-in to the first clean frame
            while hi < min(r1 + reach, len(level) - 1) and level[hi + 1] > level[hi] + 0.5:
                hi += 1
            lo += 1  # the first frame of the fade
            if lo >= r0 and hi <= r1:
                continue  # hard cuts in and out of black: the cuts say it
            t0, t1 = float(lo / self.fps), float(hi / self.fps)
            inside = [t for t in found if t0 - 1e-9 <= t.time <= t1 + 1e-9]
            found = [t for t in found if t not in inside]
            score = float(max([t.score for t in inside], default=abs(level[lo - 1] - level[hi])))
            found.append(Transition(float((r0 + r1 - 1) / 2 / self.fps), t0, t1, 'fade', score))
        return found

    def _extent(self, group):
        """First frame of the transition and first clean frame after it. Across a linear mix of two pictures
        ``g(k) = |f[m+k] - f[m-k]|`` grows with ``k`` until ``k`` reaches the half-length, then stays (or drifts
        with the motion in the shots): the half-length is the knee of the best two-piece line fit of ``g``. A mix
        longer than twice ``reach`` has no knee in sight; its length is then taken from the run of centres that
        passed the blend test (``2 lag`` longer than the mix's middle part)."""
        centre = int(round((group[0] + group[-1]) / 2))
        growth = self._growth.get(centre)
        if growth is None:
            growth = self._growth[min(group, key=lambda m: abs(m - centre))]
        half = _knee(growth)
        if half is None:
            half = (len(group) + 2 * self.lag - 1) // 2
        return centre - half + 1, centre + half


def _knee(g):
    """``h`` (1-based) minimising the squared error of a line through the origin over ``g[:h]`` and a free line over
    ``g[h-1:]``; None when the best knee is at the end (no plateau)."""
    k = np.arange(1, len(g) + 1, dtype=np.float64)
    if len(g) < 4:
        return None
    best, best_h = np.inf, None
    for h in range(1, len(g) - 1):
        left_k, left_g = k[:h], g[:h]
        a = (left_k @ left_g) / (left_k @ left_k)
        sse = ((left_g - a * left_k) ** 2).sum()
        right_k, right_g = k[h - 1:], g[h - 1:]
        slope, icept = np.polyfit(right_k, right_g, 1)
        sse += ((right_g - slope * right_k - icept) ** 2).sum()
        if sse < best:
            best, best_h = sse, h
    return None if best_h is None or best_h >= len(g) - 2 else best_h


def detect_shots(frames_iter, fps, **kwargs) -> List[Transition]:
    """Run a :class:`ShotDetector` over an iterable of frame chunks."""
    det = ShotDetector(fps, **kwargs)
    for chunk in frames_iter:
        det.push(chunk)
    return det.finish()
