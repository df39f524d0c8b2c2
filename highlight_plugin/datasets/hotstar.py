"""Hotstar long-form titles: one sample per rated scene, 1-s clips, split by title (no title in two splits)."""
import csv
import os.path as osp

import numpy as np
from mmaction.registry import DATASETS
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from ..engine.errors import DataError
from .feature_io import array_length

CLIP_LEN = 1.0          # the clip grid: CLIP frames at 1 fps
AUDIO_REPEAT = 2        # PANNs rows cover 2 s: each is repeated to reach the 1-s grid
POSITIVE_RATING = 3     # label = rating > 3
LABEL_COLUMNS = ('content_id', 'start', 'end', 'label', 'rating', 'is_train')


def split_titles(titles, train_ratio=0.9, seed=7):
    """Seeded shuffle of the sorted unique titles; returns (train, val) sets, each non-empty when possible."""
    titles = sorted(set(titles))
    order = np.random.default_rng(seed).permutation(len(titles))
    num_train = int(round(train_ratio * len(titles)))
    if len(titles) > 1:
        num_train = min(max(num_train, 1), len(titles) - 1)
    train = {titles[i] for i in order[:num_train]}
    return train, set(titles) - train


def read_labels(path):
    """Rows of ``labels.csv`` as dicts with ints, plus their line numbers; malformed lines name the line."""
    if not osp.isfile(path):
        raise DataError(f'labels file not found: {path}')
    rows = []
    with open(path, newline='', encoding='utf-8') as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in LABEL_COLUMNS[:3] if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(f'{path}: missing column(s) {missing}; expected {list(LABEL_COLUMNS)}')
        for row in reader:
            line = reader.line_num
            try:
                start, end = int(float(row['start'])), int(float(row['end']))
                rating = int(float(row['rating'])) if row.get('rating') not in (None, '') else None
                label = int(float(row['label'])) if row.get('label') not in (None, '') else None
            except (TypeError, ValueError) as exc:
                raise DataError(f'{path}:{line}: bad number ({exc})') from None
            if label is None:
                if rating is None:
                    raise DataError(f'{path}:{line}: neither label nor rating given')
                label = int(rating > POSITIVE_RATING)
            if label not in (0, 1):
                raise DataError(f'{path}:{line}: label must be 0 or 1, got {label}')
            rows.append(dict(row=line, content_id=str(row['content_id']).strip(), start=start, end=end,
                             label=label, rating=rating if rating is not None else -1,
                             is_train=str(row.get('is_train', '')).strip().lower() in ('1', 'true', 'yes')))
    if not rows:
        raise DataError(f'{path}: no rows')
    return rows


