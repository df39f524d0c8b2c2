"""QVHighlights highlight detection and moment retrieval metric."""
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmaction.registry import METRICS

from ...engine.errors import DataError
from ..functional import qvhighlights as F
from .utils import to_numpy, unique_by

_LABELS = ('duration', 'relevant_windows', 'relevant_clip_ids', 'saliency_scores')


@METRICS.register_module()
class QVHighlightsMetric(BaseMetric):
    """HD mAP / HIT@1 (Fair, Good, VeryGood) and MR R1 / mAP with the official key
    names (``HL-min-VeryGood-mAP``, ``MR-full-mAP``, ...), equal to moment_detr's
    ``standalone_eval``.

    Reads ``qid``, ``pred_saliency`` and/or ``pred_windows`` (K, 3) from each data
    sample, and the raw annotation fields ``duration``, ``relevant_windows``,
    ``relevant_clip_ids``, ``saliency_scores``. Without predicted windows only HD is
    computed (and vice versa). A ``pred_saliency`` shorter than the video is
    zero-padded, as the official code does. On unlabelled samples (test split)
    nothing is computed (use :class:`QVHighlightsSubmission` to write a submission).

    Args:
        full (bool): also return every IoU threshold and length bucket, flattened as
            ``'full/MR-mAP/0.55'``. Defaults to False (the official brief keys).
    """
    default_prefix = ''  # official key names, unprefixed (None would warn)

    def __init__(self, full=False, collect_device='cpu', prefix=None, collect_dir=None):
        super().__init__(collect_device=collect_device, prefix=prefix,
                         collect_dir=collect_dir)
        self.full = full

    def process(self, data_batch, data_samples):
        for ds in data_samples:
            result = dict(qid=ds['qid'])
            if 'pred_saliency' in ds:
                result['pred_saliency_scores'] = to_numpy(ds['pred_saliency'])
            if 'pred_windows' in ds:
                result['pred_relevant_windows'] = to_numpy(ds['pred_windows']).reshape(-1, 3)
            if 'saliency_scores' in ds:
                result.update({k: ds[k] for k in _LABELS})
            self.results.append(result)

    def compute_metrics(self, results):
        results = unique_by(results, 'qid')
        labelled = sum('saliency_scores' in r for r in results)
        if labelled == 0:
            MMLogger.get_current_instance().info(
                'QVHighlightsMetric: no labelled samples, no metrics computed')
            return {}
        if labelled < len(results):
            raise DataError(f'QVHighlightsMetric: only {labelled} of {len(results)} samples '
                            'are labelled (mixed labelled and test samples)')
        metrics = F.eval_submission(results, results, sources=(None, None))
        out = dict(metrics['brief'])
        if self.full:
            out.update(_flatten({k: v for k, v in metrics.items() if k != 'brief'}))
        return out


def _flatten(tree, prefix=''):
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f'{prefix}{key}/'))
        else:
            flat[f'{prefix}{key}'] = value
    return flat
