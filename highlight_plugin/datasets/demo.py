"""A small synthetic, learnable dataset in the Hotstar layout, for trying the tools end to end.

Each title is a sequence of scenes. Highlight scenes (rating 4-5) carry a weak, fixed "excitement" direction in
the CLIP and PANNs features that rises and falls over the scene; the rest is title-specific style plus noise, and a
fraction ``label_noise`` of the scenes disagree with their rating (as human raters do), so no model is perfect.
A model that learns the direction ranks highlight seconds first; chance-level models do not.
"""
import csv
import os
import os.path as osp
from dataclasses import dataclass, replace
from typing import Optional, Tuple

import numpy as np

VIDEO_DIM, AUDIO_DIM = 512, 2048


@dataclass
class DemoSpec:
    """How the demo titles are drawn: their number and lengths (seconds), scene lengths, the share of highlight
    scenes, the strength of their signal, the share of ratings that disagree with it, and the seed."""
    num_titles: int = 30
    min_duration: int = 240
    max_duration: int = 480
    scene_len: Tuple[int, int] = (8, 30)
    highlight_rate: float = 0.3
    signal: float = 0.3
    label_noise: float = 0.1
    seed: int = 0


def make_hotstar_demo(root, spec: Optional[DemoSpec] = None, **overrides):
    """Write ``labels.csv``, ``clip_features/`` and ``panns_features/`` under ``root`` (``spec``, or the
    :class:`DemoSpec` fields given as ``overrides``); return the row count."""
    spec = replace(spec or DemoSpec(), **overrides)
    rng = np.random.default_rng(spec.seed)
    os.makedirs(osp.join(root, 'clip_features'), exist_ok=True)
    os.makedirs(osp.join(root, 'panns_features'), exist_ok=True)
    directions = (rng.standard_normal(VIDEO_DIM).astype(np.float32),
                  np.abs(rng.standard_normal(AUDIO_DIM)).astype(np.float32))
    rows = []
    for t in range(spec.num_titles):
        rows += _write_title(root, f'demo{t:04d}', rng, spec, directions)
    # is_train mimics the fork's row-level split (ignored by default: we split by title)
    num_train = int(0.9 * len(rows))
    with open(osp.join(root, 'labels.csv'), 'w', newline='') as fh:
        writer = csv.DictWriter(fh, fieldnames=['content_id', 'start', 'end', 'label', 'rating', 'is_train'])
        writer.writeheader()
        for i, row in enumerate(rows):
            writer.writerow(dict(row, is_train=i < num_train))
    return len(rows)


def _write_title(root, cid, rng, spec: DemoSpec, directions):
    """Draw one title's scenes, write its features; returns its label rows."""
    video_dir, audio_dir = directions
    duration = int(rng.integers(spec.min_duration, spec.max_duration + 1)) // 2 * 2
    excitement = np.zeros(duration, np.float32)
    rows, start = [], 0
    while start < duration:
        end = min(duration, start + int(rng.integers(*spec.scene_len)))
        highlight = rng.random() < spec.highlight_rate
        rating = int(rng.integers(4, 6)) if highlight else int(rng.integers(1, 4))
        # raters disagree with the signal now and then: a rated highlight without it, or the reverse
        if highlight != (rng.random() < spec.label_noise):  # a bump over the scene, strongest in its middle
            excitement[start:end] = np.sin(np.linspace(0.15, np.pi - 0.15, end - start))
        rows.append(dict(content_id=cid, start=start, end=end, label=int(rating > 3), rating=rating))
        start = end
    style_v = 0.5 * rng.standard_normal(VIDEO_DIM).astype(np.float32)
    video = style_v + rng.standard_normal((duration, VIDEO_DIM)).astype(np.float32)
    video += spec.signal * excitement[:, None] * video_dir
    audio_ex = excitement.reshape(-1, 2).mean(axis=1)
    audio = np.abs(rng.standard_normal((duration // 2, AUDIO_DIM))).astype(np.float32)
    audio += spec.signal * audio_ex[:, None] * audio_dir
    np.savez(osp.join(root, 'clip_features', f'{cid}.npz'), features=video)
    np.savez(osp.join(root, 'panns_features', f'{cid}.npz'), audio)  # stored as arr_0, like the fork
    return rows
