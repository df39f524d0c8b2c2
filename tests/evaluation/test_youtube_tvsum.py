"""YouTube Highlights and TVSum mAP (docs/metrics.md §3-4)."""
import numpy as np
import pytest
import torch
from mmaction.structures import ActionDataSample
from mmengine.evaluator import Evaluator

from highlight_plugin.evaluation.functional import youtube_tvsum as F


def loop_ap(ranked):
    """Straight transcription of the docs/metrics.md §3 recurrence."""
    num = sum(ranked)
    if num == 0:
        return 0
    hits = ap = rec = 0
    prc = 1
    for k, gt in enumerate(ranked, 1):
        hits += gt
        ap += (hits / num - rec) * (prc + hits / k) / 2
        rec, prc = hits / num, hits / k
    return ap


def test_worked_examples():
    assert F.trapezoid_ap(np.array([1, 0, 1]), 2) == pytest.approx(0.7917, abs=1e-4)
    assert F.trapezoid_ap(np.array([0, 1, 1, 0, 0]), 2) == pytest.approx(0.4167, abs=1e-4)
    assert F.trapezoid_ap(np.array([1, 0, 0, 0, 0]), 1) == 1.0
    assert F.trapezoid_ap(np.array([0, 0]), 0) == 0.0
    assert F.lower_median(np.array([4, 1, 3, 2])) == 2  # torch.median of an even count


def test_youtube_ranks_by_score_and_truncates_labels():
    scores = [np.array([0.1, 0.9, 0.5])]
    labels = [np.array([1, 0, 1, 1])]  # the 4th clip has no prediction: ignored
    assert F.youtube_highlights_map(scores, labels) == round(loop_ap([0, 1, 1]), 5)
    assert F.youtube_highlights_map([np.zeros(3)], [np.zeros(3)]) == 0.0


def test_equals_reference_loops_on_random_data():
    rng = np.random.default_rng(0)
    scores = [rng.random(int(rng.integers(5, 40))) for _ in range(8)]
    labels = [rng.integers(0, 2, len(s)) for s in scores]
    expected = np.mean([loop_ap(list(y[np.argsort(-s)])) for s, y in zip(scores, labels)])
    assert F.youtube_highlights_map(scores, labels) == round(expected, 5)

    annos = [rng.integers(1, 6, (len(s) + 3, 20)) for s in scores]
    per_user = []
    for u in range(20):
        aps = []
        for s, a in zip(scores, annos):
            col = torch.tensor(a[:, u], dtype=torch.float32)
            y = (col > col.median()).numpy()[np.argsort(-s)][:5]
            aps.append(loop_ap(list(y)))
        per_user.append(np.mean(aps))
    assert F.tvsum_map(scores, annos) == round(np.mean(per_user), 5)


def _run(metric, samples):
    evaluator = Evaluator(metric)
    evaluator.process(samples)
    return evaluator.evaluate(len(samples))


def test_registered_metrics():
    rng = np.random.default_rng(1)
    preds = [rng.random(12).astype(np.float32) for _ in range(3)]
    labels = [rng.integers(0, 2, 12) for _ in range(3)]
    annos = [rng.integers(1, 6, (12, 20)) for _ in range(3)]
    samples = []
    for i, (p, y, a) in enumerate(zip(preds, labels, annos)):
        ds = ActionDataSample()
        ds.set_metainfo(dict(sample_idx=i, annotations=a))
        ds.gt_saliency = torch.tensor(y, dtype=torch.float32)
        ds.pred_saliency = torch.from_numpy(p)
        samples.append(ds)
    assert _run(dict(type='YouTubeHighlightsMetric'), samples) == \
        dict(mAP=F.youtube_highlights_map(preds, labels))
    assert _run(dict(type='TVSumMetric'), samples) == dict(mAP=F.tvsum_map(preds, annos))
    assert _run(dict(type='TVSumMetric', top_k=12), samples) != \
        dict(mAP=F.tvsum_map(preds, annos))
