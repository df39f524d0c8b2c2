"""QVHighlights: one sample per (query, video) pair, 2-s clips, soft saliency targets and moment windows."""
import os.path as osp

import numpy as np
from mmaction.registry import DATASETS
from mmengine.dataset import BaseDataset

from ..engine.errors import DataError
from ..engine.fileio import read_jsonl

CLIP_LEN = 2.0  # seconds per clip in the released features
ANNOTATORS = 3
MAX_SCORE = 4


def saliency_target(record, num_clips):
    """Soft target per clip: sum of the 3 annotators' scores / 12 on relevant clips, 0 elsewhere."""
    target = np.zeros(num_clips, np.float32)
    ids = np.asarray(record['relevant_clip_ids'], dtype=np.int64)
    scores = np.asarray(record['saliency_scores'], dtype=np.float32).reshape(len(ids), ANNOTATORS)
    keep = ids < num_clips
    target[ids[keep]] = scores[keep].sum(axis=1) / (ANNOTATORS * MAX_SCORE)
    return target


@DATASETS.register_module()
class QVHighlightsDataset(BaseDataset):
    """QVHighlights in its released layout (jsonl annotations + per-video / per-query feature files).

    Args:
        ann_file (str): ``highlight_{train,val,test}_release.jsonl`` (relative to ``data_root``).
        data_prefix (dict): feature folders by name, e.g. ``dict(slowfast='slowfast_features',
            clip='clip_features', pann='pann_features', text='clip_text_features')``.
        video_features (tuple[str]): ``data_prefix`` names concatenated (in order) into the video input.
        audio_features (tuple[str]): names concatenated into the audio input; empty for video-only models.
        query_feature (str | None): name of the text-feature folder (``qid{qid}.npz``); None for query-free.
        length_tolerance (int): how many clips the features may fall short of ``duration / 2`` before it
            is an error (the released features are sometimes a clip short).
    """

    # file name pattern and array key per feature folder name
    FEATURE_FILES = dict(slowfast=('{vid}.npz', 'features'), clip=('{vid}.npz', 'features'),
                         pann=('{vid}.npy', None), text=('qid{qid}.npz', 'last_hidden_state'),
                         asr=('qid{qid}.npz', 'last_hidden_state'))

    def __init__(self, ann_file, data_root='', data_prefix=None, video_features=('slowfast', 'clip'),
                 audio_features=('pann', ), query_feature='text', length_tolerance=2, **kwargs):
        self.video_features = tuple(video_features)
        self.audio_features = tuple(audio_features or ())
        self.query_feature = query_feature
        self.length_tolerance = length_tolerance
        data_prefix = data_prefix or dict(slowfast='slowfast_features', clip='clip_features',
                                          pann='pann_features', text='clip_text_features')
        super().__init__(ann_file=ann_file, data_root=data_root, data_prefix=data_prefix, **kwargs)

    def _source(self, name, **ids):
        if name not in self.data_prefix:
            raise DataError(f'{self.ann_file}: feature {name!r} has no folder in data_prefix {self.data_prefix}')
        pattern, key = self.FEATURE_FILES.get(name, ('{vid}.npz', 'features'))
        return dict(path=osp.join(self.data_prefix[name], pattern.format(**ids)), key=key)

    def load_data_list(self):
        records = read_jsonl(self.ann_file)
        if not records:
            raise DataError(f'{self.ann_file}: no samples')
        names = (*self.video_features, *self.audio_features, *([self.query_feature] if self.query_feature else []))
        for name in names:
            folder = self.data_prefix.get(name)
            if folder is not None and not osp.isdir(folder):
                raise DataError(f'feature folder not found: {folder} (data_prefix.{name})')
        return [self._parse(lineno, rec) for lineno, rec in records]

    def _parse(self, lineno, rec):
        where = f'{self.ann_file}:{lineno}'
        try:
            qid, vid, duration = int(rec['qid']), str(rec['vid']), float(rec['duration'])
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f'{where}: missing or invalid field {exc}') from None
        labelled = 'saliency_scores' in rec
        info = dict(
            sample_id=f'qid {qid} (vid {vid}, {where})', qid=qid, vid=vid, query_text=rec.get('query', ''),
            duration=duration, clip_len=CLIP_LEN, length_tolerance=self.length_tolerance,
            feature_sources=dict(video=[self._source(n, vid=vid) for n in self.video_features]))
        if self.audio_features:
            info['feature_sources']['audio'] = [self._source(n, vid=vid) for n in self.audio_features]
        if self.query_feature:
            info['query_source'] = self._source(self.query_feature, qid=qid)
        if labelled:
            try:
                info['gt_saliency'] = saliency_target(rec, int(duration / CLIP_LEN))
                windows = np.asarray(rec['relevant_windows'], np.float32).reshape(-1, 2)
            except (KeyError, TypeError, ValueError) as exc:
                raise DataError(f'{where}: qid {qid}: malformed labels ({exc})') from None
            if (windows[:, 1] < windows[:, 0]).any():
                raise DataError(f'{where}: qid {qid}: a relevant window ends before it starts')
            info.update(gt_windows=windows, relevant_windows=rec['relevant_windows'],
                        relevant_clip_ids=rec['relevant_clip_ids'], saliency_scores=rec['saliency_scores'])
        return info
