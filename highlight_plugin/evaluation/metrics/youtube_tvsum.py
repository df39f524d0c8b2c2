"""YouTube Highlights and TVSum mAP (UMT's evaluation)."""
from mmengine.evaluator import BaseMetric
from mmaction.registry import METRICS

from ..functional.youtube_tvsum import tvsum_map, youtube_highlights_map
from .utils import to_numpy, unique_by


class _SaliencyMetric(BaseMetric):
    """Collects ``pred_saliency`` and the label field ``label_key`` per video."""
    default_prefix = ''
    label_key = None

    def process(self, data_batch, data_samples):
        for ds in data_samples:
            self.results.append(dict(sample_idx=ds['sample_idx'],
                                     pred=to_numpy(ds['pred_saliency']),
                                     label=to_numpy(ds[self.label_key])))

    def _collected(self, results):
        results = sorted(unique_by(results, 'sample_idx'), key=lambda r: r['sample_idx'])
        return [r['pred'] for r in results], [r['label'] for r in results]


@METRICS.register_module()
class YouTubeHighlightsMetric(_SaliencyMetric):
    """mAP of one YouTube Highlights domain (key ``mAP``, in [0, 1]): per video the
    trapezoid AP of all clips ranked by ``pred_saliency`` against the binary
    ``gt_saliency``, averaged over videos."""
    label_key = 'gt_saliency'

    def compute_metrics(self, results):
        return dict(mAP=youtube_highlights_map(*self._collected(results)))


@METRICS.register_module()
class TVSumMetric(_SaliencyMetric):
    """TVSum top-5 mAP of one category (key ``mAP``, in [0, 1]) from the (T, 20)
    per-user scores in the ``annotations`` metainfo.

    Args:
        top_k (int): ranked clips kept per annotator. Defaults to 5.
    """
    label_key = 'annotations'

    def __init__(self, top_k=5, **kwargs):
        super().__init__(**kwargs)
        self.top_k = top_k

    def compute_metrics(self, results):
        return dict(mAP=tvsum_map(*self._collected(results), top_k=self.top_k))
