"""One progress bar over the stages of a long job, with an ETA; quiet when stderr is not a terminal.

``make_highlights`` runs three stages of very different lengths (decode + extract: most of the time; score: a
moment; cut: a few seconds per clip). :class:`StageProgress` gives each a share of one bar, ``weights`` (e.g. the
seconds each is expected to take), so the bar and its ETA move evenly across them::

    progress = StageProgress(dict(extract=0.85, score=0.02, cut=0.13))
    with progress.stage('extract', total=rows) as update:
        extract(video, extractors, on_rows=update)
    with progress.stage('score') as update:
        ...
    with progress.stage('cut', total=len(segments)) as update:
        for seg in segments:
            ...
            update(1)
    progress.close()
"""
import contextlib
import sys
from typing import Callable, Dict, Iterator, Optional

from tqdm import tqdm


class StageProgress:
    """A bar over named stages (see the module doc).

    Args:
        weights (dict): stage name -> its share of the whole (any positive numbers; normalised).
        enabled (bool | None): show it; None: when ``file`` is a terminal.
        desc (str): the bar's label (the current stage is appended).
        file: where the bar goes (stderr).
    """
    RESOLUTION = 1000  # steps of the bar

    def __init__(self, weights: Dict[str, float], enabled: Optional[bool] = None, desc: str = '', file=None):
        if not weights or any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
            raise ValueError(f'weights must be positive, got {weights}')
        total = float(sum(weights.values()))
        self.shares = {name: w / total for name, w in weights.items()}
        self.file = file or sys.stderr
        if enabled is None:
            enabled = bool(getattr(self.file, 'isatty', lambda: False)())
        self.desc = desc
        self.bar = tqdm(total=self.RESOLUTION, disable=not enabled, file=self.file, desc=desc, leave=True,
                        bar_format='{desc}: {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]')
        self.done = 0.0  # in RESOLUTION units
        self.stages_done = set()

    @contextlib.contextmanager
    def stage(self, name: str, total: Optional[float] = None) -> Iterator[Callable[[float], None]]:
        """Run a stage: yields ``update(n)`` advancing it by ``n`` of ``total`` units (no ``total``: the stage
        counts as done when the block ends). The stage's share is filled when the block ends, however many
        units came."""
        if name not in self.shares:
            raise KeyError(f'unknown stage {name!r} (known: {", ".join(self.shares)})')
        start = self.done
        share = self.shares[name] * self.RESOLUTION
        seen = [0.0]
        self.bar.set_description_str(f'{self.desc}: {name}' if self.desc else name)

        def update(n: float = 1):
            seen[0] += n
            if total:
                self._move_to(start + share * min(seen[0] / total, 1.0))

        try:
            yield update
        finally:
            self._move_to(start + share)
            self.stages_done.add(name)

    def _move_to(self, position):
        step = int(position) - int(self.done)
        self.done = max(self.done, position)
        if step > 0:
            self.bar.update(step)

    def close(self):
        self.bar.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


REEL_STAGES = ('extract', 'score', 'cut')  # the stages of making a reel
# their shares of the bar: from raw video (the decode and the networks dominate), from features on disk
REEL_WEIGHTS = {True: dict(extract=0.8, score=0.03, cut=0.17), False: dict(extract=0.3, score=0.3, cut=0.4)}


def reel_progress(extracting: bool = True, desc: str = '') -> StageProgress:
    """The bar of one reel (stages :data:`REEL_STAGES`), on stderr when it is a terminal."""
    return StageProgress(REEL_WEIGHTS[bool(extracting)], desc=desc)


def no_progress(stages=REEL_STAGES) -> StageProgress:
    """A bar over ``stages`` that shows nothing."""
    return StageProgress({name: 1.0 for name in stages}, enabled=False)
