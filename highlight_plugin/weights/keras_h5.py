"""Keras HDF5 weight files (``model.save_weights('x.h5')`` / ``model.save('x.h5')`` of Keras 2 and tf.keras) read
as data with h5py.

Layout: the root (or its ``model_weights`` group for a whole saved model) lists its layers in the attribute
``layer_names``; each layer's group lists its weights in ``weight_names`` (``'conv1_conv/kernel:0'``), each a
dataset at that path inside the layer's group. Names containing ``/`` (``conv4/conv4_2``) are nested groups.
"""
from pathlib import Path
from typing import Dict

import numpy as np

from highlight_plugin.engine.errors import CheckpointError


def _text(value) -> str:
    return value.decode('utf8') if isinstance(value, bytes) else str(value)


def read_keras_h5(path: str, what: str = 'Keras') -> Dict[str, Dict[str, np.ndarray]]:
    """``{layer name: {weight name: array}}`` of a Keras HDF5 weight file, in the file's layer order; weight names
    lose their layer prefix and ``:0`` suffix (``'kernel'``, ``'bias'``, ``'gamma'``, ``'moving_mean'``, ...).
    Layers without weights are left out.

    Raises:
        CheckpointError: the file is missing, not HDF5, or not in the Keras layout (the message names the file).
    """
    import h5py
    p = Path(path)
    if not p.is_file():
        raise CheckpointError(f'{what} weights not found at {p}')
    try:
        f = h5py.File(p, 'r')
    except OSError as e:
        raise CheckpointError(f'{p}: not an HDF5 file ({e})') from e
    with f:
        root = f['model_weights'] if 'model_weights' in f else f
        if 'layer_names' not in root.attrs:
            hint = ' (a Keras 3 ".weights.h5" file? save it with tf-keras or Keras 2)' if 'layers' in root else ''
            raise CheckpointError(f'{p}: not a Keras HDF5 weight file: no "layer_names" attribute{hint}')
        layers = {}
        for layer in map(_text, root.attrs['layer_names']):
            try:
                group = root[layer]
                names = [_text(n) for n in group.attrs.get('weight_names', [])]
                weights = {}
                for name in names:
                    short = name.rsplit('/', 1)[-1].split(':')[0]
                    weights[short] = np.asarray(group[name])
            except (KeyError, ValueError, OSError) as e:
                raise CheckpointError(f'{p}: layer {layer!r} is unreadable ({e})') from e
            if weights:
                layers[layer] = weights
    return layers


def keras_layer(layers: Dict[str, Dict[str, np.ndarray]], name: str, keys, path: str) -> Dict[str, np.ndarray]:
    """The weights ``keys`` of layer ``name``, or a CheckpointError naming what is missing."""
    if name not in layers:
        raise CheckpointError(f'{path}: no layer {name!r} (has {len(layers)} layers with weights, e.g. '
                              f'{", ".join(list(layers)[:3])})')
    missing = [k for k in keys if k not in layers[name]]
    if missing:
        raise CheckpointError(f'{path}: layer {name!r} has no {", ".join(missing)} weights')
    return layers[name]
