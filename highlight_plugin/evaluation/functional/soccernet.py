"""SoccerNet action spotting: average-mAP as ``SoccerNet.Evaluation.ActionSpotting.evaluate`` (docs/metrics.md §6).

Our own numpy implementation of the devkit's algorithm, in the same steps and floating-point order:

1. each half is rasterised to ``120 * 60 * framerate`` frames x C (:func:`label_vectors`,
   :func:`prediction_vectors`); GT values are +1 (visible) or -1 (not shown), predictions their confidence
   on a -1 background; a later entry at the same frame and class overwrites an earlier one;
2. per tolerance delta, class and half, GTs in increasing frame order take the most confident unmatched
   prediction within ``delta / 2`` frames (the earliest on ties) as a true positive (:func:`match`);
3. precision/recall at 200 thresholds pooled over halves, 11-point interpolated AP, mean over classes,
   trapezoidal average over the tolerances (:func:`average_mAP`).

Grouped classes (e.g. the 5-class highlight setup) use a label -> class-index map instead of the devkit's
fixed dictionaries.
"""
import json
import os
import os.path as osp

import numpy as np

from ...engine.errors import DataError

DELTAS = {'loose': np.arange(12) * 5 + 5, 'tight': np.arange(5) * 1 + 1,
          **{f'at{i}': np.array([i]) for i in range(1, 6)}}
V1_CLASSES = ('card', 'subs', 'soccer')
V2_CLASSES = ('Penalty', 'Kick-off', 'Goal', 'Substitution', 'Offside', 'Shots on target', 'Shots off target',
              'Clearance', 'Ball out of play', 'Throw-in', 'Foul', 'Indirect free-kick', 'Direct free-kick',
              'Corner', 'Yellow card', 'Red card', 'Yellow->red card')


def v1_label_class(label):
    """The devkit's v1 rule for ground-truth labels: substring card -> 0, subs -> 1, soccer -> 2."""
    for i, key in enumerate(V1_CLASSES):
        if key in label:
            return i
    return None


def num_frames(framerate):
    return 120 * 60 * framerate


def label_vectors(labels, label_class, num_classes, framerate=2, where='labels'):
    """Label-file dict -> {1: (L, C), 2: (L, C)} with +1 / -1 (not shown) at GT frames, 0 elsewhere.

    ``label_class(label)`` gives a class index or None (skipped), e.g. ``dict.get`` of a class map.
    """
    size = num_frames(framerate)
    vectors = {1: np.zeros((size, num_classes)), 2: np.zeros((size, num_classes))}
    for i, ann in enumerate(labels['annotations']):
        try:
            time = ann['gameTime']
            half, minutes, seconds = int(time[0]), int(time[-5:-3]), int(time[-2:])
            frame = (int(framerate * (int(ann['position']) / 1000)) if 'position' in ann
                     else framerate * (seconds + 60 * minutes))
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise DataError(f'{where}: annotations[{i}] is malformed ({exc!r})') from None
        cls = label_class(ann['label'])
        if cls is None or half not in vectors:
            continue
        vectors[half][min(frame, size - 1), cls] = -1 if ann.get('visibility') == 'not shown' else 1
    return vectors


def prediction_vectors(predictions, label_class, num_classes, framerate=2, where='predictions'):
    """Prediction-file dict -> {1: (L, C), 2: (L, C)} holding confidences on a -1 background."""
    size = num_frames(framerate)
    vectors = {1: np.zeros((size, num_classes)) - 1, 2: np.zeros((size, num_classes)) - 1}
    for i, pred in enumerate(predictions['predictions']):
        try:
            frame = int(framerate * (int(pred['position']) / 1000))
            half, label, value = int(pred['half']), pred['label'], float(pred['confidence'])
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f'{where}: predictions[{i}] is malformed ({exc!r})') from None
        cls = label_class(label)
        if cls is None or half not in vectors:
            continue
        vectors[half][min(frame, size - 1), cls] = value
    return vectors


def closest_visibility(gt_frames, gt_values, frames):
    """Visibility (+1/-1) of the closest GT of each frame, regions split at integer midpoints; -1 if no GT."""
    if len(gt_frames) == 0:
        return np.full(len(frames), -1.0)
    bounds = (gt_frames[:-1] + gt_frames[1:]) // 2
    return gt_values[np.searchsorted(bounds, frames, side='right')]


