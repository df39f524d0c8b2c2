"""QVHighlights evaluation in plain numpy (docs/metrics.md §1-2).

Gives the numbers of the official ``moment_detr/standalone_eval/eval.py`` (to the
2 decimals it reports) in one vectorised pass instead of a process pool.

This module imports only numpy and the stdlib-only error types, so that the
standalone evaluator (``tools/eval_qvhighlights.py``) runs without torch.

Input records follow the official files: a submission entry has ``qid`` and
``pred_saliency_scores`` (one score per 2-s clip) and/or ``pred_relevant_windows``
([[start, end, score], ...] sorted by score, descending); a ground-truth entry has
``qid``, ``duration``, ``relevant_windows``, ``relevant_clip_ids`` and
``saliency_scores``. Differences from the official code, all on input it crashes
on or scores inconsistently:

* a saliency vector shorter than the video is zero-padded, a longer one truncated
  (as the official code does); HIT@1 still reads the untruncated argmax;
* an empty ``pred_relevant_windows`` scores AP 0 and an R1 miss (the official
  code drops the query from the mAP average and crashes in R1);
* a zero-length union gives IoU 0 (the official code produces NaN);
* malformed input (NaN scores, start > end, clip ids outside the video, missing
  or extra qids) raises :class:`DataError` naming the line and qid.
"""
from collections import OrderedDict

import numpy as np

from ...engine.errors import DataError
from ...engine.fileio import read_jsonl

CLIP_LEN = 2.0
#: Minimum annotator score of a positive clip, per HD level.
SALIENCY_LEVELS = OrderedDict(Fair=2, Good=3, VeryGood=4)
#: IoU thresholds 0.5:0.05:0.95, rounded as the official code rounds them.
IOU_THRESHOLDS = tuple(float(f'{t:.2f}') for t in np.linspace(0.5, 0.95, 10))
#: GT window length buckets (lo, hi]; ``None`` keeps every window.
LENGTH_BUCKETS = OrderedDict(
    short=(0, 10), middle=(10, 30), long=(30, 150), full=None)
MAX_PRED_WINDOWS = 10


def _fmt(value):
    """Scale to percent and round as the official code (``f'{100*v:.2f}'``)."""
    return float(f'{100 * value:.2f}')


# ----------------------------------------------------------------- loading / checks
def load_jsonl(path):
    """The objects of a JSON-lines file, strictly one per line (a blank line is an error, as in the official
    code), so that record ``i`` stands on line ``i + 1`` in later messages."""
    return [record for _, record in read_jsonl(path, skip_blank=False)]


def _where(source, index, qid):
    """Names a record: file and line when read from a file (``source``), else the qid."""
    return f'{source}:{index + 1} (qid {qid})' if source else f'qid {qid}'


def _finite_vector(values, what):
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(f'{what} must be a list of numbers') from None
    if arr.ndim != 1:
        raise DataError(f'{what} must be a flat list of numbers')
    if not np.isfinite(arr).all():
        raise DataError(f'{what} contains NaN or infinite values')
    return arr


def _windows(values, width, what):
    """Check a list of [start, end(, score)] rows; returns a (K, width) array."""
    row = '[start, end, score]' if width == 3 else '[start, end]'
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        arr = None
    if arr is None or (arr.size and (arr.ndim != 2 or arr.shape[1] != width)) \
            or not np.isfinite(arr).all():
        raise DataError(f'{what} must be a list of finite {row} rows')
    arr = arr.reshape(-1, width)
    bad = np.nonzero(arr[:, 0] > arr[:, 1])[0]
    if len(bad):
        raise DataError(f'{what}: window {bad[0]} {arr[bad[0], :2].tolist()} '
                        'has start > end')
    return arr


