"""Packing of SoccerNet samples (windows or halves) into model inputs and an ActionDataSample."""
import numpy as np
import torch
from mmaction.registry import TRANSFORMS
from mmaction.structures import ActionDataSample
from mmcv.transforms import BaseTransform


@TRANSFORMS.register_module()
class PackSoccerInputs(BaseTransform):
    """``video``/``audio`` rows -> ``inputs``; labels and ids -> an :class:`ActionDataSample`.

    Window samples carry ``gt_multilabel`` (C,) as a data field; half samples carry ``gt_events`` (rows
    ``[position_ms or -1, second, class, visible]``) in the metainfo for the spotting metric.
    """

    def __init__(self, meta_keys=('sample_idx', 'game', 'half', 'window_idx', 'frame_start', 'num_frames',
                                  'num_seconds', 'sample_mode', 'fps', 'window_size', 'gt_events')):
        self.meta_keys = meta_keys

    def transform(self, results):
        inputs = {k: torch.from_numpy(results[k]) for k in ('video', 'audio') if k in results}
        sample = ActionDataSample()
        sample.set_metainfo({k: results[k] for k in self.meta_keys if k in results})
        if 'gt_multilabel' in results:
            sample.gt_multilabel = torch.from_numpy(np.asarray(results['gt_multilabel'], np.float32))
        return dict(inputs=inputs, data_samples=sample)
