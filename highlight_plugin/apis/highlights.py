"""One call from a raw video to a short-form reel: scores -> segments -> clips, reel and reports.

Domains differ only in how a video becomes scores and segments; everything after that is one path,
:func:`write_highlights`. ``DOMAINS`` maps the ``task`` of a model's ``inference_cfg`` to a :class:`~.base.Domain`:
its ``score(video, model, extractors=..., decoder=..., features_dir=..., progress=..., **options)`` returns a
:class:`~.base.HighlightResult` without files, and its ``decoder_cfg(model, cfg)`` completes the decoder config.

* ``'saliency'`` (films, episodes; UMT): :mod:`.film`, one saliency score per clip;
* ``'spotting'`` (football; SoccerNet spotters): :mod:`.football`, class scores per second of each half.

A new domain is one module with those two functions plus its ``DOMAINS`` entry; its segments follow the schema
of :class:`~.base.HighlightResult`.

After scoring, every domain's segments go the same way: onto the reel's clock (0 = the file's first video frame),
their edges snapped to shot changes and pauses (:class:`~highlight_plugin.analysis.snapping.EdgeSnapper`, from the
analysis of the same decode: :mod:`.analysis`), then cut with fades and loudness normalisation, optionally in 9:16
following the action, into clips, a reel and the report page. One progress bar covers it all.
"""
import os
import os.path as osp
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Optional

from mmaction.registry import TASK_UTILS

from ..engine.errors import ConfigError
from ..media.clock import inspect_source
from ..render.cut import LoudnessTarget
from . import film, football
from ..analysis.reel import ReelAnalysis
from .base import Domain, HighlightResult, assemble_inputs, model_inputs, no_progress  # noqa: F401  (re-exported)

DEFAULT_SNAP = 2.0  # seconds an edge may move to a shot change or a pause
DEFAULT_PRESET = 'superfast'  # x264's (benchmarks/reel_speed.py: 15 % faster than veryfast, the same size)
CUT_WORKERS = 2  # clips cut at once
# shares of the progress bar: from raw video (the decode and the networks dominate), from features on disk
STAGE_WEIGHTS = {True: dict(extract=0.8, score=0.03, cut=0.17), False: dict(extract=0.3, score=0.3, cut=0.4)}

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
                    vertical=None, progress=None, snap=DEFAULT_SNAP,
                    loudness: Optional[LoudnessTarget] = LoudnessTarget(), vertical_size='source',
                    preset=DEFAULT_PRESET, ahead=None, **options):
    """Score ``video`` with ``model`` (the domain of its ``inference_cfg.task``) and write its highlights.

    Args:
        extractors (dict | None): feature name -> extractor, built once (``features.build_extractors``); None
            with ``features_dir``.
        decoder: scores -> segments (default: :func:`build_decoder`).
        features_dir (str | None): read the features from this dataset folder instead of extracting them; the
            video is then decoded only for the analysis (64x36 frames, the audio), when something needs it.
        cut, reel, vertical, loudness, vertical_size, preset: see :func:`write_highlights`.
        progress: a :class:`~highlight_plugin.engine.progress.StageProgress` over 'extract', 'score' and 'cut'
            (default: one on stderr when it is a terminal).
        snap (float): seconds a segment edge may move to a shot change or a pause (0: off).
        ahead: the video's decode, started before the networks were built (:func:`decode_ahead`); closed here.
        options: the domain's own (films: layout, query, text_encoder, audio_languages; football: second_half,
            second_half_start, half, video_ini).
    """
    from ..engine.progress import StageProgress
    domain = DOMAINS[domain_inputs(model)['task']]
    decoder = decoder or build_decoder(model)
    own = progress is None
    if own:
        progress = StageProgress(STAGE_WEIGHTS[features_dir is None], desc=osp.basename(str(video))[:30])
    analysis = reel_analysis(snap, vertical, features_dir is None, options.get('audio_languages') or ())
    try:
        result = domain.score(video, model, extractors=extractors, decoder=decoder, features_dir=features_dir,
                              progress=progress, analysis=analysis, ahead=ahead, **options)
        analyse_sources(result, analysis, progress)
        place_segments(result, analysis, snap, min_len=getattr(decoder, 'min_len', None),
                       max_len=getattr(decoder, 'max_len', None))
        return write_highlights(result, out_dir, cut=cut, reel=reel, vertical=vertical, analysis=analysis,
                                loudness=loudness, vertical_size=vertical_size, preset=preset, progress=progress)
    finally:
        if ahead is not None:
            ahead.close()
        if own:
            progress.close()


