"""What the review page is shown of a reel (one JSON document, sent after every change): its files and their
timelines (score curve, shot changes), the clips of the edit state with their posters, the reel's shape and loudness,
whether the reel on disk is the current edit state, the undo and redo depths and the render's state."""
import os
import os.path as osp
from typing import Optional
from urllib.parse import quote

from ..apis.edits.edit_list import MIN_LENGTH, display_order
from ..apis.edits.snap import snap_tolerance
from ..render.report import web_playable


def _version(path: Optional[str]) -> Optional[str]:
    """``?v=<mtime>``: a browser fetches the file again once it changed."""
    try:
        return f'?v={os.stat(path).st_mtime_ns}'
    except (OSError, TypeError):
        return None


def file_url(reel, path: Optional[str]) -> Optional[str]:
    """The URL of a file of ``reel``'s folder (None when it is not in it or missing)."""
    if not path:
        return None
    rel = osp.relpath(osp.realpath(path), osp.realpath(reel.folder))
    version = _version(path)
    if rel.startswith('..') or version is None:
        return None
    return f'/files/{quote(reel.slug)}/{quote(rel.replace(os.sep, "/"))}{version}'


_PLAYABLE = {}


def playable(path: str) -> bool:
    """Whether a browser plays the file as it is (:func:`~highlight_plugin.render.report.web_playable`, cached)."""
    key = (path, _version(path))
    if key not in _PLAYABLE:
        _PLAYABLE[key] = osp.isfile(path) and web_playable(path)
    return _PLAYABLE[key]


def reel_view(reel, render_status: dict, status: dict) -> dict:
    """The page's document for ``reel`` (a :class:`~.reels.Reel`); its files are numbered (the URLs name them by
    number, never by path)."""
    from ..apis.edits.edit_list import check_state, state_hash
    from ..apis.recut import reel_options
    store = reel.store
    result, cut, state = store.result, store.cut, store.state
    files = list(cut.limits)
    numbers = {path: n for n, path in enumerate(files)}
    sources = []
    for n, path in enumerate(files):
        a = result.analysis.get(path)
        sources.append(dict(n=n, name=osp.basename(path), url=f'/sources/{quote(reel.slug)}/{n}',
                            playable=playable(path), duration=cut.limits[path],
                            fps=a.cut.fps if a is not None else 25.0,
                            shots=[t.as_dict() for t in a.transitions] if a is not None else [],
                            follow=a is not None and a.profile is not None))
    rendered = _rendered_clips(reel, result)
    options = reel_options(result, state)
    edits = (result.options or {}).get('edits') or {}
    reel_file = (result.files or {}).get('reel')
    return dict(
        slug=reel.slug, id=reel.id, title=osp.basename(result.video), status=status, sources=sources,
        curve=None if result.plot_segments is not None else dict(
            clip_len=result.clip_len, scores=[round(float(s), 4) for s in result.scores]),
        clips=[_clip_view(c, cut, numbers, rendered, reel) for c in display_order(state, cut)],
        order=state['order'], render=dict(vertical=options.vertical, loudness=(
            None if options.loudness is None else options.loudness.integrated)),
        cut=options.cut, reel=file_url(reel, reel_file), report=file_url(reel, (result.files or {}).get('report')),
        rendered=edits.get('state', state_hash(check_state(cut.initial(), cut))) == store.hash,
        undo=len(store.doc['undo']), redo=len(store.doc['redo']), saved=store.saved, job=render_status,
        snap=snap_tolerance(result), min_length=MIN_LENGTH)


def _rendered_clips(reel, result) -> dict:
    """clip id -> the segment of the reel on disk (its span, clip and poster)."""
    out = {}
    for k, seg in enumerate(result.segments, 1):
        out[seg.get('id') or f'c{k}'] = seg
    return out


def _clip_view(clip: dict, cut, numbers: dict, rendered: dict, reel) -> dict:
    seg = rendered.get(clip['id'])
    same = seg is not None and (seg['start'], seg['end']) == (clip['start'], clip['end'])
    machine = cut.machine[int(clip['id'][1:]) - 1] if clip['id'].startswith('c') else None
    return dict(id=clip['id'], source=numbers[cut.source_of(clip)], start=clip['start'], end=clip['end'],
                dropped=clip['dropped'], snap=clip.get('snap') or {},
                score=None if machine is None else machine.get('score'),
                label=None if machine is None else machine.get('clock') or machine.get('class'),
                machine=None if machine is None else dict(start=machine['start'], end=machine['end']),
                poster=file_url(reel, seg.get('poster')) if seg else None,
                clip=file_url(reel, seg.get('clip')) if same else None, rendered=same and not clip['dropped'])
