"""Published weight files: read as data, converted once, and fetched by name from the zoo.

A converter turns a published file that needs more than ``torch.load(weights_only=True)`` (a Caffe2 or
scikit-learn pickle, a Keras HDF5 file, ...) into a tensors-only file the extractors load directly.
It is a function ``convert(inputs: list of paths, out: path) -> out`` registered under a name with
:data:`WEIGHT_CONVERTERS` (``@WEIGHT_CONVERTERS.register_module(name=...)``); its docstring's first
line is the tool's help for it.

The zoo (:mod:`.zoo`, data in ``zoo.json``) names the published models and files; :mod:`.hub` fetches, verifies,
converts and caches them: ``get_model(name)``, ``resolve_weights(name_or_path, role)``, ``resolve_model_weights``.
"""
from pathlib import Path
from typing import Dict

import torch
from mmengine.registry import Registry

from highlight_plugin.engine.errors import CheckpointError
from highlight_plugin.engine.fileio import atomic_path
from .safe_pickle import PickledObject, load_pickle

WEIGHT_CONVERTERS = Registry('published weight converter')


def save_tensors(path: str, tensors: Dict[str, torch.Tensor], metadata: Dict[str, str] = None) -> str:
    """Write a flat ``name -> tensor`` dict atomically: safetensors for a ``.safetensors`` path,
    else a plain ``torch.save`` state dict (loadable with ``weights_only=True``)."""
    tensors = {k: v.detach().contiguous().cpu() for k, v in tensors.items()}
    with atomic_path(str(path)) as tmp:
        if str(path).endswith('.safetensors'):
            from safetensors.torch import save_file
            save_file(tensors, tmp, metadata=metadata)
        else:
            torch.save(tensors, tmp)
    return str(path)


def convert(name: str, inputs, out: str) -> str:
    """Run the converter registered as ``name``."""
    fn = WEIGHT_CONVERTERS.get(name)
    if fn is None:
        known = ', '.join(sorted(WEIGHT_CONVERTERS.module_dict))
        raise CheckpointError(f'unknown weight format {name!r} (known: {known})')
    for p in inputs:
        if not Path(p).is_file():
            raise CheckpointError(f'{p}: no such file')
    return fn([str(p) for p in inputs], str(out))


from . import umt  # noqa: E402,F401  (registers the umt-original converter)
from .hub import cache_home, fetch, resolve_model_weights, resolve_weights  # noqa: E402
from .zoo import ModelEntry, WeightEntry, get_model, get_weight, recipe_weights, register_zoo  # noqa: E402

__all__ = ['WEIGHT_CONVERTERS', 'PickledObject', 'convert', 'load_pickle', 'save_tensors', 'ModelEntry',
           'WeightEntry', 'cache_home', 'fetch', 'get_model', 'get_weight', 'recipe_weights', 'register_zoo',
           'resolve_model_weights', 'resolve_weights']
