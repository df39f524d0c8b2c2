"""SoccerNet metrics: spotting average-mAP, the official prediction-file dumper, and window AP.

* :class:`SoccerNetSpottingMetric`: half samples with ``pred_second_scores`` (S, C) -> NMS spots ->
  average-mAP against the ``gt_events`` of each half (devkit algorithm, grouped classes allowed).
* :class:`SoccerNetSpottingDumper`: writes ``<out_dir>/<game>/results_spotting.json`` in the official format
  (``tools/test.py --dump DIR``), readable by the devkit and ``tools/eval_spotting.py``.
* :class:`SoccerWindowAPMetric`: per-class AP over window samples (model selection, docs/metrics.md §7).
"""
import json
import os.path as osp
from collections import defaultdict

import numpy as np
from mmaction.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmengine.utils import mkdir_or_exist

from ..functional.soccernet import DELTAS, average_mAP, num_frames, predictions_json, spots_from_scores
from .utils import to_numpy


def _event_class_names(dataset_meta, skip=('background', )):
    """Class names of the score columns; None for skipped columns (background)."""
    classes = (dataset_meta or {}).get('classes')
    if classes is None:
        raise ValueError('the metric needs dataset_meta["classes"] (set by the runner from the dataset)')
    return [None if name in skip else name for name in classes]


class _SpotsFromHalves(BaseMetric):
    """Shared ``process``: per half, the NMS spots of every score column."""

    def __init__(self, nms_window=30, nms_threshold=0.0, collect_device='cpu', prefix=None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.nms_window, self.nms_threshold = nms_window, nms_threshold

    def process(self, data_batch, data_samples):
        for ds in data_samples:
            scores = to_numpy(ds['pred_second_scores'])  # tensors may be on the GPU: copied with .cpu()
            self.results.append(dict(game=ds['game'], half=int(ds['half']), gt_events=ds.get('gt_events', []),
                                     spots=spots_from_scores(scores, self.nms_window, self.nms_threshold)))


@METRICS.register_module()
class SoccerNetSpottingMetric(_SpotsFromHalves):
    """Average-mAP of spots extracted from per-second scores (docs/metrics.md §6).

    Args:
        metric (str): ``'loose'`` (5..60 s), ``'tight'`` (1..5 s) or ``'at1'``..``'at5'``.
        nms_window (float): NMS window in seconds (±window/2). nms_threshold (float): minimum spot score.
        framerate (int): evaluation frame rate (the devkit's 2).
    """

    default_prefix = 'soccernet'

    def __init__(self, metric='loose', nms_window=30, nms_threshold=0.0, framerate=2, **kwargs):
        super().__init__(nms_window, nms_threshold, **kwargs)
        if metric not in DELTAS:
            raise ValueError(f'metric must be one of {sorted(DELTAS)}, got {metric!r}')
        self.metric, self.framerate = metric, framerate

    def compute_metrics(self, results):
        names = _event_class_names(self.dataset_meta)
        columns = [i for i, name in enumerate(names) if name is not None]
        to_event = {c: j for j, c in enumerate(columns)}
        size = num_frames(self.framerate)
        targets, detections = [], []
        for res in results:
            target = np.zeros((size, len(columns)))
            for position, second, cls, visible in res['gt_events']:
                if cls not in to_event:
                    continue
                frame = (int(self.framerate * (int(position) / 1000)) if position >= 0
                         else self.framerate * int(second))
                target[min(frame, size - 1), to_event[cls]] = 1 if visible else -1
            detection = np.zeros((size, len(columns))) - 1
            for c in columns:
                seconds, values = res['spots'][c]
                frames = np.minimum((self.framerate * seconds).astype(int), size - 1)
                detection[frames, to_event[c]] = values
            targets.append(target)
            detections.append(detection)
        out = average_mAP(targets, detections, self.framerate, DELTAS[self.metric])
        metrics = dict(a_mAP=out['a_mAP'])
        metrics.update({f'a_mAP_{names[c]}': ap for c, ap in zip(columns, out['a_mAP_per_class'])})
        return metrics


@METRICS.register_module()
class SoccerNetSpottingDumper(_SpotsFromHalves):
    """Write ``<out_dir>/<game>/results_spotting.json`` per game (official SoccerNet format).

    Args:
        out_dir (str): root of the game directories.
        nms_window (float), nms_threshold (float): spot extraction (reference: 30 s, 0.0).
        label_names (dict | None): class name -> label written in the file (default: the class name;
            the v1 classes card/subs/soccer and the 17 v2 names are what the devkit reads).
    """

    default_prefix = 'soccernet_dump'

    def __init__(self, out_dir, nms_window=30, nms_threshold=0.0, label_names=None, **kwargs):
        super().__init__(nms_window, nms_threshold, **kwargs)
        self.out_dir, self.label_names = out_dir, label_names or {}

    def compute_metrics(self, results):
        names = [None if n is None else self.label_names.get(n, n) for n in _event_class_names(self.dataset_meta)]
        per_game = defaultdict(dict)
        for res in results:
            per_game[res['game']][res['half']] = res['spots']
        for game, halves in per_game.items():
            mkdir_or_exist(osp.join(self.out_dir, game))
            with open(osp.join(self.out_dir, game, 'results_spotting.json'), 'w') as fh:
                json.dump(predictions_json(game, halves, names), fh, indent=1)
        return dict(games=len(per_game))


@METRICS.register_module()
class SoccerWindowAPMetric(BaseMetric):
    """Per-class average precision over windows; ``mAP`` = mean over non-background classes.

    Window samples (validation) are scored as they are; test halves contribute one row per second against the
    reference per-second labels (``gt_second_labels``). Classes without a positive are left out of the mean
    (AP undefined).
    """

    default_prefix = 'window'

    def process(self, data_batch, data_samples):
        for ds in data_samples:  # labels and scores may be on the GPU (the data preprocessor moved them)
            if 'pred_second_scores' in ds:  # a test half: its seconds against the reference labels
                self.results.append((to_numpy(ds['gt_second_labels']), to_numpy(ds['pred_second_scores'])))
            else:
                self.results.append((to_numpy(ds['gt_multilabel'])[None], to_numpy(ds['pred_multilabel'])[None]))

    def compute_metrics(self, results):
        from sklearn.metrics import average_precision_score
        gt = np.concatenate([r[0] for r in results])
        pred = np.concatenate([r[1] for r in results])
        names = _event_class_names(self.dataset_meta)
        metrics = {}
        for c, name in enumerate(names):
            if name is not None and gt[:, c].any():
                metrics[f'AP_{name}'] = float(average_precision_score(gt[:, c], pred[:, c]))
        metrics['mAP'] = float(np.mean(list(metrics.values()))) if metrics else 0.0
        return metrics
