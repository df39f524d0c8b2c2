"""A small synthetic, learnable dataset in the Hotstar layout, for trying the tools end to end.

Each title is a sequence of scenes. Highlight scenes (rating 4-5) carry a weak, fixed "excitement" direction in
the CLIP and PANNs features that rises and falls over the scene; the rest is title-specific style plus noise, and a
fraction ``label_noise`` of the scenes disagree with their rating (as human raters do), so no model is perfect.
A model that learns the direction ranks highlight seconds first; chance-level models do not.
"""
import csv
import os
import os.path as osp

import numpy as np

VIDEO_DIM, AUDIO_DIM = 512, 2048


def make_hotstar_demo(root, num_titles=30, min_duration=240, max_duration=480, scene_len=(8, 30),
                      highlight_rate=0.3, signal=0.3, label_noise=0.1, seed=0):
    """Write ``labels.csv``, ``clip_features/`` and ``panns_features/`` under ``root``; return the row count."""
    rng = np.random.default_rng(seed)
    os.makedirs(osp.join(root, 'clip_features'), exist_ok=True)
    os.makedirs(osp.join(root, 'panns_features'), exist_ok=True)
    video_dir = rng.standard_normal(VIDEO_DIM).astype(np.float32)
    audio_dir = np.abs(rng.standard_normal(AUDIO_DIM)).astype(np.float32)

    rows = []
    for t in range(num_titles):
        cid = f'demo{t:04d}'
        duration = int(rng.integers(min_duration, max_duration + 1)) // 2 * 2
        excitement = np.zeros(duration, np.float32)
        start = 0
        while start < duration:
            end = min(duration, start + int(rng.integers(*scene_len)))
            highlight = rng.random() < highlight_rate
            rating = int(rng.integers(4, 6)) if highlight else int(rng.integers(1, 4))
            # raters disagree with the signal now and then: a rated highlight without it, or the reverse
            if highlight != (rng.random() < label_noise):  # a bump over the scene, strongest in its middle
                excitement[start:end] = np.sin(np.linspace(0.15, np.pi - 0.15, end - start))
            rows.append(dict(content_id=cid, start=start, end=end, label=int(rating > 3), rating=rating))
            start = end

        style_v = 0.5 * rng.standard_normal(VIDEO_DIM).astype(np.float32)
        video = style_v + rng.standard_normal((duration, VIDEO_DIM)).astype(np.float32)
        video += signal * excitement[:, None] * video_dir
        audio_ex = excitement.reshape(-1, 2).mean(axis=1)
        audio = np.abs(rng.standard_normal((duration // 2, AUDIO_DIM))).astype(np.float32)
        audio += signal * audio_ex[:, None] * audio_dir
        np.savez(osp.join(root, 'clip_features', f'{cid}.npz'), features=video)
        np.savez(osp.join(root, 'panns_features', f'{cid}.npz'), audio)  # stored as arr_0, like the fork

    # is_train mimics the fork's row-level split (ignored by default: we split by title)
    num_train = int(0.9 * len(rows))
    with open(osp.join(root, 'labels.csv'), 'w', newline='') as fh:
        writer = csv.DictWriter(fh, fieldnames=['content_id', 'start', 'end', 'label', 'rating', 'is_train'])
        writer.writeheader()
        for i, row in enumerate(rows):
            writer.writerow(dict(row, is_train=i < num_train))
    return len(rows)
