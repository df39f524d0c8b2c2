"""Transforms shared by the clip datasets (QVHighlights, Hotstar): load features, then pack a data sample."""
import numpy as np
import torch
from mmaction.registry import TRANSFORMS
from mmaction.structures import ActionDataSample
from mmcv.transforms import BaseTransform

from ..engine.errors import DataError
from .feature_io import FeatureCache

MODALITIES = ('video', 'audio')


@TRANSFORMS.register_module()
class LoadHighlightFeatures(BaseTransform):
    """Load the per-modality features of one sample onto a common clip grid.

    Reads ``results['feature_sources']`` (modality -> list of feature sources, concatenated along channels),
    ``results.get('query_source')``, and optionally ``results['clip_range'] = (start, end)`` (rows kept after
    repetition). The sample length is the minimum over the modalities and the saliency labels (longer inputs
    are truncated at the end, as the original UMT does). Features shorter than the labels by more than
    ``results['length_tolerance']`` clips are an error rather than a silent truncation.
    """

    def __init__(self, cache_size=8):
        self.cache = FeatureCache(cache_size)

    def transform(self, results):
        feats = {}
        for modality, sources in results['feature_sources'].items():
            arrays = [self.cache.load(src, results.get('clip_range')) for src in sources]
            n = min(len(a) for a in arrays)
            feats[modality] = np.concatenate([a[:n] for a in arrays], axis=1) if len(arrays) > 1 else arrays[0]

        num_clips = min(len(f) for f in feats.values())
        saliency = results.get('gt_saliency')
        if saliency is not None:
            missing = len(saliency) - num_clips
            if missing > results.get('length_tolerance', 0):
                files = ', '.join(s['path'] for srcs in results['feature_sources'].values() for s in srcs)
                raise DataError(f'{results["sample_id"]}: features have {num_clips} clips but the labels need '
                                f'{len(saliency)} ({files})')
            num_clips = min(num_clips, len(saliency))
        if num_clips == 0:
            raise DataError(f'{results["sample_id"]}: no clip left after aligning the modalities')

        for modality, feat in feats.items():
            results[modality] = np.ascontiguousarray(feat[:num_clips], dtype=np.float32)
        results['gt_saliency'] = (np.ones(num_clips, np.float32) if saliency is None else
                                  np.asarray(saliency[:num_clips], np.float32))
        results['num_clips'] = num_clips
        if results.get('query_source') is not None:
            results['query'] = self.cache.load(results['query_source'])
        return results


@TRANSFORMS.register_module()
class PackHighlightInputs(BaseTransform):
    """Pack features into ``inputs`` tensors and labels/metadata into an :class:`ActionDataSample`."""

    def __init__(self, meta_keys=('sample_idx', 'num_clips', 'clip_len', 'duration', 'qid', 'vid', 'query_text',
                                  'relevant_windows', 'relevant_clip_ids', 'saliency_scores', 'content_id',
                                  'start', 'end', 'label', 'rating', 'row', 'domain', 'annotations')):
        self.meta_keys = meta_keys

    def transform(self, results):
        inputs = {k: torch.from_numpy(results[k]) for k in (*MODALITIES, 'query') if k in results}
        sample = ActionDataSample()
        meta = {k: results[k] for k in self.meta_keys if k in results}
        if 'query_text' in meta:  # the contract's name for the natural-language query
            meta['query'] = meta.pop('query_text')
        sample.set_metainfo(meta)
        sample.gt_saliency = torch.from_numpy(results['gt_saliency'])
        windows = np.asarray(results.get('gt_windows', np.zeros((0, 2))), np.float32).reshape(-1, 2)
        sample.gt_windows = torch.from_numpy(windows)
        return dict(inputs=inputs, data_samples=sample)
