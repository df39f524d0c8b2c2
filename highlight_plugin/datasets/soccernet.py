"""SoccerNet per-half features cut into training windows or served whole for 1-s-stride spotting.

Layout (docs/datasets.md §7)::

    data_root/<features prefix>/<league>/<season>/<game>/{1,2}_<video file>, {1,2}_<audio file>
    data_root/<labels prefix>/<league>/<season>/<game>/Labels-v2.json   (or Labels.json for v1)

* ``sample_mode='window'`` (training/validation): one sample = one non-overlapping window of
  ``window_size`` seconds, ``N = window_size * fps`` rows per modality, with a multi-hot label.
* ``sample_mode='half'`` (testing): one sample = one whole half; the model unfolds the centred 1-s-stride
  windows itself and returns one score row per second.

Features are memory-mapped (``np.load(mmap_mode='r')``) and only the rows of a sample are read.
"""
import os.path as osp

import numpy as np
from mmaction.registry import DATASETS
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from ..engine.errors import ConfigError, DataError
from . import soccernet_transforms  # noqa: F401  (registers PackSoccerInputs)
from .soccernet_labels import load_events, resolve_classes


def half_feature_path(game_dir, half, file_name):
    """A half's feature file in a game folder: ``{half}_{file_name}`` (e.g. ``1_ResNET_TF2_PCA512.npy``)."""
    return osp.join(game_dir, f'{half}_{file_name}')


def read_game_list(path):
    """Game paths from a split list: ``.npy`` (V&D's ``listgame_*.npy``), ``.json`` (list) or text lines."""
    if not osp.isfile(path):
        raise DataError(f'split list not found: {path}')
    if path.endswith('.npy'):
        try:
            games = np.load(path, allow_pickle=False).tolist()
        except ValueError:
            raise DataError(f'{path}: holds Python objects; save the game list as a string array or a text '
                            'file (pickled .npy files are not loaded for safety)') from None
    elif path.endswith('.json'):
        import json
        with open(path) as fh:
            games = json.load(fh)
        games = list(games)
    else:
        with open(path) as fh:
            games = [line.strip() for line in fh]
    games = [str(g) for g in games if str(g).strip()]
    if not games:
        raise DataError(f'{path}: the split list is empty')
    return games


