"""Film/episode decoding: per-clip saliency scores -> ranked, non-overlapping highlight segments.

Peaks of the (optionally smoothed) score curve seed segments; each grows while its neighbours stay close to
the peak, then is brought within [min_len, max_len] seconds. Segments are taken best first (mean score),
skipping any that overlaps one already taken, until ``top_k`` or the total-duration ``budget`` is reached.
"""
import numpy as np
from mmaction.registry import TASK_UTILS


@TASK_UTILS.register_module()
class SaliencySegmentDecoder:
    """Turn a saliency curve into highlight segments.

    Args:
        min_len, max_len (float): segment duration limits in seconds (short-form platforms: 15-60 s).
        top_k (int): at most this many segments.
        budget (float | None): at most this many seconds in total.
        rel_threshold (float): a segment grows over clips scoring at least this fraction of its peak.
        smooth (int): moving-average width in clips applied before peak finding (1 = none).
    """

    def __init__(self, min_len=15.0, max_len=60.0, top_k=10, budget=None, rel_threshold=0.8, smooth=1):
        if not 0 < min_len <= max_len:
            raise ValueError(f'need 0 < min_len <= max_len, got {min_len}, {max_len}')
        self.min_len, self.max_len, self.top_k, self.budget = min_len, max_len, top_k, budget
        self.rel_threshold, self.smooth = rel_threshold, smooth

    def __call__(self, scores, clip_len, duration=None):
        """Return ``[dict(start, end, score), ...]`` in seconds, best first."""
        scores = np.asarray(scores, dtype=np.float64)
        if scores.ndim != 1 or not np.isfinite(scores).all():
            raise ValueError('scores must be a finite 1-D array')
        if scores.size == 0:
            return []
        total = scores.size if duration is None else min(scores.size, int(np.ceil(duration / clip_len)))
        curve = self._smoothed(scores[:total])
        min_clips = min(total, max(1, int(round(self.min_len / clip_len))))
        max_clips = max(min_clips, int(self.max_len // clip_len))

        candidates = [self._grow(curve, p, min_clips, max_clips) for p in _peaks(curve)]
        candidates.sort(key=lambda c: -c[2])
        taken, used = [], 0.0
        covered = np.zeros(total, bool)
        for lo, hi, score in candidates:
            seconds = (hi - lo) * clip_len
            if covered[lo:hi].any() or (self.budget is not None and used + seconds > self.budget + 1e-9):
                continue
            covered[lo:hi] = True
            used += seconds
            end = hi * clip_len if duration is None else min(hi * clip_len, duration)
            taken.append(dict(start=round(lo * clip_len, 3), end=round(end, 3), score=round(float(score), 4)))
            if len(taken) == self.top_k:
                break
        return taken

    def _smoothed(self, scores):
        if self.smooth <= 1:
            return scores
        kernel = np.ones(self.smooth) / self.smooth
        padded = np.pad(scores, (self.smooth // 2, (self.smooth - 1) // 2), mode='edge')
        return np.convolve(padded, kernel, mode='valid')

    def _grow(self, curve, peak, min_clips, max_clips):
        """Clip range [lo, hi) around ``peak`` and its mean score."""
        floor = curve[peak] * self.rel_threshold if curve[peak] > 0 else curve[peak]
        lo, hi = peak, peak + 1
        while hi - lo < max_clips:
            left = curve[lo - 1] if lo > 0 and curve[lo - 1] >= floor else -np.inf
            right = curve[hi] if hi < curve.size and curve[hi] >= floor else -np.inf
            if left == right == -np.inf:
                break
            if left >= right:
                lo -= 1
            else:
                hi += 1
        while hi - lo < min_clips:  # too short: extend towards the better neighbour
            left = curve[lo - 1] if lo > 0 else -np.inf
            right = curve[hi] if hi < curve.size else -np.inf
            if left >= right:
                lo -= 1
            else:
                hi += 1
        return lo, hi, curve[lo:hi].mean()


def _peaks(curve):
    """Indices of local maxima (the first clip of a plateau), highest first."""
    left = np.concatenate([[-np.inf], curve[:-1]])
    right = np.concatenate([curve[1:], [-np.inf]])
    idx = np.flatnonzero((curve > left) & (curve >= right))
    return idx[np.argsort(-curve[idx], kind='stable')]
