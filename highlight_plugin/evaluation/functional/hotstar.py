"""Hotstar scene- and clip-level metrics in plain numpy (docs/metrics.md §5).

Scene level: each segment gets one score aggregated from its clip scores; ``AP``
and ``AUC`` follow sklearn's ``average_precision_score`` / ``roc_auc_score``
(tied scores form one threshold), ``Precision`` / ``Recall`` count score > thr as
positive. Clip level: every labelled second of a title is ranked, with the
QVHighlights HD definitions (one annotator).
"""
import numpy as np

from .qvhighlights import ranked_ap

AGGREGATIONS = ('first', 'mean', 'max')


def aggregate(scores, how='mean'):
    """One score per segment from its clip scores: ``first`` (the Hotstar fork's
    choice), ``mean`` or ``max``."""
    if how == 'first':
        return float(scores[0])
    if how == 'mean':
        return float(np.mean(scores))
    if how == 'max':
        return float(np.max(scores))
    raise ValueError(f'aggregation must be one of {AGGREGATIONS}, got {how!r}')


def _threshold_curve(y_true, y_score):
    """Cumulative (tps, fps) at each distinct score, descending (sklearn's
    ``_binary_clf_curve``)."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_score = np.asarray(y_score, dtype=np.float64)
    order = np.argsort(-y_score, kind='stable')
    y_score, y_true = y_score[order], y_true[order]
    ends = np.r_[np.nonzero(np.diff(y_score))[0], len(y_score) - 1]
    tps = np.cumsum(y_true)[ends]
    return tps, ends + 1 - tps


def average_precision(y_true, y_score):
    """Non-interpolated AP, sum over thresholds of (R_n - R_{n-1}) P_n; 0 without
    positives (as sklearn, which also warns)."""
    tps, fps = _threshold_curve(y_true, y_score)
    if len(tps) == 0 or tps[-1] == 0:
        return 0.
    recall = np.r_[0., tps / tps[-1]]
    return float(np.sum(np.diff(recall) * tps / (tps + fps)))


def roc_auc(y_true, y_score):
    """Area under the ROC curve (trapezoid, ties as one point); NaN when only one
    class is present (sklearn raises)."""
    tps, fps = _threshold_curve(y_true, y_score)
    if len(tps) == 0 or tps[-1] == 0 or fps[-1] == 0:
        return float('nan')
    tpr = np.r_[0., tps / tps[-1]]
    fpr = np.r_[0., fps / fps[-1]]
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def precision_recall(y_true, y_score, thr=0.5):
    """Precision and recall of ``score > thr`` (0 when undefined, as sklearn's
    ``zero_division`` default)."""
    y_true = np.asarray(y_true) > 0
    pred = np.asarray(y_score) > thr
    tp = float(np.sum(pred & y_true))
    return (tp / pred.sum() if pred.any() else 0.,
            tp / y_true.sum() if y_true.any() else 0.)


def title_highlight(scores, labels):
    """Clip-level HD over whole titles: ``(mAP, HIT@1)`` in percent.

    Args:
        scores (list[np.ndarray]): per title, the score of every labelled second.
        labels (list[np.ndarray]): per title, the 0/1 label of those seconds.
    """
    width = max(len(s) for s in scores)
    padded = np.full((len(scores), width), -np.inf)
    gts = np.zeros((len(scores), width, 1))
    for i, (s, y) in enumerate(zip(scores, labels)):
        padded[i, :len(s)] = s
        gts[i, :len(y), 0] = y
    ap = ranked_ap(padded, gts)[:, 0]
    hit = gts[np.arange(len(scores)), padded.argmax(1), 0]  # first second on ties
    return float(f'{100 * ap.mean():.2f}'), float(f'{100 * hit.mean():.2f}')