def parse_submission(records, source='submission'):
    """Validate submission records; returns ``(qids, saliency | None, windows | None)``.

    ``saliency`` is a list of 1-D float arrays and ``windows`` a list of (K, 3)
    arrays, aligned with ``qids``. A part is ``None`` when no record has it; it must
    then be absent from every record.
    """
    qids, seen = [], {}
    has_sal = [('pred_saliency_scores' in r) for r in records]
    has_win = [('pred_relevant_windows' in r) for r in records]
    for key, has in (('pred_saliency_scores', has_sal), ('pred_relevant_windows', has_win)):
        if any(has) and not all(has):
            i = has.index(False)
            raise DataError(f'{_where(source, i, records[i].get("qid"))}: missing '
                            f'"{key}" (other entries have it)')
    if records and not has_sal[0] and not has_win[0]:
        raise DataError(f'{source or "predictions"}: entries have neither '
                        '"pred_saliency_scores" nor "pred_relevant_windows"')
    saliency = [] if records and has_sal[0] else None
    windows = [] if records and has_win[0] else None
    for i, r in enumerate(records):
        qid = r.get('qid')
        where = _where(source, i, qid)
        if qid is None:
            raise DataError(f'{_where(source, i, None)}: missing "qid"')
        if qid in seen:
            raise DataError(f'{where}: duplicate qid (first on line {seen[qid] + 1})')
        seen[qid] = i
        qids.append(qid)
        if saliency is not None:
            s = _finite_vector(r['pred_saliency_scores'], f'{where}: pred_saliency_scores')
            if s.size == 0:
                raise DataError(f'{where}: pred_saliency_scores is empty')
            saliency.append(s)
        if windows is not None:
            windows.append(_windows(r['pred_relevant_windows'], 3,
                                    f'{where}: pred_relevant_windows'))
    return qids, saliency, windows


def parse_ground_truth(records, source='ground truth'):
    """Validate GT records; returns ``(qids, scores, windows)`` or labels ``None``.

    ``scores[i]`` is the (int(duration / 2), 3) annotator score matrix (zeros
    outside ``relevant_clip_ids``) and ``windows[i]`` the (G, 2) GT windows. Both are
    ``None`` for an unlabelled (test) file.
    """
    qids, seen = [], set()
    labelled = bool(records) and 'saliency_scores' in records[0]
    scores, windows = ([], []) if labelled else (None, None)
    for i, r in enumerate(records):
        qid = r.get('qid')
        where = _where(source, i, qid)
        if qid is None or qid in seen:
            raise DataError(f'{where}: missing or duplicate qid')
        seen.add(qid)
        qids.append(qid)
        if not labelled:
            continue
        try:
            num_clips = int(float(r['duration']) / CLIP_LEN)
            ids = np.asarray(r['relevant_clip_ids'], dtype=np.int64).reshape(-1)
            sal = np.asarray(r['saliency_scores'], dtype=np.float64).reshape(-1, 3)
            win = _windows(r['relevant_windows'], 2, f'{where}: relevant_windows')
        except KeyError as e:
            raise DataError(f'{where}: missing {e} (other entries are labelled)') from None
        except (TypeError, ValueError) as e:
            raise DataError(f'{where}: malformed annotation ({e})') from None
        if len(ids) != len(sal):
            raise DataError(f'{where}: {len(ids)} relevant_clip_ids but '
                            f'{len(sal)} saliency_scores rows')
        if len(ids) and (ids.min() < 0 or ids.max() >= num_clips):
            raise DataError(f'{where}: relevant_clip_ids outside [0, {num_clips}) '
                            f'(duration {r["duration"]})')
        full = np.zeros((num_clips, 3))
        full[ids] = sal
        scores.append(full)
        windows.append(win)
    return qids, scores, windows


def check_qids(pred_qids, gt_qids, max_named=10):
    """Raise DataError naming missing and extra qids unless both sets are equal."""
    pred, gt = set(pred_qids), set(gt_qids)
    if pred == gt:
        return
    parts = []
    for name, diff in (('missing from the submission', gt - pred),
                       ('not in the ground truth', pred - gt)):
        if diff:
            named = sorted(diff, key=lambda q: (type(q).__name__, q))[:max_named]
            more = f' and {len(diff) - len(named)} more' if len(diff) > len(named) else ''
            parts.append(f'{len(diff)} qids {name}: {named}{more}')
    raise DataError('; '.join(parts))


# ----------------------------------------------------------------- highlight detection
def _pad(rows, width, fill):
    out = np.full((len(rows), width) + rows[0].shape[1:], fill, dtype=np.float64) \
        if rows else np.zeros((0, width))
    for i, r in enumerate(rows):
        out[i, :len(r)] = r
    return out


