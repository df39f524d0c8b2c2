"""Re-cutting a finished reel from its saved result and an editor's edit list, without running any network.

::

    from highlight_plugin.apis.recut import recut_reel
    result = recut_reel('reel/')                                  # the edits of reel/edits.json (the review page's)
    result = recut_reel('reel/', edits='mine.json', render=dict(vertical='blur'))

The saved result (``result.npz``) holds everything a cut needs: the model's segments, the score curve, each file's
timing, shot changes, pauses and 9:16 follow profile. The edit list (:mod:`highlight_plugin.apis.edits.edit_list`)
is applied to the machine's cut; only the clips whose file, span, shape or loudness changed are encoded again (the
others are linked, by key: :func:`~highlight_plugin.render.reel.reusable_cuts`); the reel, JSON, editor exports,
report page and result are rewritten through the same staging as the first run, so a failed or killed re-cut leaves
the previous reel in place. One re-cut of a folder runs at a time (a lock file); a re-cut cleans what a killed one left.
"""
import contextlib
import glob
import os
import os.path as osp
import re
import shutil
from typing import Optional, Union

from ..engine.errors import DataError

LOCK_FILE = '.recut.lock'
_CLIP_FILE = re.compile(r'^highlight_\d{3,}\.(mp4|jpg)$')


def recut_reel(out_dir: str, edits: Union[str, dict, None] = None, render: Optional[dict] = None,
               progress=None):
    """Re-cut the reel in ``out_dir``; returns its new :class:`~.result.HighlightResult` (``files['report']`` the
    page).

    Args:
        out_dir: a reel's folder (it holds ``result.npz``).
        edits: an edit list: a file (JSON, as the review page saves it, or a bare edit state), a dict, or None for
            the reel's own ``edits.json`` (the machine's cut when there is none). A given list becomes the reel's
            current edit state (undoably).
        render: reel options (:class:`~highlight_plugin.render.RenderOptions` fields) replacing those the reel was
            made with and those of the edit list.
        progress: a :class:`~highlight_plugin.engine.progress.StageProgress` with a 'cut' stage.

    Raises:
        DataError: no saved result, an edit list that is malformed, out of range or made for another cut.
    """
    from ..render import write_highlights
    from ..render.reel import reusable_cuts
    from .edits.edit_list import check_state, edited_result
    from .edits.store import EditStore
    out_dir = osp.abspath(out_dir)
    with _locked(out_dir):
        store = EditStore(out_dir)
        state = store.state if edits is None else check_state(_given_state(edits, store.cut.fingerprint), store.cut)
        current = store.result
        result = edited_result(current, state, store.cut)
        options = reel_options(current, state, render)
        if options.cut and not result.segments:
            raise DataError(f'{out_dir}: every clip is dropped: nothing to cut (restore one, or mark the reel '
                            f'rejected)')
        store.replace(state)  # the given edits are the reel's now (undoably)
        for seg in result.segments:
            for key in ('clip', 'poster', 'key'):
                seg.pop(key, None)
        _clean_partials(out_dir)
        write_highlights(result, out_dir, options, progress=progress, reuse=reusable_cuts(current))
        _remove_stale_clips(out_dir, result)
    return result


def reel_options(result, state: dict, render: Optional[dict] = None):
    """The :class:`~highlight_plugin.render.RenderOptions` of a re-cut: the reel's own, then the edit state's shape
    and loudness, then ``render``."""
    from ..render import LoudnessTarget, RenderOptions
    saved = dict((result.options or {}).get('render') or {})
    options = RenderOptions.from_kwargs(saved)
    chosen = state.get('render') or {}
    if 'vertical' in chosen:
        options.vertical = chosen['vertical']
    if 'loudness' in chosen:
        level = chosen['loudness']
        base = options.loudness or LoudnessTarget()
        options.loudness = None if level is None else LoudnessTarget(
            integrated=float(level), true_peak=base.true_peak, max_gain=base.max_gain, margin=base.margin)
    if render:
        options = RenderOptions.from_kwargs({**vars(options), **render})
    return options


def _given_state(edits, fingerprint: str) -> dict:
    """The state of an edit list given to :func:`recut_reel` (a path or a dict), for the cut ``fingerprint``."""
    from .edits.edit_list import FORMAT, read_edits
    if isinstance(edits, dict):
        doc = edits if 'state' in edits and 'format' in edits else dict(format=FORMAT, state=edits)
        where = 'edits'
    else:
        doc, where = read_edits(str(edits)), str(edits)
    if doc.get('cut') not in (None, fingerprint):
        raise DataError(f'{where}: an edit list made for another cut of this video (the reel was made again since)')
    state = doc.get('state')
    if not isinstance(state, dict):
        raise DataError(f'{where}: no edit state (a JSON object with "clips", "order", "render")')
    return state


@contextlib.contextmanager
def _locked(out_dir: str):
    """One re-cut of ``out_dir`` at a time (across processes)."""
    if not osp.isfile(osp.join(out_dir, 'result.npz')):
        raise DataError(f'{out_dir}: no saved result (result.npz): not a reel folder, or a reel made before re-cuts '
                        f'were possible (make it again)')
    try:
        import fcntl
    except ImportError:  # (not POSIX: no lock)
        yield
        return
    with open(osp.join(out_dir, LOCK_FILE), 'a') as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _clean_partials(out_dir: str):
    """Remove the staging folders a killed write of this reel left (none is running: the lock is held)."""
    pattern = osp.join(osp.dirname(out_dir), f'.partial-{glob.escape(osp.basename(out_dir))}-*')
    for stale in glob.glob(pattern):
        shutil.rmtree(stale, ignore_errors=True)


def _remove_stale_clips(out_dir: str, result):
    """Remove the clips and posters of the previous cut that the new one does not have (fewer clips now)."""
    folder = osp.join(out_dir, 'clips')
    if not osp.isdir(folder):
        return
    keep = {osp.abspath(seg[k]) for seg in result.segments for k in ('clip', 'poster') if seg.get(k)}
    for name in os.listdir(folder):
        path = osp.abspath(osp.join(folder, name))
        if _CLIP_FILE.match(name) and path not in keep:
            with contextlib.suppress(OSError):
                os.remove(path)
