"""The cache's manifest (``$HIGHLIGHT_PLUGIN_HOME/manifest.json``): a JSON record per file fetched or converted.

Keyed by the file's path inside the cache (POSIX), a record holds the zoo ``name``, ``kind`` (``download`` or
``converted``), the file's full ``sha256``, ``size`` and ``mtime_ns`` (a file unchanged since needs no re-hashing),
``url`` (where it came from: the publisher or a mirror), ``source`` (the publisher's URL), ``licence``,
``fetched`` (UTC, ISO 8601), the publisher's ``hash`` it was checked against (null when none is published: the
sha256 seen first is then the one later downloads must match), and for a converted file its ``converter``,
``inputs`` (name and sha256 of each) and the package ``version`` that converted it. Updates are read-modify-write
under a file lock and written atomically, so processes sharing the cache lose no record.
"""
import hashlib
import json
import os
from pathlib import Path
from typing import Dict, Iterable, Optional

from filelock import FileLock

from highlight_plugin.engine.errors import CheckpointError
from highlight_plugin.engine.fileio import atomic_write

FILE = 'manifest.json'


def file_digests(path, algorithms: Iterable[str] = ('sha256',)) -> Dict[str, str]:
    """Hex digests of ``path`` in one read: ``sha256``, ``md5`` and/or ``git-blob-sha1`` (git's object id)."""
    size = os.path.getsize(path)
    hashers = {}
    for algorithm in set(algorithms) | {'sha256'}:
        if algorithm == 'git-blob-sha1':
            hashers[algorithm] = hashlib.sha1(f'blob {size}\0'.encode())
        else:
            hashers[algorithm] = hashlib.new(algorithm)
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 22), b''):
            for h in hashers.values():
                h.update(block)
    return {a: h.hexdigest() for a, h in hashers.items()}


class Manifest:
    """The manifest of the cache at ``home``."""

    def __init__(self, home):
        self.home = Path(home)
        self.path = self.home / FILE

    def key(self, path) -> Optional[str]:
        """``path``'s key: its place inside the cache, or None outside it."""
        try:
            return Path(os.path.abspath(path)).relative_to(Path(os.path.abspath(self.home))).as_posix()
        except ValueError:
            return None

    def read(self) -> dict:
        if not self.path.is_file():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding='utf-8'))
        except ValueError as e:
            raise CheckpointError(f'{self.path}: unreadable manifest ({e}); delete it to rebuild') from None
        return data.get('files', {}) if isinstance(data, dict) else {}

    def get(self, path) -> Optional[dict]:
        key = self.key(path)
        return None if key is None else self.read().get(key)

    def put(self, path, record: dict) -> dict:
        """Record ``path`` (its size and mtime are added) and return the record."""
        st = os.stat(path)
        record = dict(record, size=st.st_size, mtime_ns=st.st_mtime_ns)
        self.home.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.path) + '.lock'):
            files = self.read()
            files[self.key(path)] = record
            with atomic_write(str(self.path)) as f:
                f.write((json.dumps({'version': 1, 'files': files}, indent=1, sort_keys=True) + '\n').encode())
        return record

    def first_seen(self, name: str) -> Optional[str]:
        """The sha256 first recorded for the download of entry ``name`` (entries with no published hash)."""
        for record in self.read().values():
            if record.get('name') == name and record.get('kind') == 'download' and record.get('hash') is None:
                return record.get('sha256')
        return None

    @staticmethod
    def unchanged(path, record: Optional[dict]) -> bool:
        """Whether ``path`` still has the size and mtime recorded (then its recorded sha256 holds)."""
        if record is None or not os.path.isfile(path):
            return False
        st = os.stat(path)
        return record.get('size') == st.st_size and record.get('mtime_ns') == st.st_mtime_ns
