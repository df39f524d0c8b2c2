"""The one place that turns user mistakes into one line on stderr and exit code 2.

Every tool runs ``run_cli(main)``. Errors the user can fix — any
:class:`HighlightError`, a missing file, a config syntax error, an unknown
registry type — print ``error: <message>`` and exit with status 2; anything
else is a bug and keeps its traceback. Exceptions that arrive wrapped (by a
DataLoader worker process, or re-raised by mmengine's registry with the class
name prefixed) are unwrapped to the original message first.
"""
import re
import sys
import warnings
from typing import Callable, Optional, Sequence

from .errors import HighlightError

EXIT_USER_ERROR = 2

# torch's ExceptionWrapper re-raises a worker's exception with the worker traceback as message
_WORKER_PREFIX = re.compile(r'^Caught \w+ in DataLoader worker process \d+\.')
# mmengine's build_from_cfg re-raises as type(e)(f'class `X` in path.py: {e}')
_BUILD_PREFIX = re.compile(r'^(class `\w+` in [^:]+: )+')


def _worker_message(exc: BaseException) -> Optional[str]:
    """The original message of an exception re-raised from a DataLoader worker."""
    text = str(exc)
    if not _WORKER_PREFIX.match(text):
        return None
    cls = type(exc)
    for name in (f'{cls.__module__}.{cls.__qualname__}', cls.__qualname__):
        marker = f'\n{name}: '
        if marker in text:
            return text.rsplit(marker, 1)[1].strip()
    return text.strip().splitlines()[-1]


def user_error_message(exc: BaseException) -> Optional[str]:
    """One-line message for a user-fixable error, or None for a bug."""
    chain, seen = [], set()
    while exc is not None and id(exc) not in seen:  # the exception and its causes
        seen.add(id(exc))
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    for err in chain:
        message = _worker_message(err) or str(err)
        if isinstance(err, HighlightError):
            return _one_line(message)
        if isinstance(err, FileNotFoundError):
            name = err.filename or message
            return f'file not found: {name}' if err.filename else _one_line(message)
        if isinstance(err, SyntaxError) and 'config' in message.lower():
            return _one_line(message)
        if isinstance(err, KeyError) and 'registry' in message and 'is not in the' in message:
            return _one_line(message.strip('"\'').split('. Please check')[0])
    return None


def _one_line(message: str) -> str:
    message = _BUILD_PREFIX.sub('', str(message).strip())
    lines = [ln.strip() for ln in str(message).strip().splitlines() if ln.strip()]
    return ' '.join(lines) if len(lines) <= 3 else lines[-1]


def run_cli(main: Callable[[Optional[Sequence[str]]], object],
            argv: Optional[Sequence[str]] = None) -> None:
    """Run ``main(argv)``; print user errors as ``error: ...`` and exit 2."""
    # mmcv-lite has no compiled ops; its import-time warning about them is noise here
    warnings.filterwarnings('ignore', message='Fail to import ``MultiScaleDeformableAttention``')
    try:
        main(argv)
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # noqa: BLE001 - classified below, bugs are re-raised
        message = user_error_message(exc)
        if message is None:
            raise
        print(f'error: {message}', file=sys.stderr)
        sys.exit(EXIT_USER_ERROR)
