"""Soccer highlight decoding: per-second class scores -> highlight segments (docs/soccer.md §7.2).

Per class c (defaults from the student port, per-class overridable):

1. background suppression  p_c <- p_c * (1 - p_bg);
2. peaks: p_c(t) >= thresh_c and p_c(t) is the maximum of p_c over [t - mpd_c, t + mpd_c];
3. span [tau - pre_c, tau + post_c] around the peak second tau; longer than max_len_c it is shrunk around
   tau keeping the pre:post ratio (the event stays inside), then clipped to [0, duration];
4. greedy NMS by score (temporal IoU >= nms_iou_c dropped);
5. merge spans in start order whose gap <= merge_gap_c unless the merged span would exceed max_len_c
   (then a new span starts, so no event is dropped); end = max, score = max;
6. spans shorter than min_len_c are extended to min_len_c inside [0, duration].

Then, over all classes: overlapping segments become one segment (their union, labelled with the best
member's class, score and event) as long as the union is no longer than the longest ``max_len`` of its classes;
past that, the two keep apart and split their overlap at its middle (moved so that each keeps its own event; a
segment whose event lies inside the other's is absorbed by it). So nothing is emitted twice, and a run of close
events never grows into one segment longer than any budget. An optional total-duration ``budget`` then keeps the
best segments that fit. :meth:`SoccerHighlightDecoder.decode_match` maps both halves to match time.

Every segment carries ``event``: the peak second tau of the event that labels it (after merging, that of the
best member), inside [start, end].
"""
import numpy as np
from mmaction.registry import TASK_UTILS
from scipy.ndimage import maximum_filter1d

from ..datasets.soccernet_labels import HIGHLIGHT_LABEL_MAP
from ..engine.errors import ConfigError

DEFAULT_CLASS_CFGS = dict(
    goal=dict(thresh=0.55, mpd=20, pre=14, post=55, nms_iou=0.5, merge_gap=4, min_len=6, max_len=45),
    kick=dict(thresh=0.50, mpd=10, pre=60, post=11, nms_iou=0.5, merge_gap=3, min_len=4, max_len=25),
    card=dict(thresh=0.50, mpd=15, pre=20, post=60, nms_iou=0.5, merge_gap=4, min_len=4, max_len=25),
    subs=dict(thresh=0.50, mpd=25, pre=20, post=45, nms_iou=0.5, merge_gap=4, min_len=4, max_len=25))
CLASS_KEYS = ('thresh', 'mpd', 'pre', 'post', 'nms_iou', 'merge_gap', 'min_len', 'max_len')
# Classes of the other presets (v2 labels, V&D's v1 'soccer') take the numbers of their highlight group.
CLASS_ALIASES = {**{label: group for label, group in HIGHLIGHT_LABEL_MAP.items() if group}, 'soccer': 'goal'}


def _tiou(a, b):
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = (a[1] - a[0]) + (b[1] - b[0]) - inter
    return inter / union if union > 0 else 0.0


