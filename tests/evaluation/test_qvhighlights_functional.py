"""QVHighlights HD / MR math: worked examples (docs/metrics.md §1-2), ceilings,
equality with the official evaluator, bad input."""
import importlib.util
import json
import os

import numpy as np
import pytest

from highlight_plugin.engine.errors import DataError
from highlight_plugin.evaluation.functional import qvhighlights as F

HERE = os.path.dirname(os.path.abspath(__file__))
QVH = os.path.join(HERE, '..', 'data', 'qvhighlights')
_spec = importlib.util.spec_from_file_location('qvh_submissions',
                                               os.path.join(HERE, 'qvh_submissions.py'))
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)


@pytest.fixture(scope='module')
def val():
    return F.load_jsonl(os.path.join(QVH, 'highlight_val_release.jsonl'))


def ap(p, b):
    """AP of one ranking against one label column."""
    return F.ranked_ap(np.array([p], float), np.array(b, float)[None, :, None])[0, 0]


# ------------------------------------------------------------------ HD worked examples
def test_ap_groups_tied_scores():
    assert ap([0.9, 0.8, 0.8, 0.3], [1, 0, 1, 0]) == pytest.approx(5 / 6)
    assert ap([0.5, 0.5, 0.5, 0.1], [1, 1, 0, 0]) == pytest.approx(2 / 3)
    assert ap([0.3, 0.3, 0.3, 0.3], [0, 1, 0, 1]) == pytest.approx(0.5)  # constant
    assert ap([0.1, 0.9, 0.5], [0, 1, 0]) == 1.0
    assert ap([0.1, 0.9, 0.5], [1, 0, 0]) == pytest.approx(1 / 3)


def test_ap_degenerate_columns():
    assert ap([0.9, 0.8, 0.1], [0, 0, 0]) == 0.0  # no positive: 0 whatever p
    assert ap([0.1, 0.8, 0.9], [1, 1, 1]) == 1.0


def test_ap_ignores_padding_and_matches_unpadded():
    p = np.array([[0.9, 0.8, 0.8, 0.3, -np.inf, -np.inf]])
    b = np.array([1, 0, 1, 0, 0, 0], float)[None, :, None]
    assert F.ranked_ap(p, b)[0, 0] == pytest.approx(5 / 6)


def test_ap_matches_official_definition_on_random_ties():
    # Reference: sklearn PR curve, running max, mean where recall changes.
    from sklearn.metrics import precision_recall_curve
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(2, 30))
        y = rng.integers(0, 2, n)
        p = rng.integers(0, 4, n) / 3.
        if 0 < y.sum() < n:
            prec, rec, _ = precision_recall_curve(y, p)
            prec = np.maximum.accumulate(prec)
            ref = np.mean(prec[np.where(np.diff(rec.astype(np.float32)))])
            assert ap(p, y) == pytest.approx(ref, abs=1e-12)


def _gt(scores, duration=None):
    """A GT record whose clip i has the annotator scores ``scores[i]``."""
    scores = np.asarray(scores)
    ids = [int(i) for i in np.nonzero(scores.any(1))[0]]
    return dict(qid=1, duration=duration or 2 * len(scores), relevant_clip_ids=ids,
                saliency_scores=scores[ids].tolist(), relevant_windows=[[0, 2]])


def test_hit1_first_argmax_any_annotator():
    gt = _gt([[0, 0, 0], [0, 0, 4], [4, 4, 4]])
    res = F.eval_highlight([np.array([0.2, 0.7, 0.7])], [F.parse_ground_truth([gt])[1][0]])
    assert res['HL-min-VeryGood']['HL-Hit1'] == 100.0  # clip 1: only annotator 3 says 4
    res = F.eval_highlight([np.array([0.2, 0.1, 0.7, 0.9])],  # argmax beyond the video
                           [F.parse_ground_truth([gt])[1][0]])
    assert res['HL-min-VeryGood']['HL-Hit1'] == 0.0


