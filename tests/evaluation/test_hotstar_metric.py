"""Hotstar scene-level AP / AUC / P / R and title-level HD."""
import warnings

import numpy as np
import pytest
import torch
from mmaction.structures import ActionDataSample
from mmengine.evaluator import Evaluator
from sklearn.metrics import average_precision_score, precision_score, recall_score, \
    roc_auc_score

from highlight_plugin.engine.errors import ConfigError
from highlight_plugin.evaluation.functional import hotstar as F


def test_ap_auc_equal_sklearn_with_ties():
    rng = np.random.default_rng(0)
    for _ in range(60):
        n = int(rng.integers(2, 50))
        y = rng.integers(0, 2, n)
        s = rng.integers(0, 5, n) / 4 if rng.random() < 0.5 else rng.random(n)
        assert F.average_precision(y, s) == pytest.approx(average_precision_score(y, s),
                                                          abs=1e-12)
        if 0 < y.sum() < n:
            assert F.roc_auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            p, r = F.precision_recall(y, s, 0.5)
            assert p == precision_score(y, s > 0.5, zero_division=0)
            assert r == recall_score(y, s > 0.5, zero_division=0)


def test_degenerate_labels():
    assert F.average_precision([0, 0], [0.2, 0.9]) == 0.0
    assert np.isnan(F.roc_auc([1, 1], [0.2, 0.9]))
    assert F.roc_auc([0, 1, 0, 1], [0.1, 0.9, 0.5, 0.5]) == pytest.approx(0.875)


def test_aggregation():
    s = np.array([0.2, 0.9, 0.4])
    assert (F.aggregate(s, 'first'), F.aggregate(s, 'max')) == (0.2, 0.9)
    assert F.aggregate(s, 'mean') == pytest.approx(0.5)
    with pytest.raises(ValueError):
        F.aggregate(s, 'median')


def segment(idx, content_id, start, label, pred):
    ds = ActionDataSample()
    ds.set_metainfo(dict(sample_idx=idx, content_id=content_id, start=start,
                         end=start + len(pred), label=label, row=idx + 2, clip_len=1.0,
                         num_clips=len(pred)))
    ds.pred_saliency = torch.tensor(pred, dtype=torch.float32)
    return ds


def run(samples, **kwargs):
    evaluator = Evaluator(dict(type='HotstarMetric', **kwargs))
    evaluator.process(samples)
    return evaluator.evaluate(len(samples))


def test_metric_worked_example():
    # Title a: seconds 0-1 negative (0.75, 0.5), 2-4 positive (0.25, 0.75, 0.75).
    # Title b: a gap at seconds 2-4 (unlabelled), seconds 5-6 positive.
    samples = [segment(0, 'a', 0, 0, [0.75, 0.5]),
               segment(1, 'a', 2, 1, [0.25, 0.75, 0.75]),
               segment(2, 'b', 0, 0, [0.25, 0.25]),
               segment(3, 'b', 5, 1, [0.5, 0.125])]
    got = run(samples)
    mean = [0.625, 7 / 12, 0.25, 0.3125]  # segment means
    labels = [0, 1, 0, 1]
    assert got['AP'] == pytest.approx(average_precision_score(labels, mean))
    assert got['AUC'] == pytest.approx(roc_auc_score(labels, mean))
    assert (got['Precision'], got['Recall']) == (0.5, 0.5)  # > 0.5: segments 0 and 1
    # Title a: 0.75 x3 (1 neg, 2 of 3 pos) -> P 2/3 at R 2/3; 0.5 neg; 0.25 pos ->
    # P 3/5 at R 1: AP (2/3 + 3/5) / 2; top second 0 is negative.
    # Title b (seconds 0, 1, 5, 6): 0.5 pos -> P 1 at R 1/2; 0.25 x2 neg; 0.125 pos ->
    # P 2/4 at R 1: AP 3/4; top second 5 is positive.
    assert got['HL-mAP'] == float(f'{100 * ((2 / 3 + 3 / 5) / 2 + 3 / 4) / 2:.2f}')
    assert got['HL-Hit1'] == 50.0
    first = run(samples, aggregation='first')
    assert first['AP'] == pytest.approx(average_precision_score(labels, [.75, .25, .25, .5]))
    assert first['HL-mAP'] == got['HL-mAP']  # clip level does not aggregate


def test_metric_bad_aggregation():
    with pytest.raises(ConfigError, match='aggregation'):
        run([segment(0, 'a', 0, 0, [0.5])], aggregation='median')
