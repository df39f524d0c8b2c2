"""Read a pickle as data: numpy arrays, plain containers, and objects of named classes as records.

Published weight files come as pickles (a Caffe2 blob dict, a scikit-learn PCA, a numpy array, the
``data.pkl`` of a torch archive). Unpickling runs whatever callables the file names, so
:func:`load_pickle` resolves only an allow-list of globals:

* builtin containers and scalars (``set``, ``frozenset``, ``slice``, ``complex``, ``bytearray``,
  ``collections.OrderedDict``), ``_codecs.encode`` to latin-1 (bytes pickled by Python 3 at protocol 2);
* numpy arrays, dtypes and scalars (``_reconstruct``, ``_frombuffer``, ``ndarray``, ``dtype``, ``scalar``)
  under both ``numpy.core`` and ``numpy._core`` names;
* classes the caller names in ``records`` (exact ``module.Name`` or a ``module.`` prefix), which become
  :class:`PickledObject` records holding their constructor arguments and state: never instantiated;
* callables the caller adds in ``extra_globals`` (e.g. a tensor rebuild function for torch archives).

Anything else is refused with a :class:`CheckpointError` naming the file and the global.
"""
import _compat_pickle
import io
import pickle
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Sequence, Tuple, Union

import numpy as np

from highlight_plugin.engine.errors import CheckpointError


class PickledObject:
    """An object of class ``pickled_class`` read from a pickle as data: the arguments it was
    built with (``args``) and its pickled state (``state``, usually its ``__dict__``)."""
    pickled_class = 'object'

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs, self.state = args, kwargs, None

    def __setstate__(self, state):
        self.state = state

    def __getitem__(self, key):
        """``state[key]`` (a ``__dict__`` entry, or the ``(slots, dict)`` pair's dict entry)."""
        state = self.state[1] if isinstance(self.state, tuple) and len(self.state) == 2 else self.state
        if not isinstance(state, dict):
            raise KeyError(key)
        return state[key]

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def __repr__(self):
        return f'<pickled {self.pickled_class}>'


def _record_class(name: str) -> type:
    return type(name.rsplit('.', 1)[-1], (PickledObject, ), dict(pickled_class=name))


def _reconstructor(cls, base, state):
    """``copyreg._reconstructor`` for record classes only (how protocol 0-1 pickles build objects)."""
    if not (isinstance(cls, type) and issubclass(cls, PickledObject)) or base is not object:
        raise pickle.UnpicklingError(f'copyreg._reconstructor of {cls!r}')
    return cls()


def _latin1_encode(text, encoding='latin1'):
    if not isinstance(text, str) or encoding not in ('latin1', 'latin-1'):
        raise pickle.UnpicklingError('_codecs.encode is allowed for latin-1 strings only')
    return text.encode('latin1')


SAFE_GLOBALS: Dict[Tuple[str, str], Any] = {
    ('builtins', 'set'): set, ('builtins', 'frozenset'): frozenset, ('builtins', 'slice'): slice,
    ('builtins', 'complex'): complex, ('builtins', 'bytearray'): bytearray,
    ('collections', 'OrderedDict'): OrderedDict, ('_codecs', 'encode'): _latin1_encode,
    ('copyreg', '_reconstructor'): _reconstructor, ('builtins', 'object'): object,
    ('numpy', 'ndarray'): np.ndarray, ('numpy', 'dtype'): np.dtype,
}
for _core in ('numpy.core', 'numpy._core'):  # numpy 1.x and 2.x names of the same functions
    SAFE_GLOBALS[(f'{_core}.multiarray', '_reconstruct')] = np.zeros(0).__reduce__()[0]
    SAFE_GLOBALS[(f'{_core}.multiarray', 'scalar')] = np.float64(0).__reduce__()[0]
    SAFE_GLOBALS[(f'{_core}.numeric', '_frombuffer')] = np.zeros(1).__reduce_ex__(5)[0]  # protocol 5
for _name in ('Float64DType', 'Float32DType', 'Float16DType', 'Int64DType', 'Int32DType', 'Int16DType',
              'Int8DType', 'UInt8DType', 'BoolDType', 'ObjectDType'):  # numpy >= 1.25 pickles dtype classes
    _cls = getattr(np.dtypes, _name, None) if hasattr(np, 'dtypes') else None
    if _cls is not None:
        SAFE_GLOBALS[('numpy.dtypes', _name)] = _cls


class _DataUnpickler(pickle.Unpickler):

    def __init__(self, file, what, records, extra_globals, persistent_load, **kwargs):
        super().__init__(file, **kwargs)
        self.what, self.records = what, tuple(records)
        self.allowed = {**SAFE_GLOBALS, **(extra_globals or {})}
        self.record_classes: Dict[str, type] = {}
        if persistent_load is not None:
            self.persistent_load = persistent_load

    def find_class(self, module, name):
        # Python 2 names (Caffe2 and other old pickles); Python 3 pickles never use them
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        if (module, name) in self.allowed:
            return self.allowed[(module, name)]
        full = f'{module}.{name}'
        if any(full == r or (r.endswith('.') and full.startswith(r)) for r in self.records):
            return self.record_classes.setdefault(full, _record_class(full))
        raise CheckpointError(f'{self.what}: refusing to load {full} from a pickle (only numpy arrays, '
                              f'plain containers and known data records are read; the file may carry code)')


def load_pickle(source: Union[str, Path, bytes, io.IOBase], what: Optional[str] = None, records: Sequence[str] = (),
                extra_globals: Optional[Dict[Tuple[str, str], Callable]] = None,
                persistent_load: Optional[Callable] = None, encoding: str = 'latin1') -> Any:
    """Unpickle ``source`` (a path, bytes or a binary file) allowing only data (see the module doc).

    Args:
        what: how errors name the source (default: the path).
        records: classes read as :class:`PickledObject` records: ``'module.Name'`` or a ``'module.'`` prefix.
        extra_globals: more allowed ``(module, name) -> callable`` entries.
        persistent_load: the persistent-id resolver (torch archives keep tensor storages outside the pickle).
        encoding: how Python 2 ``str`` objects are decoded (``'latin1'`` keeps numpy buffers intact).

    Raises:
        CheckpointError: the file is missing, is not a pickle, or names a global outside the allow-list.
    """
    if isinstance(source, (str, Path)):
        what = what or str(source)
        try:
            source = Path(source).read_bytes()
        except OSError as e:
            raise CheckpointError(f'{what}: cannot read ({e.strerror or e})') from e
    what = what or 'pickle'
    file = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    try:
        return _DataUnpickler(file, what, records, extra_globals, persistent_load, encoding=encoding).load()
    except CheckpointError:
        raise
    except Exception as e:  # noqa: BLE001 - truncated or corrupt pickles raise many types
        raise CheckpointError(f'{what}: not a readable pickle ({type(e).__name__}: {e})') from e
