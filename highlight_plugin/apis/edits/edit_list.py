"""The edit list of a reel: what an editor changed in the machine's cut (drops, in and out points, added clips, the
order, the shape and loudness), checked against the reel and applied to its saved result (docs/review.md §2).

An edit *state* is a JSON object::

    {"clips": [{"id": "c2", "start": 61.0, "end": 75.5, "snap": {"start": "cut", "end": null}},
               {"id": "c1", "dropped": true},
               {"id": "a1", "start": 300.0, "end": 310.0, "source": "film.mp4"}],
     "order": "edited",
     "render": {"vertical": "follow", "loudness": -16}}

``c<k>`` is the machine's clip of rank ``k``, ``a<k>`` a clip the editor added (``start`` and ``end`` required,
``source`` a file of the reel, by path or name, default its video). Clips not listed keep the machine's span; with
``order`` 'edited' the reel follows the list (the unlisted after), with 'story' (default) the time. ``render``
overrides the reel's 9:16 shape (``vertical``: null, 'crop', 'blur', 'follow') and loudness target (LUFS, null: the
source's level). Times are seconds on the reel's clock of their file. :func:`check_state` completes a state (every
clip listed, every span given) or raises a :class:`~highlight_plugin.engine.errors.DataError` naming the clip and
field; :func:`~.changes.apply_change` makes one change (the review page's), :func:`edited_result` applies a state to a
result.
"""
import copy
import dataclasses
import hashlib
import json
import math
import os.path as osp
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from ...engine.errors import DataError

FORMAT = 'highlight_plugin.edits'
VERSION = 1
MIN_LENGTH = 0.5  # seconds: the shortest clip an editor may make
VERTICAL = (None, 'crop', 'blur', 'follow')
ORDERS = ('story', 'edited')
SNAP_KINDS = (None, 'cut', 'pause', 'guard', 'editor')
STATE_KEYS = ('clips', 'order', 'render')
CLIP_KEYS = ('id', 'start', 'end', 'dropped', 'source', 'snap')
RENDER_KEYS = ('vertical', 'loudness')
OUTPUT_FIELDS = ('clip', 'poster', 'key', 'id')  # written by a render: not the model's
_MACHINE_ID = re.compile(r'^c([1-9][0-9]*)$')
_ADDED_ID = re.compile(r'^a([1-9][0-9]*)$')


@dataclass
class Cut:
    """The machine's cut of a reel (its segments ranked: clip ``c<k>`` is ``machine[k - 1]``) and what edits are
    checked against: each file's last time on the reel's clock and its frame grid."""
    video: str
    machine: List[dict]
    limits: Dict[str, float]
    halves: Dict[str, list] = field(default_factory=dict)
    grids: Dict[str, object] = field(default_factory=dict)  # file -> its FrameGrid (media/clock.py)

    @classmethod
    def of(cls, result) -> 'Cut':
        machine = [{k: v for k, v in s.items() if k not in OUTPUT_FIELDS}
                   for s in (result.machine if result.machine is not None else result.segments)]
        files = list(dict.fromkeys([str(result.video), *result.sources, *(result.source_of(s) for s in machine)]))
        limits = {}
        for path in files:
            a = result.analysis.get(path)
            limit = a.duration - a.feature_shift if a is not None and a.duration else result.duration
            ends = [s['end'] for s in machine if result.source_of(s) == path]
            limits[path] = round(max([float(limit), *ends]), 3)
        halves = {}
        for s in machine:
            if 'half' in s:
                halves.setdefault(result.source_of(s), []).append((s['start'], s['half']))
        grids = {p: a.cut.grid for p, a in result.analysis.items() if a is not None}
        return cls(str(result.video), machine, limits, halves, grids)

    def on_frame(self, source: str, t: float) -> float:
        """``t`` on the frame grid of ``source`` (the nearest frame's start, as the cut takes it)."""
        grid = self.grids.get(source)
        return t if grid is None else round(grid.snap(t), 3)

    @property
    def fingerprint(self) -> str:
        """Names this cut: an edit list made for another cut (the reel made again) is not applied to it."""
        doc = [self.video] + [[s.get('source', self.video), s['start'], s['end']] for s in self.machine]
        return hashlib.sha1(json.dumps(doc).encode()).hexdigest()[:16]

    def source_of(self, clip: dict) -> str:
        if _MACHINE_ID.match(clip['id']):
            return str(self.machine[int(clip['id'][1:]) - 1].get('source', self.video))
        return clip.get('source') or self.video

    def resolve(self, name) -> str:
        """The file of the reel ``name`` means (a path, a file name, or its number among the reel's files), or a
        DataError."""
        files = list(self.limits)
        if isinstance(name, int) and not isinstance(name, bool):
            if not 0 <= name < len(files):
                raise DataError(f'source {name}: this reel has {len(files)} file(s), 0 to {len(files) - 1}')
            return files[name]
        if not isinstance(name, str):
            raise DataError(f'source: a file of the reel, got {name!r}')
        matches = [p for p in self.limits if p == name or osp.basename(p) == name]
        if len(matches) != 1:
            raise DataError(f'source {name!r} is not a file of this reel (its files: '
                            f'{", ".join(osp.basename(p) for p in self.limits)})')
        return matches[0]

    def half_of(self, source: str, t: float) -> int:
        """The match half the nearest machine clip of ``source`` to ``t`` lies in (0 for films)."""
        near = self.halves.get(source)
        return min(near, key=lambda x: abs(x[0] - t))[1] if near else 0

    def initial(self) -> dict:
        """The machine's cut as a complete state."""
        clips = [dict(id=f'c{k}', start=s['start'], end=s['end'], dropped=False, snap=dict(s.get('snap') or {}))
                 for k, s in enumerate(self.machine, 1)]
        return dict(clips=clips, order='story', render={})


