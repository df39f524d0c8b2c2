"""The render queue of a review server: renders wait their turn and run one at a time (a re-cut keeps the two cores
busy on its own), each reel at most once in the queue; a Render pressed while its reel renders renders it again
afterwards, with the edits made meanwhile."""
import contextlib
import logging
import threading
import time
import traceback
from collections import deque
from dataclasses import asdict, dataclass
from typing import Callable, Dict, Optional

from ..engine.errors import HighlightError

logger = logging.getLogger(__name__)


@dataclass
class Job:
    """The render state of one reel: 'idle', 'queued', 'running', 'done' or 'failed'."""
    state: str = 'idle'
    error: Optional[str] = None
    queued: Optional[float] = None
    started: Optional[float] = None
    finished: Optional[float] = None
    done: int = 0  # clips cut so far
    total: int = 0
    again: bool = False  # pressed again while running

    def as_dict(self) -> dict:
        out = asdict(self)
        out['seconds'] = round((self.finished or time.time()) - self.started, 1) if self.started else None
        return out


class _Progress:
    """What the renderer reports (a :class:`~highlight_plugin.engine.progress.StageProgress`'s ``stage``), kept in
    the job."""

    def __init__(self, job: Job):
        self.job = job

    @contextlib.contextmanager
    def stage(self, name, total=None):
        self.job.done, self.job.total = 0, int(total or 0)

        def update(n=1):
            self.job.done += int(n)
        yield update


class RenderQueue:
    """Runs ``render(key, progress)`` for the keys submitted, one at a time, in a worker thread."""

    def __init__(self, render: Callable[[str, object], None]):
        self.render = render
        self.jobs: Dict[str, Job] = {}
        self.waiting = deque()
        self.cv = threading.Condition()
        self.closed = False
        self.thread = threading.Thread(target=self._work, name='review-render', daemon=True)
        self.thread.start()

    def submit(self, key: str) -> dict:
        with self.cv:
            job = self.jobs.setdefault(key, Job())
            if job.state == 'running':
                job.again = True
            elif job.state != 'queued':
                job.state, job.error, job.queued = 'queued', None, time.time()
                job.started = job.finished = None
                self.waiting.append(key)
                self.cv.notify()
            return self.status(key)

    def status(self, key: str) -> dict:
        out = self.jobs.get(key, Job()).as_dict()
        if out['state'] == 'queued':
            out['ahead'] = list(self.waiting).index(key) if key in self.waiting else 0
        return out

    def _work(self):
        while True:
            with self.cv:
                while not self.waiting and not self.closed:
                    self.cv.wait()
                if self.closed:
                    return
                key = self.waiting.popleft()
                job = self.jobs[key]
                job.state, job.started, job.again = 'running', time.time(), False
            state, error = 'done', None
            try:
                self.render(key, _Progress(job))
            except HighlightError as e:
                state, error = 'failed', str(e)
            except Exception as e:  # noqa: BLE001 - the server goes on; the page shows the message
                state, error = 'failed', f'{type(e).__name__}: {e}'
                logger.error('render of %s failed:\n%s', key, traceback.format_exc())
            with self.cv:
                job.state, job.error, job.finished = state, error, time.time()
                if job.again:
                    job.state, job.queued, job.again = 'queued', time.time(), False
                    job.started = job.finished = None
                    self.waiting.append(key)

    def close(self):
        with self.cv:
            self.closed = True
            self.cv.notify_all()