def ranked_ap(scores, labels):
    """Interpolated AP of ranking clips by score, tied scores grouped (docs/metrics.md §1).

    Args:
        scores (np.ndarray): (Q, N) scores; ``-inf`` marks padding after the clips.
        labels (np.ndarray): (Q, N, C) binary labels (0 on padding), C label columns.

    Returns:
        np.ndarray: (Q, C) AP; 0 for a column without positives. Equals the
        official ``get_ap`` (sklearn ``precision_recall_curve``, running maximum of
        precision, averaged where recall changes).
    """
    q, n = scores.shape
    order = np.argsort(-scores, axis=1, kind='stable')
    rows = np.arange(q)[:, None]
    s = scores[rows, order]
    tp = np.cumsum(labels[rows, order], axis=1)
    # A tie group is one PR point: keep the last index of each group.
    group_end = np.ones((q, n), dtype=bool)
    group_end[:, :-1] = s[:, 1:] != s[:, :-1]
    group_end = group_end[:, :, None]
    precision = np.where(group_end, tp / np.arange(1, n + 1)[None, :, None], 0.)
    # Interpolated precision: max over the points of higher or equal recall.
    interp = np.maximum.accumulate(precision[:, ::-1], axis=1)[:, ::-1]
    tp_at_end = np.where(group_end, tp, 0.)
    prev = np.zeros_like(tp_at_end)
    prev[:, 1:] = np.maximum.accumulate(tp_at_end, axis=1)[:, :-1]
    recall_step = group_end & (tp > prev)  # each distinct positive recall value once
    steps = recall_step.sum(1)
    return np.where(steps > 0, (interp * recall_step).sum(1) / np.maximum(steps, 1), 0.)


def eval_highlight(saliency, gt_scores, levels=SALIENCY_LEVELS):
    """HD mAP and HIT@1 per level, as the official ``eval_highlight``.

    Args:
        saliency (list[np.ndarray]): predicted scores per query (any length).
        gt_scores (list[np.ndarray]): (N_i, A) annotator scores per query.

    Returns:
        OrderedDict: ``{'HL-min-Fair': {'HL-mAP': .., 'HL-Hit1': ..}, ...}``.
    """
    lengths = np.array([len(g) for g in gt_scores])
    width = int(lengths.max())
    # Truncate / zero-pad each prediction to its video, -inf beyond (padding).
    preds = np.zeros((len(lengths), width))
    for row, p, n in zip(preds, saliency, lengths):
        row[:min(n, len(p))] = p[:n]
    preds[np.arange(width)[None] >= lengths[:, None]] = -np.inf
    gts = _pad(gt_scores, width, 0.)  # (Q, W, A)
    top = np.array([int(np.argmax(p)) for p in saliency])  # untruncated, first on ties
    top_scores = np.zeros(gts[:, 0].shape)
    inside = top < lengths
    top_scores[inside] = gts[np.nonzero(inside)[0], top[inside]]
    thresholds = np.array(list(levels.values()), dtype=np.float64)
    labels = (gts[..., None] >= thresholds).reshape(len(gts), width, -1)  # (Q, W, A*L)
    ap = ranked_ap(preds, labels.astype(np.float64)).reshape(len(gts), -1, len(levels))
    hits = (top_scores[..., None] >= thresholds).any(1)  # any annotator
    return OrderedDict(
        (f'HL-min-{name}', OrderedDict([('HL-mAP', _fmt(np.mean(ap[:, :, i]))),
                                        ('HL-Hit1', _fmt(np.mean(hits[:, i])))]))
        for i, name in enumerate(levels))


