"""The reels a review server was given (one reel's folder, or a catalogue's root holding reel folders), their review
status (to review, approved, rejected: ``review_status.json`` in that folder) and the only files it serves: those in
the reels' folders and their source videos, never a path outside them."""
import json
import os
import os.path as osp
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from ..engine.errors import DataError
from ..engine.fileio import atomic_write
from ..render.outputs import FINISHED

RESULT = 'result.npz'
STATUS_FILE = 'review_status.json'
STATUSES = ('to review', 'approved', 'rejected')


@dataclass
class Reel:
    """One reel: its URL name (``slug``), its id (its folder under the root) and folder; its edit store once
    opened."""
    slug: str
    id: str
    folder: str
    _store: Optional[object] = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def store(self):
        """Its :class:`~.store.EditStore` (opened on first use: the result is read then), up to date with what
        other processes wrote."""
        with self._lock:
            if self._store is None:
                from ..apis.edits.store import EditStore
                self._store = EditStore(self.folder)
            else:
                self._store.refresh()
            return self._store

    def summary(self) -> dict:
        """What the catalogue's list shows, from the small files (no result read)."""
        clips, seconds = None, None
        try:
            with open(osp.join(self.folder, FINISHED), encoding='utf-8') as fh:
                segments = json.load(fh).get('segments') or []
            clips, seconds = len(segments), round(sum(s['end'] - s['start'] for s in segments), 1)
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return dict(slug=self.slug, id=self.id, clips=clips, seconds=seconds,
                    edited=osp.isfile(osp.join(self.folder, 'edits.json')))


def _slug(reel_id: str, taken: set) -> str:
    base = re.sub(r'[^A-Za-z0-9._-]+', '-', reel_id).strip('-.') or 'reel'
    slug, n = base, 2
    while slug in taken:
        slug, n = f'{base}-{n}', n + 1
    taken.add(slug)
    return slug


class ReelSet:
    """The reels under ``root``: ``root`` itself when it holds a result, else every folder under it that holds one
    (hidden folders, such as staging ones, skipped). :meth:`refresh` finds reels finished since."""

    def __init__(self, root: str):
        self.root = osp.realpath(root)
        if not osp.isdir(self.root):
            raise DataError(f'{root}: no such folder')
        self.single = osp.isfile(osp.join(self.root, RESULT))
        self.reels: Dict[str, Reel] = {}
        self.lock = threading.Lock()
        self.refresh()
        if not self.reels:
            raise DataError(f'{root}: no reel here (a reel\'s folder holds {RESULT}, a catalogue\'s holds reel '
                            f'folders); make one with tools/make_highlights.py')

    def refresh(self) -> None:
        with self.lock:
            known = {r.folder for r in self.reels.values()}
            taken = set(self.reels)
            for reel_id, folder in self._found():
                if folder not in known:
                    slug = _slug(reel_id, taken)
                    self.reels[slug] = Reel(slug, reel_id, folder)

    def _found(self):
        if self.single:
            yield osp.basename(self.root), self.root
            return
        for here, dirs, files in os.walk(self.root):
            dirs[:] = sorted(d for d in dirs if not d.startswith('.'))
            if RESULT in files and FINISHED in files and here != self.root:
                yield osp.relpath(here, self.root).replace(os.sep, '/'), osp.realpath(here)
                dirs[:] = []  # a reel's folder holds no other reel

    def get(self, slug: str) -> Optional[Reel]:
        return self.reels.get(slug)

    def listing(self) -> List[dict]:
        statuses = self.statuses()
        return [dict(r.summary(), **statuses.get(r.id, dict(status=STATUSES[0], updated=None)))
                for r in sorted(self.reels.values(), key=lambda r: r.id)]

    # ------------------------------------------------------------------ review status
    @property
    def status_path(self) -> str:
        return osp.join(self.root, STATUS_FILE)

    def statuses(self) -> Dict[str, dict]:
        try:
            with open(self.status_path, encoding='utf-8') as fh:
                doc = json.load(fh)
            return {k: v for k, v in doc.get('reels', {}).items() if isinstance(v, dict)}
        except (OSError, ValueError, AttributeError):
            return {}

    def set_status(self, reel: Reel, status) -> dict:
        if status not in STATUSES:
            raise DataError(f'status: one of {", ".join(STATUSES)}, got {status!r}')
        with self.lock:
            doc = self.statuses()
            doc[reel.id] = dict(status=status, updated=time.strftime('%Y-%m-%dT%H:%M:%S'))
            with atomic_write(self.status_path, 'w', encoding='utf-8') as fh:
                json.dump(dict(reels=doc), fh, indent=1, sort_keys=True)
        return doc[reel.id]


def reel_file(reel: Reel, relative: str) -> Optional[str]:
    """The file ``relative`` names inside ``reel``'s folder, or None: no absolute path, no ``..``, no hidden or
    empty part, no backslash or NUL, and the real path (links followed) inside the folder."""
    if not relative or '\x00' in relative or '\\' in relative or relative.startswith('/'):
        return None
    parts = relative.split('/')
    if any(p in ('', '.', '..') or p.startswith('.') for p in parts):
        return None
    folder = osp.realpath(reel.folder)
    path = osp.realpath(osp.join(folder, *parts))
    if osp.commonpath([folder, path]) != folder or not osp.isfile(path):
        return None
    return path