def match(gt_frames, pred_frames, pred_scores, delta):
    """TP flags of the predictions (sorted frames) for GT frames (sorted), tolerance ``delta`` frames."""
    tp = np.zeros(len(pred_frames), bool)
    lows = np.searchsorted(pred_frames, gt_frames - delta / 2, side='left')
    highs = np.searchsorted(pred_frames, gt_frames + delta / 2, side='right')
    for lo, hi in zip(lows, highs):
        free = np.flatnonzero(~tp[lo:hi]) + lo
        if free.size:
            tp[free[np.argmax(pred_scores[free])]] = True  # first maximum = earliest on ties
    return tp


def _precision_recall(scores, tp, n_gt, thresholds):
    """Precision and recall at each threshold (a prediction counts when score >= threshold)."""
    order = np.argsort(scores, kind='stable')
    sorted_scores, tp_sorted = scores[order], tp[order].astype(np.float64)
    start = np.searchsorted(sorted_scores, thresholds, side='left')
    tp_suffix = np.concatenate([np.cumsum(tp_sorted[::-1])[::-1], [0.0]])
    n_pred = len(scores) - start
    num_tp = tp_suffix[start]
    with np.errstate(divide='ignore', invalid='ignore'):
        precision = np.nan_to_num(num_tp / n_pred)
        recall = np.nan_to_num(num_tp / n_gt)
    return precision, recall


def _ap11(precision, recall):
    ap = 0.0
    for j in np.arange(11) / 10:
        sel = precision[recall >= j]
        ap += np.max(sel) if sel.size else 0
    return ap / 11


def _trapezoid(values):
    if len(values) == 1:
        return values[0]
    integral = 0.0
    for i in range(len(values) - 1):
        integral += (values[i] + values[i + 1]) / 2
    return integral / (len(values) - 1)


def _sparse_halves(targets, detections):
    """Per class: a list over halves of (gt frames, gt values, pred frames, pred scores, pred visibility)."""
    num_classes = targets[0].shape[1]
    per_class = [[] for _ in range(num_classes)]
    for target, detection in zip(targets, detections):
        for c in range(num_classes):
            gt_frames = np.flatnonzero(target[:, c] != 0)
            pred_frames = np.flatnonzero(detection[:, c] >= 0)
            gt_values = target[gt_frames, c]
            per_class[c].append((gt_frames, gt_values, pred_frames, detection[pred_frames, c],
                                 closest_visibility(gt_frames, gt_values, pred_frames)))
    return per_class


def average_mAP(targets, detections, framerate=2, deltas=DELTAS['loose']):
    """Average-mAP over tolerances ``deltas`` (seconds) for lists of per-half (L, C) vectors.

    Returns the devkit's dict: ``a_mAP``, ``a_mAP_per_class`` and the ``_visible`` / ``_unshown`` variants
    (``a_mAP_unshown`` scaled by 17/13 as the devkit does).
    """
    per_class = _sparse_halves(targets, detections)
    thresholds = np.linspace(0, 1, 200)
    curves = {k: ([], []) for k in ('', '_visible', '_unshown')}  # k -> (mAP per delta, per-class per delta)
    for delta in np.asarray(deltas) * framerate:
        aps = {k: [] for k in curves}
        for halves in per_class:
            tp = np.concatenate([match(g, p, s, delta) for g, _, p, s, _ in halves])
            scores = np.concatenate([s for _, _, _, s, _ in halves])
            vis = np.concatenate([v for *_, v in halves])
            n_vis = sum(int((v > 0).sum()) for _, v, *_ in halves)
            n_uns = sum(int((v < 0).sum()) for _, v, *_ in halves)
            for key, keep, n_gt in (('', np.ones(len(scores), bool), n_vis + n_uns),
                                    ('_visible', vis > 0.5, n_vis), ('_unshown', vis < -0.5, n_uns)):
                # The devkit counts TPs over the kept predictions but recall against n_gt of the subset.
                precision, recall = _precision_recall(scores[keep], tp[keep], n_gt, thresholds)
                aps[key].append(_ap11(precision, recall))
        for key, (maps, per) in curves.items():
            ap = np.array(aps[key])
            maps.append(np.mean(ap))
            per.append(ap)
    results = {}
    for key, (maps, per) in curves.items():
        results['a_mAP' + key] = _trapezoid(maps)
        results['a_mAP_per_class' + key] = [_trapezoid([p[c] for p in per]) for c in range(len(per[0]))]
    results['a_mAP_unshown'] = results['a_mAP_unshown'] * 17 / 13
    return results


def _load_json(path):
    try:
        with open(path) as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise DataError(f'file not found: {path}') from None
    except json.JSONDecodeError as exc:
        raise DataError(f'{path}: invalid JSON ({exc})') from None


