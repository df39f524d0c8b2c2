"""The edit list beside a reel (``OUT/edits.json``): the current edit state and its undo and redo histories, every
change written atomically before it is acknowledged, so that a reload, a closed tab or a crashed server loses
nothing (docs/review.md §2)."""
import json
import os
import os.path as osp
import threading
import time
from typing import Optional

from ...engine.errors import DataError
from ...engine.fileio import atomic_write
from .changes import apply_change
from .edit_list import FORMAT, VERSION, Cut, check_state, read_edits, state_hash

EDITS_FILE = 'edits.json'
RESULT_FILE = 'result.npz'
HISTORY = 500  # undo steps kept


def _mtime(path) -> Optional[int]:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


class EditStore:
    """The edit list of the reel in ``out_dir`` (its saved result ``result``, loaded when not given).

    An edit list made for another cut (the reel was made again since) is set aside as
    ``edits.stale-<time>.json`` and the editing starts again from the new cut. :meth:`refresh` takes what other
    processes wrote since.
    """

    def __init__(self, out_dir: str, result=None):
        from ..result import HighlightResult
        self.out_dir = osp.abspath(out_dir)
        self.path = osp.join(self.out_dir, EDITS_FILE)
        self.lock = threading.RLock()
        self._seen = (_mtime(osp.join(self.out_dir, RESULT_FILE)), None)
        self.result = result if result is not None else HighlightResult.load(self.out_dir)
        self.cut = Cut.of(self.result)
        self.doc = self._load()
        self._seen = (self._seen[0], _mtime(self.path))

    def refresh(self) -> None:
        """Read again what another process changed since (a re-cut or a new run of the tool, an edit list given to
        ``--recut``): the result, then the cut and the edits."""
        from ..result import HighlightResult
        with self.lock:
            result, edits = _mtime(osp.join(self.out_dir, RESULT_FILE)), _mtime(self.path)
            if result != self._seen[0]:
                self.result = HighlightResult.load(self.out_dir)
                self.cut = Cut.of(self.result)
                self.doc = self._load()
            elif edits != self._seen[1]:
                self.doc = self._load()
            self._seen = (result, _mtime(self.path))

    def _fresh(self) -> dict:
        return dict(format=FORMAT, version=VERSION, cut=self.cut.fingerprint, state=self.cut.initial(), undo=[],
                    redo=[], saved=None)

    def _load(self) -> dict:
        if not osp.isfile(self.path):
            return self._fresh()
        doc = read_edits(self.path)
        if doc.get('cut') not in (None, self.cut.fingerprint):
            stale = osp.join(self.out_dir, f'edits.stale-{time.strftime("%Y%m%d-%H%M%S")}.json')
            os.replace(self.path, stale)
            return self._fresh()
        try:
            state = check_state(doc.get('state'), self.cut)
        except DataError as e:
            raise DataError(f'{self.path}: {e}') from None
        history = {}
        for name in ('undo', 'redo'):
            try:
                history[name] = [check_state(s, self.cut) for s in doc.get(name) or []]
            except DataError:  # written by hand: the state holds, the history goes
                history[name] = []
        return dict(format=FORMAT, version=VERSION, cut=self.cut.fingerprint, state=state, saved=doc.get('saved'),
                    **history)

    @property
    def state(self) -> dict:
        return self.doc['state']

    @property
    def hash(self) -> str:
        return state_hash(self.state)

    def change(self, change) -> dict:
        """Apply one change (:func:`~.changes.apply_change`), save; returns what the change tells (a new clip's
        id, the kinds of snapped edges). A bad change raises a DataError and changes nothing."""
        with self.lock:
            new, told = apply_change(self.state, change, self.result, self.cut)
            self._push(new)
            return told

    def replace(self, state) -> None:
        """Make ``state`` (checked) the current one, undoably."""
        with self.lock:
            self._push(check_state(state, self.cut))

    def _push(self, new: dict):
        if new == self.state:
            return
        self.doc['undo'] = (self.doc['undo'] + [self.state])[-HISTORY:]
        self.doc['redo'] = []
        self.doc['state'] = new
        self._save()

    def undo(self) -> bool:
        return self._step('undo', 'redo')

    def redo(self) -> bool:
        return self._step('redo', 'undo')

    def _step(self, source: str, target: str) -> bool:
        with self.lock:
            if not self.doc[source]:
                return False
            self.doc[target] = (self.doc[target] + [self.state])[-HISTORY:]
            self.doc['state'] = self.doc[source].pop()
            self._save()
            return True

    def reload_result(self, result) -> None:
        """Take the reel's result as just rendered (its machine cut is the same, so the edits hold)."""
        with self.lock:
            self.result = result
            self._seen = (_mtime(osp.join(self.out_dir, RESULT_FILE)), self._seen[1])

    def _save(self):
        self.doc['saved'] = time.strftime('%Y-%m-%dT%H:%M:%S')
        with atomic_write(self.path, 'w', encoding='utf-8') as fh:
            json.dump(self.doc, fh, indent=1)
        self._seen = (self._seen[0], _mtime(self.path))

    @property
    def saved(self) -> Optional[str]:
        return self.doc.get('saved')
