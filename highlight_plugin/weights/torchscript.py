"""Tensors of a TorchScript archive (e.g. OpenAI's ``ViT-B-32.pt``) read as data.

``torch.jit.load`` compiles and runs the code stored in the archive; this reads only its
``*/data.pkl`` (the module tree: ``__torch__.*`` objects whose state holds the parameters and
buffers) with :func:`load_pickle`, the module classes as records and each tensor rebuilt from its
raw storage file ``*/data/<key>``. Nothing in ``code/`` is read.
"""
import zipfile
from pathlib import Path
from typing import Dict

import torch

from highlight_plugin.engine.errors import CheckpointError
from .safe_pickle import PickledObject, load_pickle

_STORAGE_DTYPES = dict(FloatStorage=torch.float32, HalfStorage=torch.float16, DoubleStorage=torch.float64,
                       BFloat16Storage=torch.bfloat16, LongStorage=torch.int64, IntStorage=torch.int32,
                       ShortStorage=torch.int16, CharStorage=torch.int8, ByteStorage=torch.uint8,
                       BoolStorage=torch.bool)


class _StorageType:
    def __init__(self, dtype):
        self.dtype = dtype


def is_torchscript_archive(path) -> bool:
    """A zip with a ``*/data.pkl`` and compiled code (``*/code/``): what ``torch.jit.save`` writes
    (``torch.save`` zips have no ``code/``)."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
    return any(n.endswith('/data.pkl') for n in names) and any('/code/' in n for n in names)


def _rebuild_tensor(storage, offset, size, stride, requires_grad=False, hooks=None, metadata=None):
    return torch.as_strided(storage, tuple(size), tuple(stride), int(offset)).clone()


def read_torchscript_tensors(path) -> Dict[str, torch.Tensor]:
    """Every tensor attribute of the archive's module tree, by dotted path (``visual.conv1.weight``,
    ``transformer.resblocks.0.attn_mask``, ...): parameters, buffers and tensor attributes alike.

    Raises:
        CheckpointError: not a TorchScript archive, or its ``data.pkl`` names anything but tensors,
            plain containers and ``__torch__`` module records.
    """
    path = str(path)
    try:
        z = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as e:
        raise CheckpointError(f'{path}: not a TorchScript archive ({e})') from e
    with z:
        data = [n for n in z.namelist() if n.endswith('/data.pkl') and n.count('/') == 1]
        if not data:
            raise CheckpointError(f'{path}: not a TorchScript archive (no */data.pkl)')
        prefix = data[0][:-len('data.pkl')]
        storages = {}

        def persistent_load(pid):
            if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == 'storage'
                    and isinstance(pid[1], _StorageType)):
                raise CheckpointError(f'{path}: unexpected persistent id {pid!r} in {data[0]}')
            _, kind, key, _, numel = pid
            if key not in storages:
                raw = bytearray(z.read(f'{prefix}data/{key}'))
                storages[key] = torch.frombuffer(raw, dtype=kind.dtype) if raw else torch.empty(0, dtype=kind.dtype)
            return storages[key]

        extra = {('torch._utils', '_rebuild_tensor_v2'): _rebuild_tensor,
                 ('torch._utils', '_rebuild_tensor'): _rebuild_tensor}
        extra.update({('torch', name): _StorageType(dtype) for name, dtype in _STORAGE_DTYPES.items()})
        root = load_pickle(z.read(data[0]), what=f'{path} ({data[0]})', records=('__torch__.',),
                           extra_globals=extra, persistent_load=persistent_load)
    out: Dict[str, torch.Tensor] = {}

    def walk(obj, name):
        if isinstance(obj, torch.Tensor):
            out[name] = obj
        elif isinstance(obj, PickledObject):
            state = obj.state[1] if isinstance(obj.state, tuple) and len(obj.state) == 2 else obj.state
            for key, value in (state or {}).items():
                walk(value, f'{name}.{key}' if name else str(key))

    walk(root, '')
    if not out:
        raise CheckpointError(f'{Path(path).name}: the TorchScript archive holds no tensors')
    return out
