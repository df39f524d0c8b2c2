"""TVSum in UMT's layout, and the per-domain video dataset it shares with YouTube Highlights.

Layout under ``data_root`` (UMT's packaged ``tvsum-ec05ad4e.zip``): ``tvsum_anno.json`` (a JSON object keyed by
video id, each with ``anno``: (T, 20) importance scores 1-5, one column per user, one row per clip),
``video_features/{vid}_rgb.npy`` and ``{vid}_opt.npy`` (T, 1024) each, concatenated to 2048,
``audio_features/{vid}.npy`` (T, 2048) and ``query_features/{vid}.npz['token']`` (L, 512).
"""
import json
import logging
import os.path as osp

import numpy as np
from mmaction.registry import DATASETS
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from ..engine.errors import DataError
from .feature_io import array_length

CLIP_LEN = 2.0  # TVSum was rated per 2-s shot, taken as one row of ``anno`` (unconfirmed for UMT's copy)
USERS = 20
MIN_SCORE, MAX_SCORE = 1, 5

# Train / val video ids per category, as UMT splits them (TencentARC/UMT, datasets/utils/static.py, BSD-3-Clause).
TVSUM_SPLITS = {
    'BK': dict(train='WxtbjNsCQ8A EE-bNr36nyA oDXZc0tZe04 uGu_10sucQo'.split(), val=['Se3oxnaPsz0']),
    'BT': dict(train='eQu1rNs0an0 qqR6AEXwxoQ EYqVtI9YWJA iVt07TCkFM0'.split(), val=['JgHubY5Vw3Y']),
    'DS': dict(train='kLxoNp-UchI NyBmCxDoHJU jcoYJXDG9sw -esJrBWj2d8'.split(), val=['E11zDS9XGzg']),
    'FM': dict(train='_xMr-HKMfVA byxOvuiIJV0 VuWGsYPqAX8 xmEERLqJ2kU'.split(), val=['JKpqYvAdIsw']),
    'GA': dict(train='xxdtq8mxegs i3wAGJaaktw 0tmA_C6XwfM 3eYKfiOEJNs'.split(), val=['Bhxk-O1Y7Ho']),
    'MS': dict(train='Hl-__g2gn_A WG0MBPpPC6I LRw_obCPUt0 37rzWOQsNIw'.split(), val=['Yi4Ij2NM7U4']),
    'PK': dict(train='GsAD1KT1xo8 XkqCExn6_Us b626MiF1ew4 PJrm840pAUI'.split(), val=['cjibtmSLxQ4']),
    'PR': dict(train='RBCABdttQmI z_6gVvQb2d0 4wU_LUjG5Ic 91IHQYk1IQM'.split(), val=['fWutDQy1nnY']),
    'VT': dict(train='gzDbaEs1Rlg XzYM3PfTM4w 98MoyGZKHXc AwmHb44_ouw'.split(), val=['J0nA4VgnoCo']),
    'VU': dict(train='akI8YFjEmUw HT5vyqe0Xaw vdmoEJ5YbrQ xwqBXPGE9pQ'.split(), val=['sTEELN-vY30']),
}


def read_json(path):
    """A JSON object file as a dict; malformed JSON raises a DataError naming the file and line."""
    if not osp.isfile(path):
        raise DataError(f'annotation file not found: {path}')
    try:
        with open(path, encoding='utf-8') as fh:
            data = json.load(fh)
    except json.JSONDecodeError as exc:
        raise DataError(f'{path}:{exc.lineno}: not valid JSON ({exc.msg})') from None
    if not isinstance(data, dict):
        raise DataError(f'{path}: expected a JSON object keyed by video id, got a {type(data).__name__}')
    return data


