"""Safe checkpoints: plain-typed payloads, ``weights_only`` loading, atomic writes.

Why this module exists (mmengine 0.10.7 with torch >= 2.6):

* ``Runner.save_checkpoint`` pickles the message hub's ``HistoryBuffer`` objects,
  numpy arrays and numpy scalars. ``torch.load(weights_only=True)`` refuses those
  globals, and allowlisting them would mean allowlisting ``builtins.getattr``,
  which re-opens arbitrary code execution. Instead, :func:`to_plain` converts the
  payload to tensors and plain Python values before saving, and :func:`from_plain`
  restores it after loading; the files then load with torch's default allowlist.
* :func:`read_checkpoint` (the file) and :func:`load_checkpoint` (the file into a
  model, mmengine's signature) always pass ``weights_only=True`` (an explicit argument
  also wins over ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD``) and turns every failure
  (missing, truncated, unsafe) into a one-line :class:`CheckpointError`.
* :func:`~.fileio.atomic_write` writes through a temporary file in the same directory and
  ``os.replace``-s it, so a process killed while saving never leaves a truncated
  file (or a half-written ``last_checkpoint`` pointer) behind.

:class:`~highlight_plugin.engine.runner.HighlightRunner` wires these into the
runner; the functions are also the Python API for loading a checkpoint by hand.
"""
import os
import os.path as osp
import pickle
import re
import warnings
import zipfile
from collections import OrderedDict
from typing import Any, Optional

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

from .errors import CheckpointError
from .fileio import atomic_write

# Key marking a dict that stands for a non-plain object (see to_plain/from_plain).
_TAG = '__highlight_plain__'


def to_plain(obj: Any, where: str = 'checkpoint') -> Any:
    """Return ``obj`` with every value turned into a tensor or plain Python value.

    numpy scalars become Python scalars; numeric numpy arrays and
    ``HistoryBuffer``s become tagged dicts of tensors (restored by
    :func:`from_plain`); other arrays become lists. Values of any other type
    are dropped with a warning naming their path, so the checkpoint always stays
    loadable with ``weights_only=True``.
    """
    if isinstance(obj, np.generic):  # first: np.float64 is also a float
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, complex, str, bytes, torch.Tensor,
                                       torch.dtype, torch.device, torch.Size)):
        return obj
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in 'biuf':
            return {_TAG: 'ndarray', 'data': torch.from_numpy(np.ascontiguousarray(obj).copy())}
        return to_plain(obj.tolist(), where)
    if isinstance(obj, HistoryBuffer):
        log, count = obj.data
        return {_TAG: 'HistoryBuffer', 'log_history': to_plain(log), 'count_history': to_plain(count),
                'max_length': int(obj.max_length)}
    if isinstance(obj, dict):
        items = ((k, to_plain(v, f'{where}.{k}')) for k, v in obj.items())
        kept = [(k, v) for k, v in items if v is not _DROP]
        return _same_mapping(obj, kept, to_plain)
    if isinstance(obj, (list, tuple, set)):
        values = [to_plain(v, f'{where}[{i}]') for i, v in enumerate(obj)]
        values = [v for v in values if v is not _DROP]
        return type(obj)(values) if type(obj) in (list, tuple, set) else list(values)
    warnings.warn(f'{where}: a {type(obj).__qualname__} is not a plain value; '
                  'it is left out of the checkpoint')
    return _DROP


class _Drop:
    """Sentinel for values :func:`to_plain` leaves out."""


_DROP = _Drop()


