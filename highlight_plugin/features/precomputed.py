"""Features already on disk for a video (``make_highlights --features DIR``), read instead of extracted.

Where each file is comes from one place per dataset: films from their layout (:mod:`.layouts`, e.g. Hotstar's
``clip_features/{vid}.npz['features']``), SoccerNet halves from the model's dataset config (``feature_files``,
``{half}_ResNET_TF2_PCA512.npy``). A file must cover the video it is used with: its rows times their length
may differ from the video's duration by at most ``LENGTH_TOLERANCE`` seconds plus one row (feature files are
cut on their own clip grid and containers round their durations); more is a DataError naming the file.
"""
import os.path as osp
from pathlib import Path
from typing import Dict, Optional, Sequence

import numpy as np

from highlight_plugin.engine.errors import DataError
from .layouts import Layout
from .provenance import check_recipe, read_provenance

LENGTH_TOLERANCE = 2.0  # seconds, plus one row


def load_array(path: str, key: Optional[str] = None, what: str = 'feature file') -> np.ndarray:
    """A ``(T, D)`` float32 array from a ``.npy`` file or member ``key`` of an ``.npz`` (no pickle is loaded)."""
    if not osp.isfile(path):
        raise DataError(f'{what} not found: {path}')
    try:
        if key is None:
            array = np.load(path, mmap_mode='r', allow_pickle=False)
        else:
            with np.load(path, allow_pickle=False) as z:
                if key not in z:
                    raise DataError(f'{path}: no array {key!r} (has {", ".join(z.files) or "none"})')
                array = z[key]
    except (OSError, ValueError) as e:
        raise DataError(f'cannot read {what} {path}: {str(e).splitlines()[0]}') from None
    if array.ndim != 2 or not len(array):
        raise DataError(f'{path}: expected a (time, channels) array, got shape {array.shape}')
    return np.array(array, dtype=np.float32)  # a writable copy, out of the file


def check_covers(path: str, rows: int, row_len: float, duration: float, what: str):
    """DataError when ``rows`` rows of ``row_len`` s do not cover ``duration`` s of ``what`` (see the module)."""
    covered = rows * row_len
    if abs(covered - duration) > LENGTH_TOLERANCE + row_len:
        raise DataError(f'{path}: {rows} rows cover {covered:.1f} s but {what} lasts {duration:.1f} s '
                        f'(at most {LENGTH_TOLERANCE:g} s plus one {row_len:g}-s row of difference): '
                        'features of another video?')


def read_layout_features(layout: Layout, features_dir: str, video: str, names: Sequence[str],
                         duration: Optional[float], recipe: Optional[str] = None) -> Dict[str, np.ndarray]:
    """The features ``names`` of ``video`` from a dataset folder in ``layout`` (file stem = video id); files whose
    provenance sidecar names another recipe than ``recipe`` (the model's) are refused."""
    fields = layout.fields(Path(video))
    out = {}
    for name in names:
        path = str(layout.path(Path(features_dir), name, fields))
        check_recipe(recipe, read_provenance(path, name), path)
        out[name] = load_array(path, layout.outputs[name].key, f'{name} features of {osp.basename(video)}')
        if duration:
            check_covers(path, len(out[name]), layout.clip_len[name], duration, osp.basename(video))
    return out