def test_short_saliency_is_zero_padded_long_truncated():
    gt = F.parse_ground_truth([_gt([[4, 4, 4], [0, 0, 0], [0, 0, 0], [2, 2, 2]])])[1]
    short = F.eval_highlight([np.array([0.5, -1.])], gt)
    padded = F.eval_highlight([np.array([0.5, -1., 0., 0.])], gt)
    long = F.eval_highlight([np.array([0.5, -1., 0., 0., 9.])], gt)
    assert short == padded
    assert long['HL-min-Fair']['HL-mAP'] == padded['HL-min-Fair']['HL-mAP']
    assert long['HL-min-Fair']['HL-Hit1'] == 0.0  # untruncated argmax is clip 4


# ------------------------------------------------------------------ MR worked example
def test_mr_worked_example():
    gt = [np.array([[0., 10.], [20., 30.]])]
    pred = [np.array([[20, 30, 0.9], [50, 60, 0.8], [0, 7.8, 0.7]])]
    res = F.eval_moment_retrieval(pred, gt)
    assert res['full']['MR-mAP']['average'] == 70.0
    assert res['full']['MR-mAP']['0.5'] == res['full']['MR-mAP']['0.75'] == 83.33
    assert res['full']['MR-mAP']['0.8'] == 50.0
    assert set(res['full']['MR-R1'].values()) == {100.0}
    assert list(res) == ['short', 'full']  # no GT in middle / long


def test_mr_sorts_top10_by_score_and_r1_reads_first_row():
    gt = [np.array([[0., 10.]])]
    # The matching window has the best score but comes second in the file.
    pred = [np.array([[50, 60, 0.5], [0, 10, 0.9]])]
    res = F.eval_moment_retrieval(pred, gt)
    assert res['full']['MR-mAP']['average'] == 100.0
    assert res['full']['MR-R1']['0.5'] == 0.0
    # Only the first 10 rows count for mAP.
    late = [np.array([[50, 60, 0.5]] * 10 + [[0, 10, 0.9]])]
    assert F.eval_moment_retrieval(late, gt)['full']['MR-mAP']['average'] == 0.0


def test_mr_empty_prediction_scores_zero():
    gt = [np.array([[0., 10.]]), np.array([[0., 10.]])]
    res = F.eval_moment_retrieval([np.zeros((0, 3)), np.array([[0, 10, 1.]])], gt)
    assert res['full']['MR-mAP']['average'] == 50.0
    assert res['full']['MR-R1']['0.5'] == 50.0


# ------------------------------------------------------------------ ceilings / bounds
def test_val_ceilings_and_oracles(val):
    _, scores, _ = F.parse_ground_truth(val)
    # Ranking each annotator's own VeryGood labels first reaches the ceiling.
    width = max(len(s) for s in scores)
    labels = np.zeros((len(scores), width, 3))
    preds = np.full((len(scores), width, 3), -np.inf)
    for i, s in enumerate(scores):
        labels[i, :len(s)] = s >= 4
        preds[i, :len(s)] = s >= 4
    per_annotator = [F.ranked_ap(preds[..., a], labels[..., a:a + 1])[:, 0] for a in range(3)]
    assert float(f'{100 * np.mean(per_annotator):.2f}') == 70.30
    # Reversing a perfect ranking gives the minimum, below chance.
    worst = [F.ranked_ap(-preds[..., a].clip(-1, None), labels[..., a:a + 1])[:, 0]
             for a in range(3)]
    assert np.all(np.array(worst) <= np.array(per_annotator))
    assert 100 * np.mean(worst) < 12  # uniform random scores give ~15.2
    # Oracles of docs/metrics.md §1.
    votes = [(s >= 4).sum(1) + s.sum(1) / 100 for s in scores]
    res = F.eval_highlight(votes, scores)['HL-min-VeryGood']
    assert (res['HL-mAP'], res['HL-Hit1']) == (63.98, 97.74)
    res = F.eval_highlight([s.sum(1) for s in scores], scores)['HL-min-VeryGood']
    assert (res['HL-mAP'], res['HL-Hit1']) == (60.81, 95.68)