@TASK_UTILS.register_module()
class SoccerHighlightDecoder:
    """Turn per-second class probabilities (T, C) into highlight segments.

    Args:
        classes (sequence[str]): score column names; columns without a class config are not decoded.
        class_cfgs (dict | None): class -> overrides of ``DEFAULT_CLASS_CFGS`` keys (thresh, mpd, pre, post,
            nms_iou, merge_gap, min_len, max_len; times in seconds). A class absent from the defaults (and from
            ``CLASS_ALIASES``, which gives e.g. 'Goal' and 'soccer' the numbers of 'goal') needs all keys.
        keep (sequence[str] | None): decode only these classes (default: every class with a config).
        background (str | None): name of the background column used for suppression.
        dt (float): seconds per score row.
        merge_classes (bool): merge overlapping segments of different classes into one.
        budget (float | None): total seconds of highlights kept (best first).
    """

    def __init__(self, classes=('background', 'kick', 'subs', 'card', 'goal'), class_cfgs=None,
                 background='background', dt=1.0, merge_classes=True, budget=None, keep=None):
        self.classes, self.background, self.dt = tuple(classes), background, float(dt)
        self.merge_classes, self.budget = merge_classes, budget
        self.cfgs = {}
        overrides = dict(class_cfgs or {})
        unknown = set(overrides) - set(self.classes)
        if unknown:
            raise ConfigError(f'class_cfgs names classes {sorted(unknown)} not in classes {self.classes}')
        for name in self.classes:
            defaults = DEFAULT_CLASS_CFGS.get(name, DEFAULT_CLASS_CFGS.get(CLASS_ALIASES.get(name)))
            if name == background or (defaults is None and name not in overrides):
                continue
            cfg = dict(defaults or {}, **overrides.get(name, {}))
            missing = [k for k in CLASS_KEYS if k not in cfg]
            if missing:
                raise ConfigError(f'class_cfgs[{name!r}] lacks {missing}')
            self.cfgs[name] = cfg
        if keep is not None:
            unknown = [c for c in keep if c not in self.cfgs]
            if unknown:
                raise ConfigError(f'cannot keep {unknown}: the decoded classes are {sorted(self.cfgs)}')
            self.cfgs = {name: cfg for name, cfg in self.cfgs.items() if name in keep}

    # ------------------------------------------------------------------ one sequence
    def __call__(self, scores, duration=None):
        """(T, C) probabilities of one video/half -> segments ``dict(start, end, score, class, event)`` by start."""
        return self._finish(self._class_segments(scores, duration))

    def decode_match(self, halves, durations=None):
        """Both halves -> segments in match time (half 2 starts at the end of half 1), with ``half``."""
        segments, offset = [], 0.0
        durations = durations or [None] * len(halves)
        for half, (scores, duration) in enumerate(zip(halves, durations), start=1):
            duration = len(scores) * self.dt if duration is None else float(duration)
            for seg in self._class_segments(scores, duration):
                segments.append(dict(seg, start=seg['start'] + offset, end=seg['end'] + offset,
                                     event=seg['event'] + offset, half=half))
            offset += duration
        return self._finish(segments)

    def _class_segments(self, scores, duration):
        scores = np.asarray(scores, np.float64)
        if scores.ndim != 2 or scores.shape[1] != len(self.classes):
            raise ValueError(f'scores must be (T, {len(self.classes)}), got {scores.shape}')
        duration = scores.shape[0] * self.dt if duration is None else float(duration)
        probs = self._suppressed(scores)
        segments = []
        for name in self.cfgs:
            spans = self._spans(probs[:, self.classes.index(name)], name, duration)
            segments += [dict(start=s, end=e, score=p, event=t, **{'class': name}) for s, e, p, t in spans]
        return segments

    def _suppressed(self, scores):
        """Step 1: p_c * (1 - p_bg), what the thresholds are compared with."""
        probs = np.array(scores, np.float64)
        if self.background in self.classes:
            bg = self.classes.index(self.background)
            probs *= (1 - probs[:, bg:bg + 1])
        return probs

    def curve(self, scores):
        """(T,) highlight score of each row: the best background-suppressed probability of a decoded class."""
        probs = self._suppressed(scores)
        cols = [self.classes.index(name) for name in self.cfgs]
        return probs[:, cols].max(axis=1) if cols else np.zeros(len(probs))

    def margins(self, name):
        """``(pre, post)``: seconds a segment of class ``name`` holds before and after its event (shrunk to
        ``max_len`` keeping their ratio)."""
        cfg = self.cfgs[name]
        pre, post, max_len = cfg['pre'], cfg['post'], cfg['max_len']
        if pre + post > max_len:  # shrink around the event, keeping the pre:post ratio
            pre, post = max_len * pre / (pre + post), max_len * post / (pre + post)
        return pre, post

    def _spans(self, p, name, duration):
        cfg = self.cfgs[name]
        radius = int(round(cfg['mpd'] / self.dt))
        local_max = maximum_filter1d(p, size=2 * radius + 1, mode='nearest') if p.size else p
        peaks = np.flatnonzero((p >= cfg['thresh']) & (p == local_max))
        pre, post = self.margins(name)
        spans = [[max(0.0, t * self.dt - pre), min(duration, t * self.dt + post), float(p[t]), t * self.dt]
                 for t in peaks]

        kept = []
        for span in sorted(spans, key=lambda s: -s[2]):
            if all(_tiou(span, k) < cfg['nms_iou'] for k in kept):
                kept.append(span)
        merged = []
        for span in sorted(kept):
            last = merged[-1] if merged else None
            if (last is not None and span[0] - last[1] <= cfg['merge_gap']
                    and max(last[1], span[1]) - last[0] <= cfg['max_len']):
                if span[2] > last[2]:  # the best member names the event
                    last[2], last[3] = span[2], span[3]
                last[1] = max(last[1], span[1])
            else:
                merged.append(list(span))
        for span in merged:
            if span[1] - span[0] < cfg['min_len']:
                span[1] = min(duration, span[0] + cfg['min_len'])
                span[0] = max(0.0, span[1] - cfg['min_len'])
        return merged

    # ------------------------------------------------------------------ all classes
    def _finish(self, segments):
        segments = sorted(segments, key=lambda s: (s['start'], -s['score']))
        if self.merge_classes:
            segments = self._merge_overlaps(segments, {name: cfg['max_len'] for name, cfg in self.cfgs.items()})
        if self.budget is not None:
            kept, used = [], 0.0
            for seg in sorted(segments, key=lambda s: -s['score']):
                if used + seg['end'] - seg['start'] <= self.budget + 1e-9:
                    kept.append(seg)
                    used += seg['end'] - seg['start']
            segments = sorted(kept, key=lambda s: s['start'])
        return [dict(seg, start=round(float(seg['start']), 3), end=round(float(seg['end']), 3),
                     score=round(float(seg['score']), 4), event=round(float(seg['event']), 3))
                for seg in segments]

    @staticmethod
    def _merge_overlaps(segments, max_len):
        """Overlapping segments (any class, by start) joined or split, see the module doc; ``max_len``: class ->
        its ``max_len``."""
        out, caps = [], []  # caps[i]: the longest max_len among the classes joined in out[i]
        for seg in segments:
            last = out[-1] if out else None
            if last is None or seg['start'] >= last['end'] or seg.get('half') != last.get('half'):
                out.append(dict(seg))
                caps.append(max_len.get(seg['class'], 0.0))
                continue
            cap = max(caps[-1], max_len.get(seg['class'], 0.0))
            best = seg if seg['score'] > last['score'] else last
            end = max(last['end'], seg['end'])
            if end - last['start'] <= cap + 1e-9:  # their union
                out[-1], caps[-1] = dict(best, start=last['start'], end=end), cap
            elif seg['event'] < last['event']:  # its event is shown already (the union's longer: seg ends later)
                out[-1] = dict(best, start=last['start'], end=last['end'])
            else:  # apart: the overlap split at its middle, each keeping its event
                cut = min(max((seg['start'] + last['end']) / 2, last['event']), seg['event'])
                out[-1] = dict(last, end=cut)
                out.append(dict(seg, start=cut))
                caps.append(max_len.get(seg['class'], 0.0))
        return out
