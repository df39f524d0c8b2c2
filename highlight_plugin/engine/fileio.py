"""Atomic file writes (a reader, or a rerun that skips finished work, never sees a half-written file) and the
one JSON-lines reader and appender. Standard library only (the standalone evaluator imports it without torch).

Everything is written to a temporary name in the destination's folder and renamed over it when complete; on an
error the temporary file is removed and the destination keeps its previous content.
"""
import contextlib
import json
import os
import os.path as osp
import tempfile
from typing import IO, Any, Iterator, List, Tuple

from .errors import DataError


def read_jsonl(path: str, skip_blank: bool = True) -> List[Tuple[int, dict]]:
    """``(line number, object)`` for each line of a JSON-lines file. A missing file, a line that is not valid JSON
    or not a JSON object raises a DataError naming the file and line (``path:N``). ``skip_blank=False`` treats a
    blank line as malformed too, so that the i-th object stands on line i + 1."""
    if not osp.isfile(path):
        raise DataError(f'file not found: {path}')
    records = []
    with open(path, encoding='utf-8') as fh:
        for lineno, line in enumerate(fh, 1):
            if skip_blank and not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f'{path}:{lineno}: not valid JSON ({exc.msg})') from None
            if not isinstance(record, dict):
                raise DataError(f'{path}:{lineno}: expected a JSON object')
            records.append((lineno, record))
    return records


def append_jsonl(path: str, record: dict) -> None:
    """Append ``record`` as one line with a single ``O_APPEND`` write (safe across processes sharing the file)."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, (json.dumps(record) + '\n').encode())
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """A temporary path beside ``path`` (same suffix) for writers that take a file name (ffmpeg, matplotlib,
    mmengine's checkpoint saver); fsynced and renamed to ``path`` when the block ends without an exception."""
    dirname = osp.dirname(osp.abspath(path))
    os.makedirs(dirname, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{osp.basename(path)}.', suffix='.tmp' + osp.splitext(path)[1],
                               dir=dirname)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the usual permissions
    try:
        yield tmp
        with open(tmp, 'rb') as f:  # on disk before the rename, whoever wrote it
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            os.remove(tmp)


@contextlib.contextmanager
def atomic_write(path: str, mode: str = 'wb', **open_kwargs) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success fsync and rename it over ``path``."""
    with atomic_path(path) as tmp:
        with open(tmp, mode, **open_kwargs) as f:
            yield f
