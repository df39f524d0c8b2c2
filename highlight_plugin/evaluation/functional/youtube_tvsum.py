"""YouTube Highlights and TVSum mAP as UMT's dataset ``evaluate`` methods compute
them (docs/metrics.md §3-4), in plain numpy. Results are in [0, 1], rounded to 5
decimals like UMT's."""
import numpy as np


def trapezoid_ap(ranked_labels, num_pos):
    """UMT's AP: trapezoid over (recall, precision) after each rank, from (0, 1).

    Args:
        ranked_labels (np.ndarray): binary labels in ranked order.
        num_pos (int): recall denominator; 0 gives AP 0.
    """
    if num_pos == 0:
        return 0.
    hits = np.cumsum(ranked_labels, dtype=np.float64)
    recall = np.concatenate([[0.], hits / num_pos])
    precision = np.concatenate([[1.], hits / np.arange(1, len(hits) + 1)])
    terms = (recall[1:] - recall[:-1]) * (precision[:-1] + precision[1:]) / 2
    return sum(terms.tolist())  # left-to-right, as the original loop


def _rank(scores):
    """Clip indices by descending score (stable; the original's tie order is arbitrary)."""
    return np.argsort(-np.asarray(scores, dtype=np.float64), kind='stable')


def youtube_highlights_map(scores, labels):
    """Mean over videos of the trapezoid AP of all clips ranked by score.

    Args:
        scores (list[np.ndarray]): predicted saliency per video.
        labels (list[np.ndarray]): binary clip labels per video (same lengths).
    """
    aps = []
    for s, y in zip(scores, labels):
        y = np.asarray(y, dtype=np.float64)[:len(s)]
        aps.append(trapezoid_ap(y[_rank(s)], int(y.sum())))
    return round(sum(aps) / len(aps), 5)


def lower_median(values):
    """``torch.median`` semantics: the lower of the two middle values."""
    values = np.sort(np.asarray(values), axis=0)
    return values[(len(values) - 1) // 2]


def tvsum_map(scores, annotations, top_k=5):
    """TVSum top-k mAP: per annotator, clips above the annotator's (lower) median
    are positive; AP of the top-k ranked clips with the positives among them as
    denominator; averaged over videos, then over annotators.

    Args:
        scores (list[np.ndarray]): predicted saliency per video (length <= T).
        annotations (list[np.ndarray]): (T, U) per-user importance scores.
    """
    per_user = None
    for s, anno in zip(scores, annotations):
        anno = np.asarray(anno, dtype=np.float64)
        labels = (anno > lower_median(anno)).astype(np.float64)  # (T, U), median over T
        top = labels[_rank(s)[:top_k]]
        aps = np.array([trapezoid_ap(top[:, u], int(top[:, u].sum()))
                        for u in range(anno.shape[1])])
        per_user = aps if per_user is None else per_user + aps
    per_user = per_user / len(scores)
    return round(sum(per_user.tolist()) / len(per_user), 5)