@DATASETS.register_module()
class SoccerNetWindowDataset(BaseDataset):
    """SoccerNet action-spotting features as windows (training) or halves (testing).

    Args:
        ann_file (str): split list (``.npy``/``.json``/text, one game path per entry), relative to data_root.
        data_prefix (dict): ``features`` and ``labels`` folders holding the game directories.
        feature_files (dict): modality -> file name after ``'{half}_'`` (exact name, e.g.
            ``dict(video='ResNET_TF2_PCA512.npy', audio='VGGish.npy')``; leave ``audio`` out for video only).
        label_file (str | None): ``'Labels-v2.json'`` or ``'Labels.json'``; None for unlabelled games.
        classes (str | sequence[str]): a preset (``'highlight'`` 5 classes, ``'v1'`` V&D's 4, ``'v2'`` 17 +
            background; see ``soccernet_labels.CLASS_PRESETS``) or class names; ``'background'`` first gets
            the background bit.
        label_map (dict | None): raw label -> class name or None (a known label that is no class); None = the
            preset's map. Unknown labels are errors.
        window_size (int): window length in seconds. fps (int): feature rows per second.
        sample_mode (str): ``'window'`` or ``'half'``; default ``'half'`` when ``test_mode`` else ``'window'``.
        halves (sequence[int]): halves per game.
    """

    def __init__(self,
                 ann_file,
                 data_root='',
                 data_prefix=dict(features='', labels=''),
                 feature_files=dict(video='ResNET_TF2_PCA512.npy', audio='VGGish.npy'),
                 label_file='Labels-v2.json',
                 classes='highlight',
                 label_map=None,
                 window_size=20,
                 fps=2,
                 sample_mode=None,
                 halves=(1, 2),
                 pipeline=(dict(type='PackSoccerInputs'), ),
                 test_mode=False,
                 **kwargs):
        self.sample_mode = sample_mode or ('half' if test_mode else 'window')
        if self.sample_mode not in ('window', 'half'):
            raise ConfigError(f"sample_mode must be 'window' or 'half', got {sample_mode!r}")
        if 'video' not in feature_files:
            raise ConfigError(f'feature_files needs a video entry, got {feature_files}')
        self.feature_files = dict(feature_files)
        self.label_file = label_file
        self.classes, self.label_map = resolve_classes(classes, label_map)
        self.window_size = int(window_size)
        self.fps = int(fps)
        self.halves = tuple(halves)
        self.has_background = self.classes[0] == 'background'
        self._mmaps = {}
        prefix = dict(features='', labels='')
        prefix.update(data_prefix)
        super().__init__(ann_file=ann_file, data_root=data_root, data_prefix=prefix,
                         metainfo=dict(classes=self.classes), pipeline=list(pipeline), test_mode=test_mode,
                         **kwargs)

    @property
    def window_frames(self):
        return self.window_size * self.fps

    # ------------------------------------------------------------------ index building
    def load_data_list(self):
        data_list = []
        self.clamped_events = 0
        for game in read_game_list(self.ann_file):
            events = self._game_events(game)
            for half in self.halves:
                num_frames = self._aligned_length(game, half)
                half_events = events.get(half, [])
                if self.sample_mode == 'half':
                    data_list.append(self._half_info(game, half, num_frames, half_events))
                else:
                    data_list.extend(self._window_infos(game, half, num_frames, half_events))
        if self.clamped_events:
            where = ('were put in the last window' if self.sample_mode == 'window' else
                     'are kept for the spotting metric, which scores them on its own 45-min+ grid')
            print_log(f'{self.ann_file}: {self.clamped_events} labels lie beyond the end of their half\'s '
                      f'features and {where}', logger='current', level=30)
        return data_list

    def _game_events(self, game):
        if self.label_file is None:
            return {}
        events = load_events(osp.join(self.data_prefix['labels'], game, self.label_file), self.classes,
                             self.label_map)
        bad = sorted(set(events) - set(self.halves) - {1, 2})
        if bad:
            first = events[bad[0]][0]
            raise DataError(f'{osp.join(game, self.label_file)}: annotations[{first["index"]}] is in half '
                            f'{bad[0]}; expected one of {self.halves}')
        return events

    def feature_path(self, game, half, modality):
        return half_feature_path(osp.join(self.data_prefix['features'], game), half, self.feature_files[modality])

    def _aligned_length(self, game, half):
        """Common row count of the half's modalities (features are aligned by truncating the longer one)."""
        lengths = {}
        for modality in self.feature_files:
            path = self.feature_path(game, half, modality)
            if not osp.isfile(path):
                raise DataError(f'game {game!r}, half {half}: {modality} feature file missing: {path}')
            lengths[modality] = len(self._mmap(path))
        num_frames = min(lengths.values())
        if len(set(lengths.values())) > 1:
            print_log(f'game {game!r}, half {half}: feature lengths differ {lengths}; using the first '
                      f'{num_frames} rows of each', logger='current', level=30)
        if num_frames < self.window_frames and self.sample_mode == 'window':
            print_log(f'game {game!r}, half {half}: {num_frames} rows, shorter than one window '
                      f'({self.window_frames}); no window from this half', logger='current', level=30)
        return num_frames

    def _window_infos(self, game, half, num_frames, events):
        num_windows = num_frames // self.window_frames
        if num_windows == 0:
            return []
        labels = np.zeros((num_windows, len(self.classes)), np.float32)
        for ev in events:
            w = ev['second'] // self.window_size
            if w >= num_windows:
                self.clamped_events += 1
                w = num_windows - 1
            labels[w, ev['cls']] = 1.0
        if self.has_background:
            # Background iff no event class in the window: independent of annotation order.
            labels[:, 0] = (labels[:, 1:].max(axis=1) == 0).astype(np.float32)
        return [dict(game=game, half=half, window_idx=w, frame_start=w * self.window_frames,
                     num_frames=self.window_frames, gt_multilabel=labels[w]) for w in range(num_windows)]

    def _half_info(self, game, half, num_frames, events):
        duration = num_frames / self.fps
        beyond = sum(ev['second'] >= duration for ev in events)
        self.clamped_events += beyond
        gt_events = [[-1 if ev['position'] is None else ev['position'], ev['second'], ev['cls'],
                      int(ev['visible'])] for ev in events]
        return dict(game=game, half=half, frame_start=0, num_frames=num_frames, num_seconds=num_frames // self.fps,
                    gt_events=gt_events)

    def label_counts(self):
        """(positives per class, number of windows) over the window samples, for ``pos_weight='auto'``."""
        if self.sample_mode != 'window':
            raise ConfigError('label_counts() needs sample_mode="window"')
        labels = np.stack([self.get_data_info(i)['gt_multilabel'] for i in range(len(self))])
        return labels.sum(axis=0), len(labels)

    # ------------------------------------------------------------------ loading
    def _mmap(self, path):
        arr = self._mmaps.get(path)
        if arr is None:
            try:
                arr = np.load(path, mmap_mode='r', allow_pickle=False)
            except Exception as exc:
                raise DataError(f'cannot read feature file {path}: {exc}') from None
            if arr.ndim != 2:
                raise DataError(f'{path}: expected a 2-D (time, channels) array, got shape {arr.shape}')
            self._mmaps[path] = arr
        return arr

    def prepare_data(self, idx):
        info = self.get_data_info(idx)
        start, stop = info['frame_start'], info['frame_start'] + info['num_frames']
        for modality in self.feature_files:
            rows = self._mmap(self.feature_path(info['game'], info['half'], modality))[start:stop]
            info[modality] = np.array(rows, dtype=np.float32)  # copies the rows out of the memmap
        info.update(sample_mode=self.sample_mode, fps=self.fps, window_size=self.window_size)
        if self.sample_mode == 'half' and self.label_file is not None:
            info['gt_second_labels'] = self.second_labels(info['gt_events'], info['num_seconds'])
        return self.pipeline(info)

    def second_labels(self, gt_events, num_seconds):
        """Reference per-second labels (S, C) of a half: second i is positive for an event at second s when
        s lies in its centred window [i - W/2, i + W/2); background iff no event class (docs/datasets.md §7.5)."""
        labels = np.zeros((num_seconds, len(self.classes)), np.float32)
        half_w = self.window_size / 2
        for _, second, cls, _ in gt_events:
            lo, hi = max(0, int(np.floor(second - half_w)) + 1), min(num_seconds, int(np.floor(second + half_w)) + 1)
            labels[lo:hi, cls] = 1.0
        if self.has_background:
            labels[:, 0] = (labels[:, 1:].max(axis=1, initial=0) == 0).astype(np.float32)
        return labels

    def __getstate__(self):  # memmaps are reopened in each worker
        state = self.__dict__.copy()
        state['_mmaps'] = {}
        return state
