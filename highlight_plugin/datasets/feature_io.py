"""Reading feature files (``.npy`` / ``.npz``) with clear errors and a small per-process cache.

A *feature source* is ``dict(path=..., key=None | 'features' | 'arr_0' | ..., repeat=1)``: one array of shape
(rows, channels) whose rows are repeated ``repeat`` times along time (Hotstar's 2-s audio rows on a 1-s grid).
"""
import os.path as osp
import zipfile
from collections import OrderedDict

import numpy as np

from ..engine.errors import DataError


def _check_exists(path):
    if not osp.isfile(path):
        raise DataError(f'feature file not found: {path}')


def read_array(path, key=None):
    """Load one 2-D float32 array from ``path`` (``.npy``, or member ``key`` of a ``.npz``)."""
    _check_exists(path)
    try:
        if path.endswith('.npz'):
            with np.load(path) as npz:
                key = key or _single_key(npz.files, path)
                if key not in npz.files:
                    raise DataError(f'{path}: no array named {key!r} (found {sorted(npz.files)})')
                arr = npz[key]
        else:
            arr = np.load(path, mmap_mode=None)
    except DataError:
        raise
    except Exception as exc:  # corrupt or truncated file
        raise DataError(f'cannot read feature file {path}: {exc}') from None
    if arr.ndim != 2:
        raise DataError(f'{path}: expected a 2-D (time, channels) array, got shape {arr.shape}')
    arr = np.asarray(arr, dtype=np.float32)
    if not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr).all(axis=1))[0])
        raise DataError(f'{path}: NaN or Inf in the features (first at row {bad})')
    return arr


def array_length(path, key=None):
    """Number of rows of a stored array, read from its header only (no data loaded)."""
    _check_exists(path)
    try:
        if path.endswith('.npz'):
            with zipfile.ZipFile(path) as zf:
                names = [n[:-4] for n in zf.namelist() if n.endswith('.npy')]
                key = key or _single_key(names, path)
                if key not in names:
                    raise DataError(f'{path}: no array named {key!r} (found {sorted(names)})')
                with zf.open(key + '.npy') as fh:
                    shape = _npy_shape(fh)
        else:
            with open(path, 'rb') as fh:
                shape = _npy_shape(fh)
    except DataError:
        raise
    except Exception as exc:
        raise DataError(f'cannot read feature file {path}: {exc}') from None
    if len(shape) != 2:
        raise DataError(f'{path}: expected a 2-D (time, channels) array, got shape {shape}')
    return shape[0]


def _npy_shape(fh):
    version = np.lib.format.read_magic(fh)
    reader = {(1, 0): np.lib.format.read_array_header_1_0,
              (2, 0): np.lib.format.read_array_header_2_0}.get(version)
    if reader is None:
        raise ValueError(f'unsupported .npy version {version}')
    return reader(fh)[0]


def _single_key(keys, path):
    if len(keys) != 1:
        raise DataError(f'{path}: holds {sorted(keys)}; say which array to read (key=...)')
    return keys[0]


class FeatureCache:
    """A small LRU cache of loaded arrays, one per process (dataloader workers each get their own)."""

    def __init__(self, capacity=8):
        self.capacity = capacity
        self._items = OrderedDict()

    def load(self, source, rows=None):
        """The source's array with its rows repeated; ``rows=(start, end)`` keeps only those (repeated) rows,
        repeating just the stored rows they need (not a whole title)."""
        key = (source['path'], source.get('key'))
        if key in self._items:
            self._items.move_to_end(key)
            arr = self._items[key]
        else:
            arr = read_array(*key)
            if self.capacity > 0:
                self._items[key] = arr
                if len(self._items) > self.capacity:
                    self._items.popitem(last=False)
        repeat = source.get('repeat', 1)
        start, end = rows if rows is not None else (0, len(arr) * repeat)
        first = start // repeat
        part = arr[first:-(-end // repeat)]
        if repeat > 1:
            part = np.repeat(part, repeat, axis=0)[start - first * repeat:end - first * repeat]
        return part