def reel_analysis(snap, vertical, extracting, audio_languages=()) -> ReelAnalysis:
    """What the reel options ask the analysis for (the same for :func:`decode_ahead`'s streams, so that the
    extraction adopts them): shot changes always when extracting (they ride on the decode; the JSON and the curve
    show them), else for snapping or following; pauses for snapping; the follow profile for ``vertical='follow'``."""
    follow = vertical == 'follow'
    return ReelAnalysis(shots=extracting or snap > 0 or follow, pauses=snap > 0, follow=follow,
                        audio_languages=audio_languages)


def decode_ahead(video, config, cfg_options=None, vertical=None, snap=DEFAULT_SNAP, audio_languages=()):
    """Start decoding ``video`` for :func:`make_highlights` before the feature networks are built (they take seconds;
    the decode meanwhile runs a few chunks ahead on the other cores): the streams the model's recipe reads
    (``inference_cfg.recipe`` of ``config``, a path or Config; each feature's ``stream``) and those of the analysis
    the reel options ask for. Returns a :class:`~highlight_plugin.apis.extract.DecodeAhead` to pass as
    ``ahead``, or None when the recipe does not say its streams or anything fails (the extraction then decodes as
    usual, and reports any error)."""
    from mmengine.config import Config

    from ..media.specs import AudioSpec
    from ..features import get_layout
    from ..media.probe import probe, select_audio_stream
    from .extract import DecodeAhead
    from ..features.recipes import RECIPES
    try:
        cfg = Config.fromfile(config) if isinstance(config, str) else config.copy()
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        inputs = dict(cfg.get('inference_cfg') or {})
        recipe = RECIPES.get(inputs.get('recipe'))
        names = list(dict.fromkeys((*inputs.get('video', ()), *inputs.get('audio', ()))))
        if recipe is None or not names or any(getattr(recipe.features.get(n), 'stream', None) is None
                                              for n in names):
            return None
        specs = [recipe.features[n].stream for n in names]
        info = probe(str(video))
        languages = tuple(audio_languages) or get_layout(inputs.get('layout', recipe.layout)).audio_languages
        has_audio = select_audio_stream(info, languages) is not None
        analysis = reel_analysis(snap, vertical, extracting=True)
        for analyzer in analysis.analyzers().values():
            analyzer.prepare(info, specs[:len(names)])
            if has_audio or not isinstance(analyzer.spec, AudioSpec):
                specs.append(analyzer.spec)
        return DecodeAhead(str(video), specs, info, languages)
    except Exception:  # noqa: BLE001 - only a head start: the extraction decodes as usual and reports errors
        return None


def analyse_sources(result: HighlightResult, analysis: ReelAnalysis, progress=None):
    """Analyse the files of ``result`` the extraction did not (features read from disk): a decode of the analysis
    streams alone (the progress bar's 'extract' stage)."""
    from ..media.probe import probe
    todo = [s for s in result.sources if analysis.get(s) is None]
    if not todo:
        return
    progress = progress or no_progress()
    total = sum(probe(s).duration or 0.0 for s in todo)
    with progress.stage('extract', total=total or None) as update:
        for source in todo:
            analysis.run(source, on_seconds=update)