@DATASETS.register_module()
class HotstarHighlightDataset(BaseDataset):
    """Scenes rated by people on long-form titles, in the Hotstar feature layout.

    Layout under ``data_root``: ``labels.csv`` (content_id, start, end, label, rating, is_train),
    ``clip_features/{content_id}.npz['features']`` (N_sec, 512) CLIP at 1 fps, and
    ``panns_features/{content_id}.npz['arr_0']`` (N_2s, 2048) PANNs per 2 s (repeated x2 onto the 1-s grid).

    Args:
        split (str): 'train', 'val' or 'all'.
        split_by (str): 'title' (default): a seeded shuffle of the titles, ``train_ratio`` of them for
            training; 'is_train': the CSV column, checked to be disjoint by title; 'file': ``split_files``.
        split_files (dict): ``dict(train='train_titles.txt', val='val_titles.txt')``, one content_id per line.
        on_invalid (str): what to do with a row whose files are missing or whose segment is empty or
            outside the title's features: 'error' (default) or 'skip' (warn with every row and a count).
        use_audio (bool): load the PANNs features (False: video-only models).
    """

    def __init__(self, ann_file='labels.csv', data_root='', data_prefix=None, split='train', split_by='title',
                 train_ratio=0.9, seed=7, split_files=None, on_invalid='error', use_audio=True,
                 video_key='features', audio_key='arr_0', **kwargs):
        if split not in ('train', 'val', 'all'):
            raise DataError(f"HotstarHighlightDataset: split must be 'train', 'val' or 'all', got {split!r}")
        if on_invalid not in ('error', 'skip'):
            raise DataError(f"HotstarHighlightDataset: on_invalid must be 'error' or 'skip', got {on_invalid!r}")
        self.split, self.split_by, self.train_ratio, self.seed = split, split_by, train_ratio, seed
        self.split_files, self.on_invalid, self.use_audio = split_files, on_invalid, use_audio
        self.video_key, self.audio_key = video_key, audio_key
        data_prefix = data_prefix or dict(video='clip_features', audio='panns_features')
        super().__init__(ann_file=ann_file, data_root=data_root, data_prefix=data_prefix, **kwargs)

    def _split_sets(self, rows):
        titles = {r['content_id'] for r in rows}
        if self.split_by == 'title':
            return split_titles(titles, self.train_ratio, self.seed)
        if self.split_by == 'is_train':
            train = {r['content_id'] for r in rows if r['is_train']}
            val = {r['content_id'] for r in rows if not r['is_train']}
        elif self.split_by == 'file':
            train, val = (self._read_titles(self.split_files[k]) for k in ('train', 'val'))
        else:
            raise DataError(f"HotstarHighlightDataset: split_by must be 'title', 'is_train' or 'file', "
                            f'got {self.split_by!r}')
        leaked = sorted(train & val)
        if leaked:
            raise DataError(f'{self.ann_file}: titles in both train and val: {leaked[:10]}'
                            f'{" ..." if len(leaked) > 10 else ""} ({len(leaked)} titles)')
        return train, val

    def _read_titles(self, path):
        path = osp.join(self.data_root, path) if not osp.isabs(path) else path
        if not osp.isfile(path):
            raise DataError(f'split file not found: {path}')
        with open(path, encoding='utf-8') as fh:
            return {ln.strip() for ln in fh if ln.strip()}

    def _usable_length(self, content_id):
        """Seconds covered by every modality of a title, or a reason why the title cannot be used."""
        video = osp.join(self.data_prefix['video'], f'{content_id}.npz')
        lengths = [array_length(video, self.video_key)] if osp.isfile(video) else None
        if lengths is None:
            return None, f'missing {video}'
        if self.use_audio:
            audio = osp.join(self.data_prefix['audio'], f'{content_id}.npz')
            if not osp.isfile(audio):
                return None, f'missing {audio}'
            lengths.append(AUDIO_REPEAT * array_length(audio, self.audio_key))
        return min(lengths), None

    def load_data_list(self):
        rows = read_labels(self.ann_file)
        train, val = self._split_sets(rows)
        keep = {'train': train, 'val': val, 'all': train | val}[self.split]
        rows = [r for r in rows if r['content_id'] in keep]
        if not rows:
            raise DataError(f'{self.ann_file}: the {self.split!r} split is empty')

        usable, data_list, problems = {}, [], []
        for r in rows:
            cid = r['content_id']
            if cid not in usable:
                usable[cid] = self._usable_length(cid)
            length, reason = usable[cid]
            if reason is None and r['end'] <= r['start']:
                reason = f'empty segment [{r["start"]}, {r["end"]})'
            elif reason is None and (r['start'] < 0 or r['end'] > length):
                reason = f'segment [{r["start"]}, {r["end"]}) outside the features ({length} s)'
            if reason:
                problems.append(f'{self.ann_file}:{r["row"]} content_id {cid}: {reason}')
                continue
            data_list.append(self._sample(r))
        if problems:
            if self.on_invalid == 'error':
                more = f' (and {len(problems) - 5} more)' if len(problems) > 5 else ''
                raise DataError('; '.join(problems[:5]) + more + " — set on_invalid='skip' to skip such rows")
            for p in problems:
                print_log(f'skipped {p}', logger='current', level=30)
            print_log(f'{self.ann_file}: skipped {len(problems)} of {len(rows)} rows of the {self.split!r} split',
                      logger='current', level=30)
        if not data_list:
            raise DataError(f'{self.ann_file}: no usable rows in the {self.split!r} split')
        return data_list

    def _sample(self, r):
        cid, start, end = r['content_id'], r['start'], r['end']
        sources = dict(video=[dict(path=osp.join(self.data_prefix['video'], f'{cid}.npz'), key=self.video_key)])
        if self.use_audio:
            sources['audio'] = [dict(path=osp.join(self.data_prefix['audio'], f'{cid}.npz'), key=self.audio_key,
                                     repeat=AUDIO_REPEAT)]
        duration = end - start
        return dict(sample_id=f'content_id {cid} ({self.ann_file}:{r["row"]})', content_id=cid, start=start,
                    end=end, label=r['label'], rating=r['rating'], row=r['row'], duration=float(duration),
                    clip_len=CLIP_LEN, feature_sources=sources, clip_range=(start, end),
                    gt_saliency=np.full(duration, r['label'], np.float32),
                    gt_windows=np.array([[0.0, duration]] if r['label'] else np.zeros((0, 2)), np.float32))
