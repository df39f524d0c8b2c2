"""Band-limited resampling equal to ``resampy.resample(x, sr_orig, sr_new)`` (resampy 0.2-0.4, filter
'kaiser_best'), as V&D's VGGish extraction applies it to every 0.5-s chunk on its own.

resampy interpolates each output sample ``t`` at input time ``t * sr_orig / sr_new`` with a Kaiser-windowed sinc
(50 zero crossings, 2^13 table entries per crossing, linear interpolation between entries), scaled by the rate
ratio when downsampling, with the signal taken as zero outside the chunk. For a fixed chunk length that is a fixed
sparse matrix: built here once per ``(length, rates)`` with resampy's own float64 arithmetic for the tap
positions and weights, then applied to a batch of chunks. Results equal resampy's to float64 rounding (the sums
run in another order). The filter table is regenerated from resampy's parameters (its shipped
``kaiser_best.npz``: max difference 3.5e-11).
"""
from functools import lru_cache
from typing import Tuple

import numpy as np

# resampy's kaiser_best filter
NUM_ZEROS, PRECISION = 50, 13
ROLLOFF = 0.9173473712608761
BETA = 12.984585309809173


@lru_cache(maxsize=1)
def kaiser_best() -> Tuple[np.ndarray, int]:
    """Right half of the interpolation window (409,601 taps) and the table entries per zero crossing."""
    num_table = 2 ** PRECISION
    n = num_table * NUM_ZEROS
    sinc = ROLLOFF * np.sinc(ROLLOFF * np.linspace(0, NUM_ZEROS, num=n + 1, endpoint=True))
    return np.kaiser(2 * n + 1, BETA)[n:] * sinc, num_table


def _taps(position: np.ndarray, win: np.ndarray, delta: np.ndarray, num_table: int, scale: float, limit: np.ndarray):
    """Weights ``(n_out, taps)`` of one wing from the fractional ``position`` in [0, scale], and how many apply."""
    index_step = int(scale * num_table)
    index_frac = position * num_table
    offset = index_frac.astype(np.int64)  # int(): truncation, the values are >= 0
    eta = index_frac - offset
    count = np.minimum(limit, (len(win) - offset) // index_step)
    idx = offset[:, None] + np.arange(max(int(count.max()), 0))[None] * index_step
    valid = np.arange(idx.shape[1])[None] < count[:, None]
    idx = np.where(valid, idx, 0)
    weights = np.where(valid, win[idx] + eta[:, None] * delta[idx], 0.0)
    return weights, valid


@lru_cache(maxsize=8)
def resample_matrix(n_in: int, sr_orig: int, sr_new: int):
    """The ``(n_out, n_in)`` scipy CSR matrix of resampy's resampling of one ``n_in``-sample chunk;
    ``n_out = int(n_in * sr_new / sr_orig)``."""
    from scipy import sparse
    sample_ratio = float(sr_new) / sr_orig
    n_out = int(n_in * float(sr_new) / float(sr_orig))
    if n_out < 1:
        raise ValueError(f'{n_in} samples are too few to resample from {sr_orig} to {sr_new} Hz')
    win, num_table = kaiser_best()
    if sample_ratio < 1:
        win = sample_ratio * win
    delta = np.diff(win, append=win[-1])
    scale = min(1.0, sample_ratio)
    t_out = np.arange(n_out) * (1.0 / sample_ratio)
    n = t_out.astype(np.int64)
    frac = scale * (t_out - n)
    left, left_ok = _taps(frac, win, delta, num_table, scale, n + 1)  # x[n - i]
    right, right_ok = _taps(scale - frac, win, delta, num_table, scale, n_in - n - 1)  # x[n + k + 1]
    rows = np.broadcast_to(np.arange(n_out)[:, None], left.shape)[left_ok]
    cols = (n[:, None] - np.arange(left.shape[1])[None])[left_ok]
    rows_r = np.broadcast_to(np.arange(n_out)[:, None], right.shape)[right_ok]
    cols_r = (n[:, None] + 1 + np.arange(right.shape[1])[None])[right_ok]
    return sparse.csr_matrix((np.concatenate([left[left_ok], right[right_ok]]),
                              (np.concatenate([rows, rows_r]), np.concatenate([cols, cols_r]))),
                             shape=(n_out, n_in))


def resample_chunks(x: np.ndarray, sr_orig: int, sr_new: int) -> np.ndarray:
    """Resample every row of ``x`` ``(B, n_in)`` on its own, as ``resampy.resample(row, sr_orig, sr_new)``:
    float64 ``(B, int(n_in * sr_new / sr_orig))``."""
    x = np.asarray(x, np.float64)
    if sr_orig == sr_new:
        return x.copy()
    m = resample_matrix(x.shape[1], int(sr_orig), int(sr_new))
    return np.asarray(m @ np.ascontiguousarray(x.T)).T
