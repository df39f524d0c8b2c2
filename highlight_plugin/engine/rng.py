"""Capture and restore every global random generator as plain values.

Used by :class:`~highlight_plugin.engine.hooks.RandomStateHook` so that a resumed
run draws the same random numbers (dropout, data-loader base seeds, shuffling) as
an uninterrupted one. The states are tensors and lists, so they travel in a
checkpoint that loads with ``torch.load(weights_only=True)``; they are read back with
``.cpu()``, wherever the checkpoint's tensors were loaded.

CUDA: the generator of this process's GPU is saved (one GPU per rank) and restored into
the restoring process's GPU. Only rank 0 saves checkpoints, so every rank resumes with rank
0's states, as for the CPU generators: exact for ranks seeded alike (the default); with
``--diff-rank-seed`` the ranks share rank 0's streams after a resume (valid, not bit-exact).
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
        state['cuda'] = torch.cuda.get_rng_state()  # this process's (current) GPU
    return state


def set_rng_state(state: dict) -> None:
    """Restore the generators saved by :func:`get_rng_state`."""
    version, internal, gauss = state['python']
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, cached = state['numpy']
    keys = keys.cpu().numpy() if isinstance(keys, torch.Tensor) else np.asarray(keys)
    np.random.set_state((kind, keys.astype(np.int64).astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state['torch'].cpu())
    if state.get('cuda') is not None and torch.cuda.is_available():
        saved = state['cuda']
        if isinstance(saved, (list, tuple)):  # older checkpoints: every GPU's; the saving process used the first
            saved = saved[0]
        torch.cuda.set_rng_state(saved.cpu(), torch.cuda.current_device())