class DomainVideoDataset(BaseDataset):
    """One sample per video of a domain's fixed train or val list, in UMT's YouTube Highlights / TVSum layout.

    Subclasses give ``SPLITS`` (domain -> ``dict(train=[vid, ...], val=[vid, ...])``) and ``_labels``.
    Listed videos missing from the annotation file are skipped (their count is logged), as UMT does; a listed
    video whose feature file is missing or malformed is a DataError naming the file and the video id.

    Args:
        domain (str): a key of ``SPLITS``.
        split (str): 'train' or 'val'.
        ann_file (str): the annotation JSON (relative to ``data_root``).
        data_prefix (dict): folders ``video`` (``{vid}_rgb.npy``, ``{vid}_opt.npy``), ``audio`` (``{vid}.npy``)
            and ``query`` (``{vid}.npz``).
        use_audio (bool): load the audio features (False for video-only models).
        length_tolerance (int | None): how many clips the features may fall short of the labels; None (the
            default, as UMT) allows any shortfall: every sample is cut to its shortest modality.
    """

    SPLITS = {}
    VIDEO_STREAMS = ('rgb', 'opt')  # concatenated along channels, in this order

    def __init__(self, domain, split='train', ann_file='', data_root='', data_prefix=None, use_audio=True,
                 length_tolerance=None, **kwargs):
        name = type(self).__name__
        if domain not in self.SPLITS:
            raise DataError(f'{name}: unknown domain {domain!r}; expected one of {list(self.SPLITS)}')
        if split not in ('train', 'val'):
            raise DataError(f"{name}: split must be 'train' or 'val', got {split!r}")
        self.domain, self.split, self.use_audio = domain, split, use_audio
        self.length_tolerance = float('inf') if length_tolerance is None else length_tolerance
        data_prefix = data_prefix or dict(video='video_features', audio='audio_features', query='query_features')
        super().__init__(ann_file=ann_file, data_root=data_root, data_prefix=data_prefix, **kwargs)

    def load_data_list(self):
        anno = read_json(self.ann_file)
        listed = self.SPLITS[self.domain][self.split]
        vids = [vid for vid in listed if vid in anno]
        what = f'{self.domain} {self.split} videos'
        if not vids:
            raise DataError(f'{self.ann_file}: none of the {len(listed)} {what} is annotated')
        if len(vids) < len(listed):
            print_log(f'{self.ann_file}: skipped {len(listed) - len(vids)} of the {len(listed)} {what} '
                      '(not in the annotation file)', logger='current', level=logging.WARNING)
        return [self._sample(vid, anno[vid]) for vid in vids]

    def _sample(self, vid, record):
        where = f'video {vid} ({self.ann_file})'
        if not isinstance(record, dict):
            raise DataError(f'{where}: expected a JSON object, got a {type(record).__name__}')
        sources = dict(video=[self._source('video', f'{vid}_{s}.npy') for s in self.VIDEO_STREAMS])
        if self.use_audio:
            sources['audio'] = [self._source('audio', f'{vid}.npy')]
        query = self._query_source(vid)
        for src in [*sources['video'], *sources.get('audio', []), *([query] if query else [])]:
            try:
                array_length(src['path'], src['key'])  # header only: exists, readable, 2-D
            except DataError as exc:
                raise DataError(f'video {vid}: {exc}') from None
        info = dict(sample_id=where, vid=vid, domain=self.domain, feature_sources=sources,
                    length_tolerance=self.length_tolerance, **self._labels(where, record))
        if query:
            info['query_source'] = query
        return info

    def _source(self, folder, name, key=None):
        return dict(path=osp.join(self.data_prefix[folder], name), key=key)

    def _query_source(self, vid):
        """The text-query feature source of a video, or None (no query)."""
        return None

    def _labels(self, where, record):
        """``dict(gt_saliency=(T,) float32, clip_len=..., duration=..., **metainfo)`` from an annotation."""
        raise NotImplementedError


@DATASETS.register_module()
class TVSumDataset(DomainVideoDataset):
    """TVSum in UMT's layout: one category (``domain`` 'BK', 'BT', 'DS', 'FM', 'GA', 'MS', 'PK', 'PR', 'VT' or
    'VU'), 4 train videos and 1 val video each.

    Saliency target per clip: (sum of the 20 users' scores - 20) / 80, in [0, 1]. The full (T, 20) score
    matrix is kept as the ``annotations`` metainfo for :class:`TVSumMetric` (add it to the ``meta_keys``
    of ``PackHighlightInputs``).

    Args:
        use_query (bool): load the query tokens ``query_features/{vid}.npz['token']`` (L, 512).
        **kwargs: see :class:`DomainVideoDataset`.
    """

    SPLITS = TVSUM_SPLITS

    def __init__(self, domain, split='train', ann_file='tvsum_anno.json', use_query=True, **kwargs):
        self.use_query = use_query
        super().__init__(domain, split=split, ann_file=ann_file, **kwargs)

    def _query_source(self, vid):
        return self._source('query', f'{vid}.npz', key='token') if self.use_query else None

    def _labels(self, where, record):
        try:
            anno = np.asarray(record['anno'], dtype=np.float32)
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f'{where}: missing or malformed "anno" ({exc})') from None
        if anno.ndim != 2 or anno.shape[0] == 0 or anno.shape[1] != USERS:
            raise DataError(f'{where}: "anno" must be a (T, {USERS}) matrix of scores, got shape {anno.shape}')
        if not ((anno >= MIN_SCORE) & (anno <= MAX_SCORE)).all():
            raise DataError(f'{where}: "anno" scores must lie in [{MIN_SCORE}, {MAX_SCORE}]')
        # float32 as UMT's torch.Tensor: (sum - 20) / 80
        saliency = (anno.sum(axis=1) - np.float32(USERS * MIN_SCORE)) / np.float32(USERS * (MAX_SCORE - MIN_SCORE))
        return dict(gt_saliency=saliency, clip_len=CLIP_LEN, duration=len(anno) * CLIP_LEN, annotations=anno)
