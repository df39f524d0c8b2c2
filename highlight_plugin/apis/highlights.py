"""One call from a raw video to a short-form reel: scores -> segments -> clips, reel and reports.

Domains differ only in how a video becomes scores and segments; everything after that is one path,
:func:`write_highlights`. ``DOMAINS`` maps the ``task`` of a model's ``inference_cfg`` to a :class:`~.base.Domain`:
its ``score(video, model, extractors=..., decoder=..., features_dir=..., progress=..., **options)`` returns a
:class:`~.base.HighlightResult` without files, and its ``decoder_cfg(model, cfg)`` completes the decoder config.

* ``'saliency'`` (films, episodes; UMT): :mod:`.film`, one saliency score per clip;
* ``'spotting'`` (football; SoccerNet spotters): :mod:`.football`, class scores per second of each half.

A new domain is one module with those two functions plus its ``DOMAINS`` entry; its segments follow the schema
of :class:`~.base.HighlightResult`.
"""
import contextlib
import os
import os.path as osp
import shutil
import tempfile
from typing import Optional

from mmaction.registry import TASK_UTILS

from ..engine.errors import ConfigError
from . import film, football
from .base import Domain, HighlightResult, assemble_inputs, model_inputs  # noqa: F401  (re-exported)

# inference_cfg.task -> how a video becomes scores and segments (see the module doc)
DOMAINS = dict(saliency=Domain(film.score_video, film.decoder_cfg),
               spotting=Domain(football.score_match, football.decoder_cfg))


def domain_inputs(model):
    """:func:`model_inputs`, checking the task names a domain."""
    cfg = model_inputs(model)
    if cfg['task'] not in DOMAINS:
        raise ConfigError(f'inference_cfg.task {cfg["task"]!r} is not one of {sorted(DOMAINS)}')
    return cfg


def build_decoder(model, **overrides):
    """The model's segment decoder (``inference_cfg.decoder``) with ``overrides`` (None values are ignored)."""
    cfg = domain_inputs(model)
    decoder = dict(cfg['decoder'], **{k: v for k, v in overrides.items() if v is not None})
    return TASK_UTILS.build(DOMAINS[cfg['task']].decoder_cfg(model, decoder))


def make_highlights(video, model, extractors, out_dir, decoder=None, features_dir=None, cut=True, reel=True,
                    vertical=None, progress=None, **options):
    """Score ``video`` with ``model`` (the domain of its ``inference_cfg.task``) and write its highlights.

    Args:
        extractors (dict | None): feature name -> extractor, built once (``features.build_extractors``); None
            with ``features_dir``.
        decoder: scores -> segments (default: :func:`build_decoder`).
        features_dir (str | None): read the features from this dataset folder instead of extracting them.
        cut, reel, vertical: see :func:`write_highlights`.
        options: the domain's own (films: layout, query, text_encoder, audio_languages; football: second_half,
            second_half_start, half, video_ini).
    """
    domain = DOMAINS[domain_inputs(model)['task']]
    result = domain.score(video, model, extractors=extractors, decoder=decoder or build_decoder(model),
                    features_dir=features_dir, progress=progress, **options)
    return write_highlights(result, out_dir, cut=cut, reel=reel, vertical=vertical)


def _time_order(seg):
    return seg.get('half', 0), seg['start']


def write_highlights(result: HighlightResult, out_dir: str, cut: bool = True, reel: bool = True,
                     vertical: Optional[str] = None) -> HighlightResult:
    """The output path of every domain: segments -> clips, reel, JSON, plot, editor exports and report page.

    Writes ``highlights.json`` (ranked segments, the scores), ``saliency.png``, ``highlights.edl``,
    ``highlights.otio``, ``index.html`` and, when asked, ``clips/highlight_NNN.mp4`` (by rank; ``vertical`` 'crop'
    or 'blur' for 9:16) and ``reel.mp4`` (the clips in match/story order). Everything is made in a staging folder
    inside ``out_dir`` and moved into place at the end: an error leaves ``out_dir`` as it was.

    Returns ``result`` with ``files`` set and each segment's ``clip`` path.
    """
    from .. import render

    created = not osp.isdir(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    stage = tempfile.mkdtemp(prefix='.partial-', dir=out_dir)
    try:
        names = dict(json='highlights.json', plot='saliency.png', edl='highlights.edl', otio='highlights.otio',
                     report='index.html')
        files = {k: osp.join(stage, v) for k, v in names.items()}
        files['reel'] = None
        segments = [dict(s) for s in result.segments]
        # the reel and the editor exports follow the story's order; the JSON keeps the ranking
        in_time = sorted(segments, key=_time_order)
        if cut:
            os.makedirs(osp.join(stage, 'clips'))
            for i, seg in enumerate(segments, 1):
                source = seg.get('source', result.video)
                seg['clip'] = render.cut_clip(source, seg['start'], seg['end'],
                                              osp.join(stage, 'clips', f'highlight_{i:03d}.mp4'),
                                              vertical=vertical, has_audio=result.sources.get(source, True))
            if reel and segments:
                files['reel'] = render.concat_clips([s['clip'] for s in in_time], osp.join(stage, 'reel.mp4'))
        render.plot_saliency(result.scores, result.clip_len, result.plot_segments or segments, files['plot'],
                             title=osp.basename(result.video))
        render.write_edl(in_time, result.video, files['edl'])
        render.write_otio(in_time, result.video, files['otio'])
        render.write_json(files['json'], dict(
            video=osp.abspath(result.video), duration=result.duration, clip_len=result.clip_len, **result.info,
            segments=[dict(rank=i, **{k: (osp.relpath(v, stage) if k == 'clip' else v) for k, v in s.items()})
                      for i, s in enumerate(segments, 1)],
            scores=[round(float(s), 5) for s in result.scores]))
        render.write_report(files['report'], result.video, segments, plot=files['plot'], reel=files['reel'],
                            exports=[files['json'], files['edl'], files['otio']])
        for seg in segments:  # clips first, the report page that links everything last
            if 'clip' in seg:
                seg['clip'] = _move_into(stage, seg['clip'], out_dir)
        result.files = {k: _move_into(stage, files[k], out_dir)
                        for k in ('reel', 'plot', 'edl', 'otio', 'json', 'report')}
        result.segments = segments
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        if created:
            with contextlib.suppress(OSError):
                os.rmdir(out_dir)  # only if still empty
        raise
    shutil.rmtree(stage, ignore_errors=True)
    return result


def _move_into(stage, path, out_dir):
    """Move a finished file from the staging folder to the same relative place in ``out_dir``."""
    if path is None:
        return None
    target = osp.join(out_dir, osp.relpath(path, stage))
    os.makedirs(osp.dirname(target), exist_ok=True)
    os.replace(path, target)
    return target
