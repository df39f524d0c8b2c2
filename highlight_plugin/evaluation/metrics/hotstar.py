"""Hotstar scene-level and title-level highlight metrics."""
from collections import defaultdict

import numpy as np
from mmengine.evaluator import BaseMetric
from mmaction.registry import METRICS

from ...engine.errors import ConfigError, DataError
from ..functional import hotstar as F
from .utils import to_numpy, unique_by


@METRICS.register_module()
class HotstarMetric(BaseMetric):
    """Metrics of Hotstar segments (one data sample = one scene of a title).

    Scene level (fractions in [0, 1]): each segment's clip scores are reduced to one
    score (``aggregation``) and compared with the segment ``label``: ``AP``
    (sklearn ``average_precision_score``), ``AUC`` (ROC; NaN if val has one class),
    ``Precision`` and ``Recall`` of score > ``thr``.

    Title level (percent, like QVHighlights HD): the clip scores of all segments of a
    title are placed at their seconds [start, start + num_clips) and every labelled
    second is ranked; ``HL-mAP`` is the mean over titles of the tie-aware
    interpolated AP against the per-second segment label and ``HL-Hit1`` the
    fraction of titles whose top second is positive. Where segments overlap, the
    later one (by start) wins.

    Args:
        aggregation (str): ``'mean'`` (default), ``'max'`` or ``'first'`` (the first
            clip's score, as the Hotstar fork).
        thr (float): decision threshold for Precision / Recall. Defaults to 0.5.
    """
    default_prefix = ''

    def __init__(self, aggregation='mean', thr=0.5, collect_device='cpu', prefix=None,
                 collect_dir=None):
        super().__init__(collect_device=collect_device, prefix=prefix,
                         collect_dir=collect_dir)
        if aggregation not in F.AGGREGATIONS:
            raise ConfigError(f'HotstarMetric: aggregation must be one of '
                              f'{F.AGGREGATIONS}, got {aggregation!r}')
        self.aggregation = aggregation
        self.thr = thr

    def process(self, data_batch, data_samples):
        for ds in data_samples:
            self.results.append(dict(
                sample_idx=ds['sample_idx'], content_id=ds['content_id'],
                row=ds.get('row'), start=int(ds['start']), label=int(ds['label']),
                pred=to_numpy(ds['pred_saliency']).reshape(-1)))

    def compute_metrics(self, results):
        results = sorted(unique_by(results, 'sample_idx'), key=lambda r: r['sample_idx'])
        for r in results:
            if r['pred'].size == 0 or not np.isfinite(r['pred']).all():
                raise DataError(f'HotstarMetric: empty or non-finite pred_saliency for '
                                f'content_id {r["content_id"]} (labels.csv row {r["row"]})')
        labels = np.array([r['label'] for r in results])
        scores = np.array([F.aggregate(r['pred'], self.aggregation) for r in results])
        precision, recall = F.precision_recall(labels, scores, self.thr)
        metrics = dict(AP=F.average_precision(labels, scores), AUC=F.roc_auc(labels, scores),
                       Precision=precision, Recall=recall)
        metrics['HL-mAP'], metrics['HL-Hit1'] = F.title_highlight(*self._titles(results))
        return metrics

    @staticmethod
    def _titles(results):
        """Per title, the scores and labels of its labelled seconds, in time order."""
        by_title = defaultdict(list)
        for r in results:
            by_title[r['content_id']].append(r)
        scores, labels = [], []
        for segments in by_title.values():
            end = max(r['start'] + len(r['pred']) for r in segments)
            score, label = np.zeros(end), np.zeros(end)
            covered = np.zeros(end, dtype=bool)
            for r in sorted(segments, key=lambda r: r['start']):
                sl = slice(r['start'], r['start'] + len(r['pred']))
                score[sl], label[sl], covered[sl] = r['pred'], r['label'], True
            scores.append(score[covered])
            labels.append(label[covered])
        return scores, labels