def _seconds(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise DataError(f'{what}: seconds (a number), got {value!r}')
    return round(float(value), 3)


def _object(value, what: str, keys) -> dict:
    if not isinstance(value, dict):
        raise DataError(f'{what}: a JSON object, got {type(value).__name__}')
    unknown = sorted(set(value) - set(keys))
    if unknown:
        raise DataError(f'{what}: unknown field(s) {", ".join(map(repr, unknown))} (known: {", ".join(keys)})')
    return value


def _check_clip(raw, cut: Cut, seen: set) -> dict:
    clip = _object(raw, 'clip', CLIP_KEYS)
    cid = clip.get('id')
    if not isinstance(cid, str) or not (_MACHINE_ID.match(cid) or _ADDED_ID.match(cid)):
        raise DataError(f'clip id {cid!r}: c<k> (the machine\'s clip of rank k) or a<k> (an added clip)')
    if cid in seen:
        raise DataError(f'clip {cid}: listed twice')
    seen.add(cid)
    machine = _MACHINE_ID.match(cid)
    if machine and int(machine.group(1)) > len(cut.machine):
        raise DataError(f'clip {cid}: the machine cut has {len(cut.machine)} clips (c1 to c{len(cut.machine)})')
    if machine and 'source' in clip:
        raise DataError(f'clip {cid}: a machine clip keeps its file (source is for added clips)')
    if not machine and not ('start' in clip and 'end' in clip):
        raise DataError(f'clip {cid}: an added clip needs start and end')
    out = dict(id=cid)
    if not machine:
        out['source'] = cut.resolve(clip['source']) if clip.get('source') is not None else cut.video
    base = cut.machine[int(machine.group(1)) - 1] if machine else {}
    source = cut.source_of(dict(out, id=cid))
    for edge in ('start', 'end'):
        t = _seconds(clip.get(edge, base.get(edge)), f'clip {cid}: {edge}')
        out[edge] = t if t == base.get(edge) else cut.on_frame(source, t)  # an editor's edge: on a frame
    limit = cut.limits[source]
    if out['start'] < 0:
        raise DataError(f'clip {cid}: start {out["start"]} s is before the start of {osp.basename(source)}')
    if out['end'] > limit + 1e-6:
        raise DataError(f'clip {cid}: end {out["end"]} s is past the end of {osp.basename(source)} ({limit} s)')
    if out['end'] - out['start'] < MIN_LENGTH - 1e-6:
        raise DataError(f'clip {cid}: {out["start"]}-{out["end"]} s is shorter than {MIN_LENGTH} s')
    dropped = clip.get('dropped', False)
    if not isinstance(dropped, bool):
        raise DataError(f'clip {cid}: dropped is true or false, got {dropped!r}')
    out['dropped'] = dropped
    kept = {e: k for e, k in (base.get('snap') or {}).items() if e in ('start', 'end') and out[e] == base[e]}
    snap = _object(clip['snap'] if clip.get('snap') is not None else kept, f'clip {cid}: snap', ('start', 'end'))
    if any(v not in SNAP_KINDS for v in snap.values()):
        raise DataError(f'clip {cid}: snap kinds are {", ".join(map(str, SNAP_KINDS))}')
    out['snap'] = dict(snap)
    return out


def _check_render(raw) -> dict:
    render = _object(raw if raw is not None else {}, 'render', RENDER_KEYS)
    out = {}
    if 'vertical' in render:
        if render['vertical'] not in VERTICAL:
            raise DataError(f'render: vertical is null (16:9, the source\'s shape), "crop", "blur" or "follow", '
                            f'got {render["vertical"]!r}')
        out['vertical'] = render['vertical']
    if 'loudness' in render:
        level = render['loudness']
        if level is not None:
            level = _seconds(level, 'render: loudness (LUFS)')
            if not -70 < level < 0:
                raise DataError(f'render: loudness must lie between -70 and 0 LUFS (or null: off), got {level}')
        out['loudness'] = level
    return out


def check_state(state, cut: Cut) -> dict:
    """``state`` checked against ``cut`` and completed: every clip listed (the unlisted machine clips after the
    listed, as the machine cut them), every span given. Raises a DataError naming the clip and field."""
    state = _object(state, 'edits', STATE_KEYS)
    clips = state.get('clips', [])
    if not isinstance(clips, list):
        raise DataError(f'clips: a list of clips, got {type(clips).__name__}')
    seen = set()
    out = [_check_clip(c, cut, seen) for c in clips]
    rest = cut.initial()['clips']
    out += [c for c in rest if c['id'] not in seen]
    order = state.get('order', 'story')
    if order not in ORDERS:
        raise DataError(f'order: "story" (the reel in time order) or "edited" (in the list\'s), got {order!r}')
    return dict(clips=out, order=order, render=_check_render(state.get('render')))


def state_hash(state: dict) -> str:
    """Names a state (the page tells whether the reel was rendered from the current one)."""
    return hashlib.sha1(json.dumps(state, sort_keys=True).encode()).hexdigest()[:16]


def story_order(state: dict, cut: Cut) -> List[dict]:
    """The clips of ``state`` in time order (half of a match, then start)."""
    return sorted(state['clips'], key=lambda c: (cut.half_of(cut.source_of(c), c['start']), c['start'], c['id']))


def display_order(state: dict, cut: Cut) -> List[dict]:
    """The clips as the reel runs: the list's order ('edited'), else time."""
    return list(state['clips']) if state['order'] == 'edited' else story_order(state, cut)


def edited_result(result, state: dict, cut: Optional[Cut] = None):
    """A copy of ``result`` (a :class:`~highlight_plugin.apis.HighlightResult`) cut as ``state`` says: its segments
    the kept clips (machine rank order, the added after; the list's order when 'edited', then ``order`` 'rank'), each
    with its ``id``; ``machine`` the model's segments; the football curve's segments moved with their clips."""
    cut = cut or Cut.of(result)
    state = check_state(state, cut)
    kept = [c for c in state['clips'] if not c['dropped']]
    if state['order'] == 'story':
        kept.sort(key=lambda c: (0, int(c['id'][1:])) if c['id'][0] == 'c' else (1, int(c['id'][1:])))
    segments = [_segment(result, c, cut) for c in kept]
    out = dataclasses.replace(result, segments=segments, machine=copy.deepcopy(cut.machine),
                              order='rank' if state['order'] == 'edited' else 'story', files={}, cuts=dict(result.cuts),
                              options=dict(result.options, edits=dict(cut=cut.fingerprint, state=state_hash(state))),
                              notes=list(result.notes), info=dict(result.info))
    if result.plot_segments is not None:
        out.plot_segments = _plot_segments(result, segments)
    if result.keep is not None:
        keep = {f'c{k}': span for k, span in enumerate(_machine_keep(result, cut), 1)}
        out.keep = [keep.get(s['id']) for s in segments]
    return out


def _segment(result, clip: dict, cut: Cut) -> dict:
    """The segment of a kept clip: the machine's fields (an added clip: its score on the curve), the edited span."""
    if clip['id'].startswith('c'):
        base = cut.machine[int(clip['id'][1:]) - 1]
        seg = dict(base, id=clip['id'], start=clip['start'], end=clip['end'])
        moved = {e: clip[e] != base[e] for e in ('start', 'end')}
        snap = dict(base.get('snap') or {})
    else:
        source = clip['source']
        seg = dict(id=clip['id'], start=clip['start'], end=clip['end'],
                   score=round(_curve_score(result, source, clip['start'], clip['end']), 4))
        if source != cut.video:
            seg['source'] = source
        if cut.halves:
            seg['half'] = cut.half_of(source, clip['start'])
        moved, snap = dict(start=True, end=True), {}
    for edge in ('start', 'end'):
        if moved[edge]:
            snap[edge] = clip['snap'].get(edge, 'editor')
    seg['snap'] = snap
    return seg


def _curve_score(result, source, start, end) -> float:
    """The mean of the score curve over ``[start, end)`` of ``source`` (on the curve's axis)."""
    import numpy as np
    offset = _plot_offset(result, source, start) if result.plot_segments is not None else 0.0
    k0 = max(int(np.floor((start + offset) / result.clip_len)), 0)
    k1 = max(int(np.ceil((end + offset) / result.clip_len)), k0 + 1)
    rows = np.asarray(result.scores[k0:k1], np.float64)
    return float(rows.mean()) if len(rows) else 0.0


def _plot_offset(result, source, t) -> float:
    """Seconds from a file's clock to the curve's axis near ``t`` (football: the half's place in the match)."""
    pairs = [(s, p) for s, p in zip(result.segments, result.plot_segments or ()) if result.source_of(s) == source]
    if not pairs:
        return 0.0
    s, p = min(pairs, key=lambda sp: abs(sp[0]['start'] - t))
    return p['start'] - s['start']


def _plot_segments(result, segments) -> List[dict]:
    out = []
    for seg in segments:
        offset = _plot_offset(result, result.source_of(seg), seg['start'])
        plot = {k: v for k, v in seg.items() if k not in ('id', 'snap', 'source')}
        plot.update(start=round(seg['start'] + offset, 3), end=round(seg['end'] + offset, 3))
        if seg.get('event') is not None:
            plot['event'] = round(seg['event'] + offset, 3)
        out.append(plot)
    return out


def _machine_keep(result, cut: Cut) -> list:
    """The machine clips' ``keep`` spans (by rank)."""
    if result.machine is None:
        return list(result.keep)
    by_id = {s.get('id'): k for s, k in zip(result.segments, result.keep)}
    return [by_id.get(f'c{k}') for k in range(1, len(cut.machine) + 1)]


def read_edits(path: str) -> dict:
    """The edit list file ``path`` (its format and version checked; the state is checked by :func:`check_state`)."""
    try:
        with open(path, encoding='utf-8') as fh:
            doc = json.load(fh)
    except FileNotFoundError:
        raise DataError(f'{path}: no such edit list') from None
    except (OSError, ValueError) as e:
        raise DataError(f'{path}: not a JSON edit list ({e})') from None
    if not isinstance(doc, dict):
        raise DataError(f'{path}: an edit list is a JSON object')
    if 'format' in doc or 'version' in doc:
        if doc.get('format') != FORMAT:
            raise DataError(f'{path}: not an edit list (format {doc.get("format")!r}, expected {FORMAT!r})')
        if doc.get('version') != VERSION:
            raise DataError(f'{path}: an edit list of version {doc.get("version")}; this package reads {VERSION}')
        return doc
    return dict(format=FORMAT, version=VERSION, state=doc)  # a bare state, as a script may write it