def test_perfect_windows_reach_the_ceiling(val):
    sub = [dict(qid=r['qid'], pred_relevant_windows=[
        w + [1. - 0.01 * k] for k, w in enumerate(r['relevant_windows'])]) for r in val]
    brief = F.eval_submission(sub, val)['brief']
    assert brief['MR-full-R1@0.5'] == brief['MR-full-R1@0.7'] == 100.0
    # Only the first 10 windows count: queries with G > 10 GT windows cap at 10 / G.
    ceiling = np.mean([min(10, len(r['relevant_windows'])) / len(r['relevant_windows'])
                       for r in val])
    assert ceiling < 1
    assert brief['MR-full-mAP'] == brief['MR-full-mAP@0.75'] == float(f'{100 * ceiling:.2f}')
    # Bucket GT is filtered but predictions are not: other-length windows become FPs.
    assert brief['MR-short-mAP'] < brief['MR-full-mAP']


# ------------------------------------------------------------------ official equality
@pytest.mark.parametrize('case', sorted(gen.CASES))
def test_equals_official_evaluator(val, case):
    with open(os.path.join(QVH, 'official_eval', f'{case}.json')) as f:
        official = json.load(f)
    sub = json.loads(json.dumps(gen.make_submission(val, **gen.CASES[case])))
    ours = F.eval_submission(sub, val)
    assert ours == official
    assert list(ours) == list(official) and list(ours['brief']) == list(official['brief'])


# ------------------------------------------------------------------ bad input
def _sub(**kw):
    entry = dict(qid=1, pred_saliency_scores=[0.1, 0.2, 0.3],
                 pred_relevant_windows=[[0, 2, 0.9]])
    entry.update(kw)
    return [entry]


GT = [_gt([[4, 4, 4], [0, 0, 0], [2, 2, 2]])]


@pytest.mark.parametrize('entry, message', [
    (dict(pred_saliency_scores=[0.1, float('nan')]), 'qid 1.*NaN'),
    (dict(pred_relevant_windows=[[4, 2, 0.9]]), 'qid 1.*start > end'),
    (dict(pred_relevant_windows=[[0, 2]]), 'qid 1.*start, end, score'),
    (dict(pred_saliency_scores=[]), 'qid 1.*empty'),
    (dict(qid=7), r'missing from the submission: \[1\].*not in the ground truth: \[7\]'),
])
def test_bad_submission_names_the_qid(entry, message):
    with pytest.raises(DataError, match=message):
        F.eval_submission(_sub(**entry), GT)


def test_inconsistent_parts_and_duplicates():
    subs = _sub() + [dict(qid=2, pred_saliency_scores=[1.])]
    with pytest.raises(DataError, match='submission:2 .qid 2.*pred_relevant_windows'):
        F.parse_submission(subs)
    with pytest.raises(DataError, match='duplicate qid'):
        F.parse_submission(_sub() + _sub())


def test_bad_ground_truth():
    bad = dict(GT[0], relevant_clip_ids=[0, 5])
    bad['saliency_scores'] = [[1, 1, 1], [2, 2, 2]]
    with pytest.raises(DataError, match=r'qid 1.*outside \[0, 3\)'):
        F.parse_ground_truth([bad])


def test_load_jsonl_names_the_line(tmp_path):
    path = tmp_path / 'sub.jsonl'
    path.write_text('{"qid": 1}\n{"qid": 2,\n')
    with pytest.raises(DataError, match='sub.jsonl:2: not valid JSON'):
        F.load_jsonl(str(path))


def test_unlabelled_ground_truth_checks_only():
    test_gt = [dict(qid=1, query='q', duration=6, vid='v')]
    assert F.eval_submission(_sub(), test_gt) == {}
    with pytest.raises(DataError, match='missing from the submission'):
        F.eval_submission(_sub(qid=2), test_gt)