def place_segments(result: HighlightResult, analysis: ReelAnalysis, snap=DEFAULT_SNAP, min_len=None, max_len=None):
    """Put ``result``'s segments on the reel's clock (feature time minus where the first frame lies on the
    features' clock) and snap their edges (``snap`` seconds, 0: off) to the shot changes and pauses of their file;
    record the shot changes and the notes (a file without audio). Segments cut from several files (the halves of a
    match) are snapped per file. The football curve's ``plot_segments`` follow the snapping."""
    from ..analysis.snapping import EdgeSnapper
    segments = [dict(s) for s in result.segments]
    keep = list(result.keep) if result.keep is not None else [None] * len(segments)
    for i, seg in enumerate(segments):
        shift = analysis.get(seg.get('source', result.video)).feature_shift
        if shift:
            for key in ('start', 'end', 'event'):
                if key in seg:
                    seg[key] = round(max(seg[key] - shift, 0.0), 3)
            if keep[i] is not None:
                keep[i] = (keep[i][0] - shift, keep[i][1] - shift)
    shifted = [(s['start'], s['end']) for s in segments]
    if snap > 0:
        by_file = {}
        for i, seg in enumerate(segments):
            by_file.setdefault(seg.get('source', result.video), []).append(i)
        for source, idx in by_file.items():
            a = analysis.get(source)
            snapper = EdgeSnapper(tolerance=snap, min_len=min_len, max_len=max_len, grid=a.cut.grid)
            snapped = snapper([segments[i] for i in idx], a.transitions, a.envelope,
                              duration=a.duration - a.feature_shift if a.duration else None,
                              keep=[keep[i] for i in idx])
            for i, seg in zip(idx, snapped):
                segments[i] = seg
    if result.plot_segments is not None:  # the curve's axis: the same edge moves
        result.plot_segments = [dict(p, start=round(p['start'] + s['start'] - a0, 3),
                                     end=round(p['end'] + s['end'] - b0, 3))
                                for p, s, (a0, b0) in zip(result.plot_segments, segments, shifted)]
    result.segments = segments
    result.shots = {source: a.transitions for source, a in analysis.sources.items()}
    for source, has_audio in result.sources.items():
        a = analysis.get(source)
        if a is not None and not a.has_audio:
            what = ('its audio features were computed on silence (as over a silent stretch of a film); '
                    if a.silent_features else '')
            result.notes.append(f'{osp.basename(source)} has no audio track: {what}its clips have no sound.')
    return result


def _time_order(seg):
    return seg.get('half', 0), seg['start']


