"""Packing of SoccerNet samples (windows or halves) into model inputs and an ActionDataSample."""
import numpy as np
import torch
from mmaction.registry import TRANSFORMS
from mmaction.structures import ActionDataSample
from mmcv.transforms import BaseTransform


@TRANSFORMS.register_module()
class PackSoccerInputs(BaseTransform):
    """``video``/``audio`` rows -> ``inputs``; labels and ids -> an :class:`ActionDataSample`.

    Window samples carry ``gt_multilabel`` (C,) as a data field; labelled half samples carry
    ``gt_second_labels`` (S, C) and, in the metainfo, ``gt_events`` (rows ``[position_ms or -1, second, class,
    visible]``) for the spotting metric.
    """

    def __init__(self, meta_keys=('sample_idx', 'game', 'half', 'window_idx', 'frame_start', 'num_frames',
                                  'num_seconds', 'sample_mode', 'fps', 'window_size', 'gt_events')):
        self.meta_keys = meta_keys

    def transform(self, results):
        inputs = {k: torch.from_numpy(results[k]) for k in ('video', 'audio') if k in results}
        sample = ActionDataSample()
        sample.set_metainfo({k: results[k] for k in self.meta_keys if k in results})
        for key in ('gt_multilabel', 'gt_second_labels'):
            if key in results:
                sample.set_field(torch.from_numpy(np.asarray(results[key], np.float32)), key)
        return dict(inputs=inputs, data_samples=sample)