# ----------------------------------------------------------------- moment retrieval
def iou_cross(a, b):
    """IoU of every window of ``a`` (..., K, 2) with every one of ``b`` (..., G, 2)."""
    inter = np.clip(np.minimum(a[..., :, None, 1], b[..., None, :, 1])
                    - np.maximum(a[..., :, None, 0], b[..., None, :, 0]), 0, None)
    union = (a[..., :, None, 1] - a[..., :, None, 0]) \
        + (b[..., None, :, 1] - b[..., None, :, 0]) - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def _detection_ap(pred, pred_valid, gt, gt_valid, thresholds):
    """Per-query AP of ranked windows at each IoU threshold (ActivityNet style).

    Args:
        pred (np.ndarray): (Q, K, 2) windows in score order; ``pred_valid`` (Q, K).
        gt (np.ndarray): (Q, G, 2) GT windows; ``gt_valid`` (Q, G).
        thresholds (np.ndarray): (T,) IoU thresholds.

    Returns:
        np.ndarray: (Q, T).
    """
    q, k = pred_valid.shape
    t, g = len(thresholds), gt.shape[1]
    iou = np.where(gt_valid[:, None, :], iou_cross(pred, gt), -1.)  # (Q, K, G)
    # The official walk visits GTs by descending IoU (reversing a stable ascending
    # sort: the later of equal-IoU GTs first) and stops at the first one below the
    # threshold, so a prediction takes the first-visited free GT with IoU >= thr.
    order = np.argsort(iou, axis=-1, kind='stable')[..., ::-1]
    visit = np.argsort(order, axis=-1)  # visiting position of each GT
    above = iou[:, :, None, :] >= thresholds[None, None, :, None]  # (Q, K, T, G)
    free = np.ones((q, t, g), dtype=bool)
    tp = np.zeros((q, t, k), dtype=bool)
    qi, ti = np.ogrid[:q, :t]
    for j in range(k):
        candidate = above[:, j] & free & pred_valid[:, j, None, None]
        first = np.where(candidate, visit[:, j, None, :], g).argmin(-1)  # (Q, T)
        hit = candidate.any(-1)
        tp[:, :, j] = hit
        free[qi, ti, first] &= ~hit
    fp = pred_valid[:, None, :] & ~tp
    tp_cum, fp_cum = np.cumsum(tp, -1, dtype=np.float64), np.cumsum(fp, -1, dtype=np.float64)
    recall = tp_cum / np.maximum(gt_valid.sum(1), 1)[:, None, None]
    denom = tp_cum + fp_cum
    precision = np.divide(tp_cum, denom, out=np.zeros_like(tp_cum), where=denom > 0)
    # All-point interpolation with (0, 0) prepended and (1, 0) appended.
    zeros = np.zeros((q, t, 1))
    mprec = np.concatenate([zeros, precision, zeros], -1)
    mrec = np.concatenate([zeros, recall, zeros + 1], -1)
    mprec = np.maximum.accumulate(mprec[..., ::-1], -1)[..., ::-1]
    return ((mrec[..., 1:] - mrec[..., :-1]) * mprec[..., 1:]).sum(-1)


def _recall_at_one(first, gt, gt_valid, thresholds):
    """R1@θ hits (Q, T): first prediction vs. its best GT, paired (hull) IoU."""
    cross = np.where(gt_valid, iou_cross(first[:, None], gt)[:, 0], -1.)
    best = gt[np.arange(len(gt)), cross.argmax(1)]
    inter = np.clip(np.minimum(first[:, 1], best[:, 1])
                    - np.maximum(first[:, 0], best[:, 0]), 0, None)
    hull = np.maximum(first[:, 1], best[:, 1]) - np.minimum(first[:, 0], best[:, 0])
    iou = np.divide(inter, hull, out=np.zeros_like(inter), where=hull > 0)
    return iou[:, None] >= thresholds[None]


def eval_moment_retrieval(windows, gt_windows, buckets=LENGTH_BUCKETS,
                          thresholds=IOU_THRESHOLDS, max_pred=MAX_PRED_WINDOWS):
    """MR mAP and R1 per GT-length bucket, as the official ``eval_moment_retrieval``.

    Args:
        windows (list[np.ndarray]): (K_i, 3) predicted [start, end, score] rows.
        gt_windows (list[np.ndarray]): (G_i, 2) GT windows.

    Returns:
        OrderedDict: ``{bucket: {'MR-mAP': {thr: .., 'average': ..}, 'MR-R1': {..}}}``.
    """
    thr = np.asarray(thresholds, dtype=np.float64)
    names = [str(x) for x in thresholds]
    top = [w[:max_pred] for w in windows]
    k = max([len(w) for w in top] + [1])
    pred = _pad([w[np.argsort(-w[:, 2], kind='stable'), :2] for w in top], k, 0.)
    pred_valid = np.arange(k)[None] < np.array([len(w) for w in top])[:, None]
    first = np.array([w[0, :2] if len(w) else (0., 0.) for w in windows]).reshape(-1, 2)
    gt = _pad(gt_windows, max([len(g) for g in gt_windows] + [1]), 0.)
    gt_valid = np.arange(gt.shape[1])[None] < np.array([len(g) for g in gt_windows])[:, None]
    length = gt[..., 1] - gt[..., 0]
    results = OrderedDict()
    for name, bounds in buckets.items():
        valid = gt_valid if bounds is None else \
            gt_valid & (length > bounds[0]) & (length <= bounds[1])
        keep = valid.any(1)  # queries without GT in the bucket are dropped
        if not keep.any():
            continue
        ap = _detection_ap(pred[keep], pred_valid[keep], gt[keep], valid[keep], thr)
        ap_thr = ap.mean(0)
        r1 = _recall_at_one(first[keep], gt[keep], valid[keep], thr).mean(0)
        mr_map = OrderedDict(zip(names, map(_fmt, ap_thr)))
        mr_map['average'] = _fmt(np.mean(ap_thr))
        results[name] = OrderedDict([('MR-mAP', mr_map),
                                     ('MR-R1', OrderedDict(zip(names, map(_fmt, r1))))])
    return results