def find_prediction_games(pred_root, prediction_file='results_spotting.json'):
    """Game paths (relative, '/'-separated) of every directory under ``pred_root`` holding a prediction file."""
    games = []
    for root, _, files in os.walk(pred_root):
        if prediction_file in files:
            games.append(osp.relpath(root, pred_root).replace(os.sep, '/'))
    return sorted(games)


def class_maps(version=2, classes=None, label_map=None):
    """``(class names, raw label -> index, prediction label -> index)`` of a spotting evaluation: ``version=2`` the 17
    classes (unknown labels skipped); ``version=1`` card/subs/soccer by substring for labels and by exact class name
    for predictions; grouped classes: ``classes`` (names) and ``label_map`` (raw label -> class name or None),
    prediction labels being class names or raw labels."""
    if classes is not None:
        index = {name: i for i, name in enumerate(classes)}
        gt_class = {raw: index[name] for raw, name in (label_map or {}).items() if name is not None}.get
        return classes, gt_class, lambda label: index.get(label, gt_class(label))
    if version == 1:
        index = {name: i for i, name in enumerate(V1_CLASSES)}

        def pred_class(label):
            if label not in index:
                raise DataError(f'prediction label {label!r} is not a v1 class {V1_CLASSES}')
            return index[label]
        return V1_CLASSES, v1_label_class, pred_class
    lookup = {name: i for i, name in enumerate(V2_CLASSES)}.get
    return V2_CLASSES, lookup, lookup


def evaluate_spotting(gt_root, pred_root, games=None, version=2, metric='loose', framerate=2, grouping=None,
                      files=None):
    """Evaluate ``pred_root/<game>/results_spotting.json`` against ``gt_root/<game>/Labels(-v2).json``.

    ``version``: 2 (the 17 classes) or 1 (see :func:`class_maps`); ``grouping``: ``(classes, label_map)`` of grouped
    classes; ``files``: ``dict(labels=..., predictions=...)`` file names other than the devkit's. ``games`` defaults
    to every game directory under ``pred_root`` with a prediction file.
    """
    if metric not in DELTAS:
        raise DataError(f'unknown metric {metric!r}; choose from {sorted(DELTAS)}')
    files = dict(files or {})
    label_file = files.get('labels') or ('Labels.json' if version == 1 else 'Labels-v2.json')
    prediction_file = files.get('predictions') or 'results_spotting.json'
    classes, gt_class, pred_class = class_maps(version, *(grouping or (None, None)))
    games = find_prediction_games(pred_root, prediction_file) if games is None else list(games)
    if not games:
        raise DataError(f'no {prediction_file} found under {pred_root}')
    targets, detections = [], []
    for game in games:
        gt_path = osp.join(gt_root, game, label_file)
        pred_path = osp.join(pred_root, game, prediction_file)
        gt = label_vectors(_load_json(gt_path), gt_class, len(classes), framerate, gt_path)
        pred = prediction_vectors(_load_json(pred_path), pred_class, len(classes), framerate, pred_path)
        for half in (1, 2):
            targets.append(gt[half])
            detections.append(pred[half])
    results = average_mAP(targets, detections, framerate, DELTAS[metric])
    results.update(classes=list(classes), num_games=len(games))
    return results


def spots_from_scores(scores, window=30, threshold=0.0):
    """Iterative-max NMS on per-second scores (S, C) -> list over classes of (seconds, scores) arrays.

    Repeatedly takes the highest remaining score >= ``threshold`` and suppresses seconds
    [t - window/2, t + window/2) (the sn-spotting reference extraction; window 30 s = ±15 s).
    """
    scores = np.asarray(scores, np.float64)
    spots = []
    for c in range(scores.shape[1]):
        work = scores[:, c].copy()
        seconds, values = [], []
        while work.size and work.max() >= threshold:
            t = int(np.argmax(work))
            seconds.append(t)
            values.append(work[t])
            work[max(0, int(t - window / 2)):min(len(work), t + int(window / 2))] = -1
        spots.append((np.array(seconds, int), np.array(values)))
    return spots


def game_time(half, second):
    return f'{half} - {int(second) // 60}:{int(second) % 60:02d}'


def predictions_json(game, half_spots, class_names):
    """``{half: spots_from_scores output}`` -> the official ``results_spotting.json`` dict."""
    predictions = []
    for half in sorted(half_spots):
        for name, (seconds, values) in zip(class_names, half_spots[half]):
            if name is None:
                continue
            for second, value in zip(seconds, values):
                predictions.append(dict(gameTime=game_time(half, second), label=name,
                                        position=str(int(second) * 1000), half=str(half),
                                        confidence=str(float(value))))
    predictions.sort(key=lambda p: (int(p['half']), int(p['position']), p['label']))
    return dict(UrlLocal=game, predictions=predictions)
