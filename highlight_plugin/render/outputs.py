"""Everything a reel writes to disk, made in a staging folder and moved into place at the end.

``clips/highlight_NNN.mp4`` (by rank) with a poster ``clips/highlight_NNN.jpg`` (the clip's best moment: its peak
score, or its event), ``reel.mp4`` (the clips in the story's order), ``saliency.png``, the editor exports
``highlights.edl``, ``highlights.otio`` and ``highlights.xml`` (FCP 7 XML; all at the source's rate and timecode:
:mod:`~highlight_plugin.render.exports`), ``index.html``, the result for re-cuts (``result.npz``) and, last,
``highlights.json`` (ranked segments, scores, shot changes, notes): a folder holding ``highlights.json`` is finished.
An error leaves ``out_dir`` as it was: the staging folder is renamed as a whole when ``out_dir`` is new or empty, else
moved file by file with the JSON last.

The reel and the editor exports follow the story's order, or the segments' own when an editor ordered them
(:func:`~.reel.reel_order`). ``reuse`` (a re-cut, :mod:`highlight_plugin.apis.recut`): clips already cut, by key,
linked instead of cut again.
"""
import os
import os.path as osp
import shutil
import tempfile
from dataclasses import asdict
from typing import Optional

from .options import RenderOptions
from .reel import ReelCutter, reel_order

FINISHED = 'highlights.json'  # written last: a folder holding it is a finished reel
NAMES = dict(json=FINISHED, plot='saliency.png', edl='highlights.edl', otio='highlights.otio', xml='highlights.xml',
             report='index.html', result='result.npz')
EXPORTS = ('edl', 'otio', 'xml')  # the editor's: at the source's rate and timecode (exports.py)


def write_highlights(result, out_dir: str, options: Optional[RenderOptions] = None, progress=None, reuse=None):
    """Write ``result``'s reel and reports into ``out_dir`` (see the module doc); returns ``result`` with ``files``
    set and each segment's ``clip`` (and ``poster``) path.

    Args:
        result: a :class:`~highlight_plugin.apis.HighlightResult`.
        options: a :class:`RenderOptions` (default: its defaults).
        progress: a :class:`~highlight_plugin.engine.progress.StageProgress` with a 'cut' stage.
        reuse: clips already cut, key -> :class:`~.reel.Reusable` (:func:`~.reel.reusable_cuts`).
    """
    from ..engine.progress import no_progress
    options = options or RenderOptions()
    progress = progress or no_progress()
    out_dir = osp.abspath(out_dir)
    parent = osp.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    # a sibling of out_dir: the same depth, so the page's relative links hold after the move
    stage = tempfile.mkdtemp(prefix=f'.partial-{osp.basename(out_dir)}-', dir=parent)
    try:
        files = {k: osp.join(stage, v) for k, v in NAMES.items()}
        segments = [dict(s) for s in result.segments]
        files['reel'], cuts = _cut(result, segments, stage, options, progress, reuse)
        _write_reports(result, segments, files, stage)
        result.segments = [_relocate(s, stage, out_dir) for s in segments]
        result.files = {k: _final(v, stage, out_dir) for k, v in files.items()}
        result.options = dict(result.options, render=asdict(options))
        result.cuts = cuts
        result.save(files['result'], root=out_dir)
        _publish(stage, out_dir, files, segments)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    shutil.rmtree(stage, ignore_errors=True)
    return result


def _final(path, stage, out_dir):
    """Where a staged file will lie once published."""
    return None if path is None else osp.join(out_dir, osp.relpath(path, stage))


def _relocate(seg, stage, out_dir):
    """``seg`` with its clip and poster at their published places."""
    return {k: (_final(v, stage, out_dir) if k in ('clip', 'poster') else v) for k, v in seg.items()}


def _cut(result, segments, stage, options, progress, reuse):
    """``(the reel's path or None, the clips' records by key)``."""
    if not options.cut:
        return None, {}
    with progress.stage('cut', total=len(segments) + (1 if options.reel and segments else 0)) as update:
        cutter = ReelCutter(result, segments, stage, options, reuse)
        return cutter.run(update), cutter.records


def _write_reports(result, segments, files, stage):
    """The plot, the editor exports, the report page and the JSON (written last) of the staged reel."""
    from . import plot_saliency, write_exports, write_json, write_report
    in_time = [dict(segments[i], rank=i + 1) for i in reel_order(result, segments)]  # the exports: the reel's order
    shots = {source: [t.as_dict() for t in transitions] for source, transitions in result.shots.items()}
    football = result.plot_segments is not None  # a curve on the match's axis, not the files'
    durations = {s: a.duration for s, a in result.analysis.items()}
    plot_saliency(result.scores, result.clip_len, result.plot_segments or segments, files['plot'],
                  title=osp.basename(result.video), duration=result.duration,
                  transitions=() if football else shots.get(str(result.video), ()))
    notes = write_exports(in_time, result.video, **{k: files[k] for k in EXPORTS})
    result.notes += [n for n in notes if n not in result.notes]
    write_report(files['report'], result.video, segments, plot=files['plot'], reel=files['reel'],
                 exports=[files['json']] + [files[k] for k in EXPORTS], scores=None if football else result.scores,
                 clip_len=result.clip_len, duration=durations.get(str(result.video)) if football else result.duration,
                 transitions=shots, notes=result.notes, durations=durations)
    write_json(files['json'], highlights_json(result, segments, shots, stage))


def highlights_json(result, segments, shots, root) -> dict:
    """The document of ``highlights.json``; clip and poster paths relative to ``root``."""
    several = len({result.source_of(s) for s in segments} | {str(result.video)}) > 1
    return dict(
        video=osp.abspath(result.video), duration=result.duration, clip_len=result.clip_len, **result.info,
        notes=list(result.notes), exports=[NAMES[k] for k in EXPORTS],
        segments=[dict(rank=i, **{k: (osp.relpath(v, root) if k in ('clip', 'poster') else v) for k, v in s.items()})
                  for i, s in enumerate(segments, 1)],
        shots=[dict(t, source=source) if several else t for source, ts in shots.items() for t in ts],
        scores=[round(float(s), 5) for s in result.scores])


def _publish(stage, out_dir, files, segments):
    """Move the finished outputs from ``stage`` to ``out_dir``: a rename of the whole folder when ``out_dir`` is new
    or empty, else file by file with ``highlights.json`` last."""
    if osp.isdir(out_dir) and not os.listdir(out_dir):
        os.rmdir(out_dir)
    if not osp.exists(out_dir):
        os.rename(stage, out_dir)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(out_dir, 0o777 & ~mask)  # mkdtemp made it private
        os.makedirs(stage)  # (removed by the caller)
        return
    for seg in segments:  # clips first, the page that links everything next, the JSON that says "finished" last
        for key in ('clip', 'poster'):
            if key in seg:
                _move_into(stage, seg[key], out_dir)
    for key in ('reel', 'plot', *EXPORTS, 'report', 'result', 'json'):
        _move_into(stage, files[key], out_dir)


def _move_into(stage, path, out_dir):
    """Move a finished file from the staging folder to the same relative place in ``out_dir``."""
    if path is None:
        return
    target = osp.join(out_dir, osp.relpath(path, stage))
    os.makedirs(osp.dirname(target), exist_ok=True)
    os.replace(path, target)