# ----------------------------------------------------------------- both
def brief(metrics):
    """The official ``brief`` dict (MR keys sorted, then HD keys) of full metrics."""
    out = OrderedDict()
    if 'full' in metrics:
        mr = {f'MR-{b}-mAP': metrics[b]['MR-mAP']['average']
              for b in ('full', 'short', 'middle', 'long') if b in metrics}
        mr['MR-full-mAP@0.5'] = metrics['full']['MR-mAP']['0.5']
        mr['MR-full-mAP@0.75'] = metrics['full']['MR-mAP']['0.75']
        mr['MR-full-R1@0.5'] = metrics['full']['MR-R1']['0.5']
        mr['MR-full-R1@0.7'] = metrics['full']['MR-R1']['0.7']
        out.update(sorted(mr.items()))
    for key, value in metrics.items():
        if key.startswith('HL-min-'):
            for sub, v in value.items():
                out[f'{key}-{sub[3:]}'] = v
    return out


def eval_qvhighlights(saliency, windows, gt_scores, gt_windows):
    """All QVHighlights metrics in the official output layout.

    Args:
        saliency (list[np.ndarray] | None): predicted clip scores (HD), or None.
        windows (list[np.ndarray] | None): predicted (K, 3) windows (MR), or None.
        gt_scores, gt_windows: from :func:`parse_ground_truth`, aligned with the
            predictions.

    Returns:
        OrderedDict: ``{'brief': {...}, 'HL-min-Fair': ..., 'full': ..., ...}``
        (sorted like the official file); empty without predictions.
    """
    metrics = {}
    if windows is not None and len(windows):
        metrics.update(eval_moment_retrieval(windows, gt_windows))
    if saliency is not None and len(saliency):
        metrics.update(eval_highlight(saliency, gt_scores))
    if not metrics:
        return OrderedDict()
    out = OrderedDict(brief=brief(metrics))
    out.update(sorted(metrics.items()))
    return out


def eval_submission(submission, ground_truth, match_qids=True,
                    sources=('submission', 'ground truth')):
    """Evaluate official-format records (lists of dicts), checking them first.

    ``sources`` name the two inputs in error messages, with the line numbers of the
    records (``None``: name the qid only, for records that are not from a file).

    With ``match_qids`` the qid sets must be equal (as the official evaluator
    asserts); otherwise only the shared qids are evaluated. Unlabelled ground truth
    (test split) gives an empty result after the checks.
    """
    qids, saliency, windows = parse_submission(submission, sources[0])
    gt_qids, gt_scores, gt_windows = parse_ground_truth(ground_truth, sources[1])
    if match_qids:
        check_qids(qids, gt_qids)
    if gt_scores is None:  # test split: only the checks above apply
        return OrderedDict()
    index = {q: i for i, q in enumerate(gt_qids)}
    keep = [i for i, q in enumerate(qids) if q in index]
    gt_idx = [index[qids[i]] for i in keep]
    return eval_qvhighlights(
        None if saliency is None else [saliency[i] for i in keep],
        None if windows is None else [windows[i] for i in keep],
        [gt_scores[i] for i in gt_idx], [gt_windows[i] for i in gt_idx])
