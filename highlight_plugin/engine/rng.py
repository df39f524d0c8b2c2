"""Capture and restore every global random generator as plain values.

Used by :class:`~highlight_plugin.engine.hooks.RandomStateHook` so that a resumed
run draws the same random numbers (dropout, data-loader base seeds, shuffling) as
an uninterrupted one. The states are tensors and lists, so they travel in a
checkpoint that loads with ``torch.load(weights_only=True)``.
"""
import random

import numpy as np
import torch


def get_rng_state() -> dict:
    """Python ``random``, numpy and torch (CPU and, when present, CUDA) states."""
    version, internal, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state = dict(
        python=[version, list(internal), gauss],
        numpy=[kind, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss),
               float(cached)],
        torch=torch.get_rng_state(),
    )
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Restore the generators saved by :func:`get_rng_state`."""
    version, internal, gauss = state['python']
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, cached = state['numpy']
    np.random.set_state((kind, np.asarray(keys, dtype=np.int64).astype(np.uint32), pos,
                         has_gauss, cached))
    torch.set_rng_state(state['torch'])
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])