def from_plain(obj: Any) -> Any:
    """Inverse of :func:`to_plain` for the tagged values (arrays, HistoryBuffers)."""
    if isinstance(obj, dict):
        tag = obj.get(_TAG)
        if tag == 'ndarray':
            return obj['data'].cpu().numpy()
        if tag == 'HistoryBuffer':
            buf = HistoryBuffer(max_length=obj['max_length'])
            # assign directly: the constructor would re-type the arrays
            buf._log_history = from_plain(obj['log_history'])
            buf._count_history = from_plain(obj['count_history'])
            return buf
        return _same_mapping(obj, [(k, from_plain(v)) for k, v in obj.items()], from_plain)
    if isinstance(obj, list):
        return [from_plain(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(from_plain(v) for v in obj)
    return obj


def _same_mapping(src: dict, items: list, convert) -> dict:
    """A dict/OrderedDict like ``src`` holding ``items``; keeps a state_dict's ``_metadata``."""
    out = OrderedDict(items) if isinstance(src, OrderedDict) else dict(items)
    if hasattr(src, '_metadata'):
        out._metadata = convert(src._metadata)
    return out


def existing_checkpoint(path: str) -> str:
    """``path`` when it is a file or a URL, else the local file of the zoo name it is (a model's checkpoint or
    a checkpoint entry: fetched, verified, converted once); CheckpointError listing close names otherwise."""
    if '://' in str(path) or osp.isfile(path):
        return path
    from highlight_plugin.weights.hub import resolve_weights
    return resolve_weights(path, role='checkpoint')


def read_checkpoint(filename: str, map_location: Any = 'cpu', mmap: bool = False) -> dict:
    """Load a checkpoint with ``weights_only=True``; plain values are restored. ``mmap``: tensors are
    memory-mapped from the file (copy-on-write) instead of read into memory. A device ``map_location`` (e.g.
    'cuda', 'meta') is where the tensors are placed after the file was read onto the CPU and its arrays restored
    (numpy reads them on the CPU); a mapping or a function goes to ``torch.load`` as is.

    Raises:
        CheckpointError: the file is missing, truncated/corrupt, holds
            something that is not a dict, or holds pickled objects outside
            torch's safe allowlist (a code payload is refused, never run).
    """
    filename = osp.expanduser(str(filename))
    if not osp.isfile(filename):
        raise CheckpointError(f'checkpoint not found: {filename}')
    place = map_location is None or isinstance(map_location, (str, torch.device))
    try:
        mmap = mmap and zipfile.is_zipfile(filename)  # torch maps only its zip format
        checkpoint = torch.load(filename, map_location='cpu' if place else map_location, weights_only=True,
                                mmap=mmap)
    except pickle.UnpicklingError as exc:
        unsafe = _unsafe_globals(filename)
        what = ', '.join(sorted(unsafe)) if unsafe else str(exc).strip().splitlines()[-1]
        raise CheckpointError(
            f'refusing to load {filename}: it contains objects that are not plain tensors/values '
            f'({what}); only load checkpoints you trust, and re-save them with tensors only') from None
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile) as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f'cannot read checkpoint {filename} (truncated or not a '
                              f'torch checkpoint): {msg}') from None
    if not isinstance(checkpoint, dict):
        raise CheckpointError(f'{filename} does not hold a dict of weights '
                              f'(found {type(checkpoint).__name__})')
    checkpoint = from_plain(checkpoint)
    if place and map_location is not None and torch.device(map_location) != torch.device('cpu'):
        checkpoint = _placed(checkpoint, torch.device(map_location))
    return checkpoint


def _placed(obj: Any, device: torch.device) -> Any:
    """``obj`` with every tensor moved to ``device`` (numpy arrays and plain values as they are)."""
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return _same_mapping(obj, [(k, _placed(v, device)) for k, v in obj.items()], lambda m: m)
    if isinstance(obj, (list, tuple)) and type(obj) in (list, tuple):
        return type(obj)(_placed(v, device) for v in obj)
    return obj


def _unsafe_globals(filename: str) -> list:
    """Names of the pickle globals outside torch's allowlist (static scan, runs nothing)."""
    try:
        return torch.serialization.get_unsafe_globals_in_checkpoint(filename)
    except Exception:  # legacy format or unreadable: the caller reports the load error
        return []