def write_highlights(result: HighlightResult, out_dir: str, cut: bool = True, reel: bool = True,
                     vertical: Optional[str] = None, analysis: Optional[ReelAnalysis] = None,
                     loudness: Optional[LoudnessTarget] = LoudnessTarget(), vertical_size='source',
                     preset=DEFAULT_PRESET, progress=None, posters=True) -> HighlightResult:
    """The output path of every domain: segments -> clips, reel, JSON, plot, editor exports and report page.

    Writes ``clips/highlight_NNN.mp4`` (by rank) with a poster ``clips/highlight_NNN.jpg`` (the clip's best moment:
    its peak score, or its event) when asked (``cut``), ``reel.mp4`` (the clips in match/story order; ``reel``),
    ``saliency.png``, the editor exports ``highlights.edl``, ``highlights.otio`` and ``highlights.xml`` (FCP 7 XML, at
    the source's rate and timecode: :mod:`~highlight_plugin.render.exports`), ``index.html`` and, last,
    ``highlights.json`` (ranked segments, scores, shot changes, notes): a folder holding ``highlights.json`` is
    finished.

    Clips keep the source's audio exactly when it has some, with short fades and brought to ``loudness`` (EBU R128;
    None: as it is). ``vertical`` 'crop', 'blur' or 'follow' makes 9:16 clips ``vertical_size`` high ('source': the
    source's height, no upscaling; or a height such as 1920); 'follow' moves the window with the action (the
    analysis' activity profile; a centre crop without one). ``preset``: x264's.

    Everything is made in a staging folder beside ``out_dir`` and moved into place at the end (renamed as a whole
    when ``out_dir`` is new or empty): an error leaves ``out_dir`` as it was.

    Returns ``result`` with ``files`` set and each segment's ``clip`` (and ``poster``) path.
    """
    from .. import render

    progress = progress or no_progress()
    out_dir = osp.abspath(out_dir)
    parent = osp.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    # a sibling of out_dir: the same depth, so the page's relative links hold after the move
    stage = tempfile.mkdtemp(prefix=f'.partial-{osp.basename(out_dir)}-', dir=parent)
    try:
        names = dict(json='highlights.json', plot='saliency.png', edl='highlights.edl', otio='highlights.otio',
                     xml='highlights.xml', report='index.html')
        files = {k: osp.join(stage, v) for k, v in names.items()}
        files['reel'] = None
        segments = [dict(s) for s in result.segments]
        if cut:
            with progress.stage('cut', total=len(segments) + (1 if reel and segments else 0)) as update:
                files['reel'] = _cut(result, segments, stage, analysis, reel, vertical, loudness, vertical_size,
                                     preset, posters, update)
        in_time = sorted((dict(s, rank=i) for i, s in enumerate(segments, 1)), key=_time_order)  # the story's order
        shots = {source: [t.as_dict() for t in transitions] for source, transitions in result.shots.items()}
        football = result.plot_segments is not None  # a curve on the match's axis, not the files'
        durations = {s: a.duration for s, a in (analysis.sources.items() if analysis else ())}
        render.plot_saliency(result.scores, result.clip_len, result.plot_segments or segments, files['plot'],
                             title=osp.basename(result.video), duration=result.duration,
                             transitions=() if football else shots.get(str(result.video), ()))
        notes = render.write_exports(in_time, result.video, edl=files['edl'], otio=files['otio'], xml=files['xml'])
        result.notes += [n for n in notes if n not in result.notes]
        render.write_report(files['report'], result.video, segments, plot=files['plot'], reel=files['reel'],
                            exports=[files['json'], files['edl'], files['otio'], files['xml']],
                            scores=None if football else result.scores, clip_len=result.clip_len,
                            duration=durations.get(str(result.video)) if football else result.duration,
                            transitions=shots, notes=result.notes, durations=durations)
        several = len({str(s.get('source', result.video)) for s in segments} | {str(result.video)}) > 1

        def rel(value):
            return osp.relpath(value, stage)

        render.write_json(files['json'], dict(
            video=osp.abspath(result.video), duration=result.duration, clip_len=result.clip_len, **result.info,
            notes=list(result.notes), exports=[osp.basename(files[k]) for k in ('edl', 'otio', 'xml')],
            segments=[dict(rank=i, **{k: (rel(v) if k in ('clip', 'poster') else v) for k, v in s.items()})
                      for i, s in enumerate(segments, 1)],
            shots=[dict(t, source=source) if several else t for source, ts in shots.items() for t in ts],
            scores=[round(float(s), 5) for s in result.scores]))
        result.files = _publish(stage, out_dir, files, segments)
        result.segments = segments
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    shutil.rmtree(stage, ignore_errors=True)
    return result


