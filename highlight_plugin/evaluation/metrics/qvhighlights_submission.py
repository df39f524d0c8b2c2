"""Writes predictions as an official QVHighlights submission file."""
import json

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmaction.registry import METRICS

from ...engine.fileio import atomic_write
from .utils import to_numpy, unique_by


def _compact(array):
    """float32 values as the shortest floats that round-trip (ties and order kept)."""
    return [float(str(v)) for v in np.asarray(array, dtype=np.float32).ravel()]


@METRICS.register_module()
class QVHighlightsSubmission(BaseMetric):
    """Dumps ``{qid, query, vid, pred_saliency_scores[, pred_relevant_windows]}``
    lines (the CodaLab format read by ``tools/eval_qvhighlights.py``) in dataset
    order. Returns no metrics.

    Works on labelled and test splits. Under distributed evaluation the results are
    gathered first and only rank 0 writes, atomically (temporary file + rename).

    Args:
        out_file (str): path of the ``.jsonl`` file to write.
    """
    default_prefix = ''

    def __init__(self, out_file, collect_device='cpu', prefix=None, collect_dir=None):
        super().__init__(collect_device=collect_device, prefix=prefix,
                         collect_dir=collect_dir)
        self.out_file = out_file

    def process(self, data_batch, data_samples):
        for ds in data_samples:
            entry = dict(qid=ds['qid'], query=ds.get('query'), vid=ds.get('vid'))
            if 'pred_saliency' in ds:
                entry['pred_saliency_scores'] = _compact(to_numpy(ds['pred_saliency']))
            if 'pred_windows' in ds:
                windows = np.asarray(_compact(to_numpy(ds['pred_windows']))).reshape(-1, 3)
                entry['pred_relevant_windows'] = windows.tolist()
            self.results.append(
                dict(sample_idx=ds.get('sample_idx', 0), qid=ds['qid'], entry=entry))

    def compute_metrics(self, results):
        results = sorted(unique_by(results, 'qid'), key=lambda r: r['sample_idx'])
        entries = [r['entry'] for r in results]
        with atomic_write(self.out_file, 'w') as f:
            f.write('\n'.join(json.dumps(e) for e in entries))
        MMLogger.get_current_instance().info(
            f'QVHighlightsSubmission: wrote {len(entries)} predictions to {self.out_file}')
        return {}
