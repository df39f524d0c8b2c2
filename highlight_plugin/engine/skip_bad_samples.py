"""Opt-in tolerance of bad samples: skip them with a warning, report the count.

By default a :class:`DataError` stops the run (the tools print one line). Wrapping
a dataset lets a long run go on past a few broken feature files::

    train_dataloader = dict(dataset=dict(type='SkipBadSamples', max_skipped=10,
                                         dataset=dict(type='HotstarHighlightDataset', ...)))

A bad training sample is replaced by the next good one. In evaluation the
replacement carries the neighbour's ``sample_idx``, so metrics that de-duplicate
by ``sample_idx`` (all of this project's) simply leave the bad sample out.
:class:`SkippedSamplesHook` (added by :class:`HighlightRunner`) logs the count
after every epoch that skipped something; the counter is shared with the
DataLoader worker processes.
"""
import multiprocessing
import warnings

from mmaction.registry import DATASETS, HOOKS
from mmengine.hooks import Hook
from torch.utils.data import Dataset

from .errors import DataError


@DATASETS.register_module()
class SkipBadSamples(Dataset):
    """Dataset wrapper that skips samples raising :class:`DataError`.

    Args:
        dataset (dict | Dataset): the wrapped dataset (a config is built).
        max_skipped (int | None): raise the :class:`DataError` once more than this
            many samples were skipped (None: no limit).
    """

    def __init__(self, dataset, max_skipped=None):
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        self.max_skipped = max_skipped
        self._skipped = multiprocessing.Value('i', 0)  # shared with DataLoader workers

    @property
    def metainfo(self):
        return getattr(self.dataset, 'metainfo', {})

    @property
    def num_skipped(self) -> int:
        return self._skipped.value

    def __len__(self):
        return len(self.dataset)

    def __getattr__(self, name):  # e.g. ``full_init`` or a dataset's own attributes
        if name == 'dataset':
            raise AttributeError(name)
        return getattr(self.dataset, name)

    def __getitem__(self, idx):
        for offset in range(len(self.dataset)):
            try:
                return self.dataset[(idx + offset) % len(self.dataset)]
            except DataError as exc:
                with self._skipped.get_lock():
                    self._skipped.value += 1
                    count = self._skipped.value
                if self.max_skipped is not None and count > self.max_skipped:
                    raise DataError(f'{exc} (and more than max_skipped={self.max_skipped} bad '
                                    'samples in total)') from None
                warnings.warn(f'skipping bad sample {(idx + offset) % len(self.dataset)}: {exc}')
        raise DataError(f'every sample of {type(self.dataset).__name__} is bad')


@HOOKS.register_module()
class SkippedSamplesHook(Hook):
    """Log how many samples :class:`SkipBadSamples` skipped, after each epoch."""

    priority = 'LOW'

    def __init__(self):
        self._reported = {}

    def _report(self, runner, mode):
        loop = getattr(runner, f'_{mode}_loop', None)  # built loops only, never build here
        dataset = getattr(getattr(loop, 'dataloader', None), 'dataset', None)
        if isinstance(dataset, SkipBadSamples) and dataset.num_skipped != self._reported.get(mode, 0):
            self._reported[mode] = dataset.num_skipped
            runner.logger.warning(f'{mode}: {dataset.num_skipped} bad sample(s) skipped so far '
                                  '(SkipBadSamples; see the warnings above for which)')

    def after_train_epoch(self, runner):
        self._report(runner, 'train')

    def after_val_epoch(self, runner, metrics=None):
        self._report(runner, 'val')

    def after_test_epoch(self, runner, metrics=None):
        self._report(runner, 'test')
