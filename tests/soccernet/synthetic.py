"""Synthetic SoccerNet-layout games for the soccer tests (features, Labels-v2.json, predictions)."""
import json
import os.path as osp
from pathlib import Path

import numpy as np

from highlight_plugin.datasets.soccernet_labels import V2_LABELS


def game_name(i):
    return f'england_epl/2014-2015/2015-02-{i + 10:02d} - 18-00 Home {i} - 0 Away'


def write_json(path, obj):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(obj))


def gt_annotation(half, second, label, ms=None, visible=True):
    ann = dict(gameTime=f'{half} - {second // 60:02d}:{second % 60:02d}', label=label,
               team='home', visibility='visible' if visible else 'not shown')
    if ms is not None:
        ann['position'] = str(ms)
    return ann


def random_games(root, pred_root, num_games, rng, labels=V2_LABELS, per_half=25, label_file='Labels-v2.json',
                 pred_labels=None, with_position=True):
    """Write random GT and prediction files; returns the game list."""
    games = []
    pred_labels = pred_labels or labels
    for g in range(num_games):
        game = game_name(g)
        games.append(game)
        anns, preds = [], []
        for half in (1, 2):
            for _ in range(per_half):
                ms = int(rng.integers(0, 2700 * 1000))
                label = str(rng.choice(labels))
                anns.append(gt_annotation(half, ms // 1000, label, ms if with_position else None,
                                          visible=rng.random() > 0.2))
                if rng.random() < 0.8:  # a detection near the event, mostly of the right class
                    near = max(0, ms + int(rng.normal(0, 3000)))
                    name = pred_labels[labels.index(label)] if len(pred_labels) == len(labels) and \
                        rng.random() < 0.8 else str(rng.choice(pred_labels))
                    preds.append(dict(gameTime='', label=name, position=str(near), half=str(half),
                                      confidence=str(float(np.round(rng.random(), 2)))))
            for _ in range(per_half * 2):  # false positives, duplicated frames, tied scores
                ms = int(rng.integers(0, 2700 * 1000))
                preds.append(dict(gameTime='', label=str(rng.choice(pred_labels)), position=str(ms),
                                  half=str(half), confidence=str(float(np.round(rng.random(), 2)))))
        write_json(osp.join(root, game, label_file), dict(annotations=anns))
        write_json(osp.join(pred_root, game, 'results_spotting.json'), dict(UrlLocal=game, predictions=preds))
    return games


def write_features(root, game, lengths=(5400, 5400), dims=(512, 512), rng=None, video='ResNET_TF2_PCA512.npy',
                   audio='VGGish.npy', dtype=np.float32):
    rng = rng or np.random.default_rng(0)
    d = Path(root) / game
    d.mkdir(parents=True, exist_ok=True)
    for half, n in zip((1, 2), lengths):
        if n is None:
            continue
        np.save(d / f'{half}_{video}', rng.standard_normal((n, dims[0])).astype(dtype))
        np.save(d / f'{half}_{audio}', rng.standard_normal((n, dims[1])).astype(np.float64))
