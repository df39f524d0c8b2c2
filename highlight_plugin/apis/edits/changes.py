"""One change an editor makes on the review page (drop, restore, trim, move, add, order, render, reset), applied to
an edit state and checked: a malformed or out-of-range change raises a DataError and changes nothing.

A change is a JSON object ``{"op": ..., ...}`` (docs/review.md §2):

* ``{"op": "drop" | "restore", "id": "c2"}``
* ``{"op": "trim", "id": "c2", "start": 61.0, "end": 77.5, "snap": true}``: new in and/or out points; with ``snap``
  (default) each edge moves to a shot change or pause within the reel's ``--snap`` seconds, as the tool snaps;
* ``{"op": "move", "id": "c2", "to": 0}``: to that place in the reel (the order becomes the editor's);
* ``{"op": "add", "start": 300.0, "end": 310.0, "source": "film.mp4", "snap": true}``: a new clip;
* ``{"op": "order", "order": "story" | "edited"}``;
* ``{"op": "render", "vertical": null | "crop" | "blur" | "follow", "loudness": -14 | null}``;
* ``{"op": "reset"}``: back to the machine's cut.
"""
import copy
from typing import Tuple

from ...engine.errors import DataError
from .edit_list import MIN_LENGTH, Cut, _object, _seconds, check_state, display_order, story_order
from .snap import snap_edge

OPS = dict(drop=('id',), restore=('id',), trim=('id', 'start', 'end', 'snap'), move=('id', 'to'),
           add=('start', 'end', 'source', 'snap'), order=('order',), render=('vertical', 'loudness'), reset=())


def apply_change(state: dict, change, result, cut: Cut) -> Tuple[dict, dict]:
    """``(new state, what to tell the page)`` after ``change`` to the (complete) ``state`` of ``result``'s reel."""
    if not isinstance(change, dict) or change.get('op') not in OPS:
        raise DataError(f'a change is a JSON object with "op": one of {", ".join(OPS)}')
    op = change['op']
    _object(change, f'change {op!r}', ('op', *OPS[op]))
    new = copy.deepcopy(state)
    told = _HANDLERS[op](new, change, result, cut) or {}
    return check_state(new, cut), told


def _clip(state, change) -> dict:
    cid = change.get('id')
    for clip in state['clips']:
        if clip['id'] == cid:
            return clip
    raise DataError(f'no clip {cid!r} in this reel')


def _flag(change, name, default=True) -> bool:
    value = change.get(name, default)
    if not isinstance(value, bool):
        raise DataError(f'{name}: true or false, got {value!r}')
    return value


def _drop(state, change, result, cut):
    _clip(state, change)['dropped'] = True


def _restore(state, change, result, cut):
    _clip(state, change)['dropped'] = False


def _place_edges(clip, change, result, cut, snap):
    """Set the edges ``change`` gives (checked in range first), then snap them; returns their kinds."""
    edges = [e for e in ('start', 'end') if e in change]
    if not edges:
        raise DataError('trim: give start and/or end (seconds)')
    for edge in edges:
        clip[edge] = _seconds(change[edge], f'clip {clip["id"]}: {edge}')
    check_state(dict(clips=[clip]), cut)  # in range, long enough: else nothing changes
    source = cut.source_of(clip)
    kinds = {}
    for edge in edges:
        other = clip['end'] if edge == 'start' else clip['start']
        t, kind = snap_edge(result, source, edge, clip[edge], other, cut.limits[source], MIN_LENGTH,
                            None if snap else 0.0)
        clip[edge], kinds[edge] = t, (kind if snap else 'editor')
        clip['snap'][edge] = kinds[edge]
    return kinds


def _trim(state, change, result, cut):
    clip = _clip(state, change)
    return dict(snap=_place_edges(clip, change, result, cut, _flag(change, 'snap')))


def _move(state, change, result, cut):
    clip = _clip(state, change)
    to = change.get('to')
    if isinstance(to, bool) or not isinstance(to, int) or not 0 <= to < len(state['clips']):
        raise DataError(f'move: "to" is a place in the reel, 0 to {len(state["clips"]) - 1}, got {to!r}')
    clips = [c for c in display_order(state, cut) if c is not clip]
    clips.insert(to, clip)
    state['clips'], state['order'] = clips, 'edited'


def _next_id(state) -> str:
    numbers = [int(c['id'][1:]) for c in state['clips'] if c['id'].startswith('a')]
    return f'a{max(numbers, default=0) + 1}'


def _add(state, change, result, cut):
    if 'start' not in change or 'end' not in change:
        raise DataError('add: give start and end (seconds)')
    clip = dict(id=_next_id(state), start=0.0, end=0.0, dropped=False, snap={})
    if change.get('source') is not None:
        clip['source'] = cut.resolve(change['source'])
    clip['start'] = clip['end'] = _seconds(change['start'], 'add: start')  # (checked again with the end)
    _place_edges(clip, dict(start=change['start'], end=change['end']), result, cut, _flag(change, 'snap'))
    if state['order'] == 'edited':  # at its place in time among the clips, as the editor sees them
        later = [i for i, c in enumerate(state['clips']) if c['start'] > clip['start']]
        state['clips'].insert(later[0] if later else len(state['clips']), clip)
    else:
        state['clips'].append(clip)
    return dict(id=clip['id'])


def _order(state, change, result, cut):
    order = change.get('order')
    if order not in ('story', 'edited'):
        raise DataError(f'order: "story" or "edited", got {order!r}')
    if order == 'edited' and state['order'] == 'story':
        state['clips'] = story_order(state, cut)  # the reel keeps running as it did
    state['order'] = order


def _render(state, change, result, cut):
    state['render'].update({k: change[k] for k in ('vertical', 'loudness') if k in change})


def _reset(state, change, result, cut):
    state.clear()
    state.update(cut.initial())


_HANDLERS = dict(drop=_drop, restore=_restore, trim=_trim, move=_move, add=_add, order=_order, render=_render,
                 reset=_reset)