def _cut(result, segments, stage, analysis, reel, vertical, loudness, vertical_size, preset, posters, update):
    """Cut every segment into ``stage/clips`` and join the reel; sets each segment's ``clip`` and ``poster``;
    returns the reel's path (or None). Each file is inspected once; the clips are planned (where they lie, their
    audio: :func:`~highlight_plugin.render.cut.plan_clips`), then encoded, :data:`CUT_WORKERS` ffmpeg runs at a
    time (two keep the cores busy through each one's serial steps), the reel's audio rendered beside them."""
    from .. import render
    from ..analysis.follow import follow_track, window_fraction
    os.makedirs(osp.join(stage, 'clips'))
    files = {}
    for seg in segments:
        path = str(seg.get('source', result.video))
        if path not in files:
            a = analysis.get(path) if analysis is not None else None
            source = a.cut if a is not None else inspect_source(path)
            stream = a.audio_stream if a is not None else (0 if source.audio_streams else None)
            files[path] = (a, source, stream or 0, stream is not None and result.sources.get(path, True))

    def plan(i):
        a, source, stream, has_audio = files[str(segments[i].get('source', result.video))]
        (span,), (audio,) = render.plan_clips(source, [segments[i]], 'clip', loudness if has_audio else None,
                                              audio_stream=stream)
        return span, audio if has_audio else None

    def make(i, span, audio):
        seg = segments[i]
        path = str(seg.get('source', result.video))
        a, source, stream, has_audio = files[path]
        track = None
        if vertical == 'follow' and a is not None and a.profile is not None:
            track = follow_track(a.profile, seg['start'], seg['end'], a.transitions,
                                 window=window_fraction(source.width, source.height), fps=source.fps)
        clip = osp.join(stage, 'clips', f'highlight_{i + 1:03d}.mp4')
        poster = (_best_moment(result, seg), clip[:-4] + '.jpg') if posters else None
        render.cut_clip(path, seg['start'], seg['end'], clip, vertical=vertical, has_audio=bool(has_audio),
                        preset=preset, source=source, span=span, audio_plan=audio, audio_stream=stream,
                        vertical_height=vertical_size, track=track, poster=poster)
        return clip, poster

    order = sorted(range(len(segments)), key=lambda i: _time_order(segments[i]))  # the reel's
    reel_path = osp.join(stage, 'reel.mp4')
    pool = ThreadPoolExecutor(max(1, min(CUT_WORKERS, len(segments))))
    try:
        plans = list(pool.map(plan, range(len(segments))))
        result.notes += [n for n in render.loudness_notes([p[1] for p in plans], loudness) if n not in result.notes]
        parts = [(files[str(segments[i].get('source', result.video))], *plans[i]) for i in order]
        audio = reel and segments and all(p[2] is not None for p in parts)
        wav = osp.join(stage, 'reel_audio.wav')
        jobs = {pool.submit(make, i, *plans[i]): i for i in range(len(segments))}
        if audio:
            jobs[pool.submit(render.reel_audio, [p[0][1] for p in parts], [p[1] for p in parts],
                             [p[2] for p in parts], wav, [p[0][2] for p in parts])] = None
        for job in as_completed(jobs):
            i = jobs[job]
            if i is None:
                job.result()
                continue
            segments[i]['clip'], poster = job.result()
            if poster is not None:
                segments[i]['poster'] = poster[1]
            update(1)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    if not (reel and segments):
        return None
    render.join_reel([p[0][1] for p in parts], [p[1] for p in parts], [p[2] for p in parts],
                     [segments[i]['clip'] for i in order], reel_path, audio_file=wav if audio else None)
    if audio:
        os.remove(wav)
    update(1)
    return reel_path


def _best_moment(result, seg):
    """Seconds from a segment's start to its best moment: its event (football), else its highest score."""
    length = seg['end'] - seg['start']
    if seg.get('event') is not None:
        return min(max(seg['event'] - seg['start'], 0.0), length)
    import numpy as np
    k0 = int(np.floor(seg['start'] / result.clip_len))
    k1 = max(int(np.ceil(seg['end'] / result.clip_len)), k0 + 1)
    scores = np.asarray(result.scores[k0:k1], np.float64)
    if not len(scores):
        return length / 2
    t = (k0 + int(np.argmax(scores)) + 0.5) * result.clip_len - seg['start']
    return min(max(t, 0.0), length)


def _publish(stage, out_dir, files, segments):
    """Move the finished outputs from ``stage`` to ``out_dir``: a rename of the whole folder when ``out_dir`` is new
    or empty, else file by file with ``highlights.json`` last. Returns the outputs' final paths."""
    keys = ('reel', 'plot', 'edl', 'otio', 'xml', 'report', 'json')
    if osp.isdir(out_dir) and not os.listdir(out_dir):
        os.rmdir(out_dir)
    if not osp.exists(out_dir):
        os.rename(stage, out_dir)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(out_dir, 0o777 & ~mask)  # mkdtemp made it private
        os.makedirs(stage)  # (removed by the caller)
        for seg in segments:
            for key in ('clip', 'poster'):
                if key in seg:
                    seg[key] = osp.join(out_dir, osp.relpath(seg[key], stage))
        return {k: None if files[k] is None else osp.join(out_dir, osp.relpath(files[k], stage)) for k in keys}
    for seg in segments:  # clips first, the page that links everything next, the JSON that says "finished" last
        for key in ('clip', 'poster'):
            if key in seg:
                seg[key] = _move_into(stage, seg[key], out_dir)
    return {k: _move_into(stage, files[k], out_dir) for k in keys}


def _move_into(stage, path, out_dir):
    """Move a finished file from the staging folder to the same relative place in ``out_dir``."""
    if path is None:
        return None
    target = osp.join(out_dir, osp.relpath(path, stage))
    os.makedirs(osp.dirname(target), exist_ok=True)
    os.replace(path, target)
    return target
