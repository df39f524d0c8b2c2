"""Seeded synthetic QVHighlights submissions (shared by tests, fixture regeneration
and ``benchmarks/eval_speed.py``). Only numpy's PCG64 streams are used, so a seed
gives the same submission on every platform.
"""
import numpy as np


def _windows(rng, gt, duration, kind):
    """10 predicted [start, end, score] rows for one query."""
    if kind == 'random':
        start = rng.uniform(0, duration, 10)
        end = np.minimum(start + rng.uniform(0, 60, 10), duration)
        score = rng.random(10)
    else:
        # Jittered GT windows (on the 2-s grid for 'ties'), then random fillers.
        gt = np.asarray(gt, dtype=np.float64).reshape(-1, 2)
        base = gt[rng.integers(0, len(gt), 10)]
        if kind == 'ties':
            jitter = 2. * rng.integers(-2, 3, (10, 2))
        else:
            jitter = rng.normal(0, 3, (10, 2))
        start = np.clip(base[:, 0] + jitter[:, 0], 0, duration)
        end = np.clip(base[:, 1] + jitter[:, 1], start, duration)
        score = rng.random(10)
    if kind == 'ties':
        score = np.round(score, 1)  # tied scores, left unsorted
        return np.stack([start, end, score], 1).tolist()
    order = np.argsort(-score, kind='stable')
    return np.stack([start, end, score], 1)[order].round(4).tolist()


def _saliency(rng, record, kind):
    n = int(record['duration'] / 2)
    if kind == 'random':
        return rng.random(n).round(4).tolist()
    if kind == 'ties':
        # Coarse scores (many ties), lengths off by up to 5 clips either way.
        length = max(1, n + int(rng.integers(-5, 6)))
        return (rng.integers(0, 3, length) / 2).tolist()
    gt = np.zeros(n)
    gt[record['relevant_clip_ids']] = np.sum(record['saliency_scores'], 1)
    return (gt + rng.normal(0, 3, n)).round(4).tolist()


def make_submission(gt_records, kind, seed=0, windows=True, saliency=True):
    """Official-format records for ``gt_records``.

    ``kind``: ``'random'`` (uniform scores and windows), ``'ties'`` (coarse tied
    scores, unsorted grid-aligned windows, saliency lengths off by +-5 clips) or
    ``'noisy_oracle'`` (GT plus noise).
    """
    rng = np.random.default_rng(seed)
    out = []
    for r in gt_records:
        entry = dict(qid=r['qid'], query=r['query'], vid=r['vid'])
        if windows:
            entry['pred_relevant_windows'] = _windows(
                rng, r.get('relevant_windows', [[0, 2]]), r['duration'], kind)
        if saliency:
            entry['pred_saliency_scores'] = _saliency(rng, r, kind)
        out.append(entry)
    return out


#: The submissions whose official metrics are stored in tests/data.
CASES = {
    'random': dict(kind='random', seed=0),
    'ties': dict(kind='ties', seed=1),
    'noisy_oracle': dict(kind='noisy_oracle', seed=2),
    'hd_only_ties': dict(kind='ties', seed=3, windows=False),
}