def save_checkpoint(checkpoint: dict, filename: str) -> None:
    """Save ``checkpoint`` as plain values, atomically."""
    with atomic_write(filename) as f:
        torch.save(to_plain(checkpoint), f)


def is_complete_checkpoint(filename: str) -> bool:
    """Cheap integrity check: the file exists and is a complete torch zip archive."""
    try:
        with zipfile.ZipFile(filename) as zf:
            return any(name.endswith('data.pkl') for name in zf.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def find_resumable_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint ``--resume`` (auto) continues from, or None.

    Trusts the ``last_checkpoint`` pointer when it names a complete file;
    otherwise falls back to the newest complete ``epoch_*.pth``/``iter_*.pth``.
    """
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            named = f.read().strip()
        if named and is_complete_checkpoint(named):
            return named
        warnings.warn(f'{pointer} names {named!r}, which is missing or incomplete; '
                      'looking for the newest complete checkpoint instead')
    candidates = []
    if osp.isdir(work_dir):
        for name in os.listdir(work_dir):
            stem, ext = osp.splitext(name)
            prefix, _, step = stem.partition('_')
            if ext == '.pth' and prefix in ('epoch', 'iter') and step.isdigit():
                candidates.append((prefix == 'iter', int(step), osp.join(work_dir, name)))
    for *_, path in sorted(candidates, reverse=True):
        if is_complete_checkpoint(path):
            return path
    return None


def check_state_dict(model: torch.nn.Module, state_dict: dict, filename: str = 'checkpoint') -> None:
    """Raise :class:`CheckpointError` when ``state_dict`` cannot belong to ``model``.

    Shape mismatches (e.g. a checkpoint of another config) and a checkpoint that
    shares no key with the model are errors; some missing or extra keys are left
    to mmengine's warning (partial loading stays possible).
    """
    own = model.state_dict()
    mismatched = [(k, tuple(v.shape), tuple(own[k].shape)) for k, v in state_dict.items()
                  if k in own and hasattr(v, 'shape') and tuple(v.shape) != tuple(own[k].shape)]
    if mismatched:
        key, theirs, ours = mismatched[0]
        raise CheckpointError(
            f'{filename} does not fit {type(model).__name__}: {len(mismatched)} tensor(s) differ '
            f'in shape, e.g. {key!r} is {list(theirs)} in the checkpoint but {list(ours)} in the '
            'model (trained with another config?)')
    if own and state_dict and not set(own) & set(state_dict):
        raise CheckpointError(
            f'{filename} shares no weight name with {type(model).__name__} (e.g. checkpoint has '
            f'{next(iter(state_dict))!r}, model has {next(iter(own))!r}): wrong checkpoint or config?')


def load_checkpoint(model: torch.nn.Module, filename: str, map_location: Any = 'cpu',
                    strict: bool = False, revise_keys: list = [(r'^module\.', '')]) -> dict:
    """Load ``filename`` into ``model`` safely (mmengine's ``load_checkpoint`` signature).

    Raises :class:`CheckpointError` for an unsafe, unreadable or mismatching file.
    Returns the checkpoint dict.
    """
    checkpoint = read_checkpoint(filename, map_location)
    load_state_dict_checked(model, checkpoint, filename, strict, revise_keys)
    return checkpoint


def load_state_dict_checked(model: torch.nn.Module, checkpoint: dict, filename: str,
                            strict: bool = False, revise_keys: list = [(r'^module\.', '')]) -> None:
    """Apply ``revise_keys``, :func:`check_state_dict`, then mmengine's loading."""
    from mmengine.model import is_model_wrapper
    from mmengine.runner.checkpoint import _load_checkpoint_to_model
    if is_model_wrapper(model):
        model = model.module
    state_dict = checkpoint.get('state_dict', checkpoint)
    for pattern, repl in revise_keys:
        state_dict = {re.sub(pattern, repl, k): v for k, v in state_dict.items()}
    check_state_dict(model, state_dict, filename)
    _load_checkpoint_to_model(model, checkpoint, strict, revise_keys=revise_keys)
