"""The football domain (``inference_cfg.task='spotting'``): a match -> class scores per second of each half -> events.

A match is two files (one per half), or one file holding both halves with the second half's start time, or a
single half. SoccerNet's ``video.ini`` (see :mod:`~highlight_plugin.datasets.soccernet_video_ini`) moves a half's
start inside an untrimmed file. Each half is scored by the spotter's own half path
(:meth:`~highlight_plugin.models.spotter.SoccerSpotter.predict_half`: centred 1-s-stride windows), the
:class:`~highlight_plugin.decoding.soccer.SoccerHighlightDecoder` turns both halves into events, and the segments
are cut from the file each half is in.

Feature time t of a half (row 2t of its features, the clock on the pitch) is time ``half.start + t`` of its file.
"""
import os.path as osp
import re
from dataclasses import dataclass
from typing import List

import numpy as np
import torch
from mmaction.registry import TASK_UTILS

from ..datasets.soccernet import half_feature_path
from ..datasets.soccernet_labels import resolve_classes
from ..datasets.soccernet_video_ini import FILE_NAME as VIDEO_INI
from ..datasets.soccernet_video_ini import half_timing
from ..engine.errors import ConfigError, DataError
from .base import ScoreRequest, assemble_inputs, check_extractors, expected_extraction_rows, extract_for_model
from .result import HighlightResult

ORDINALS = {1: '1st', 2: '2nd', 3: '3rd'}
OPTIONS = ('second_half', 'second_half_start', 'half', 'video_ini', 'classes')  # the options only football reads


def ordinal(half: int) -> str:
    return ORDINALS.get(half, f'{half}th')


def match_clock(half: int, seconds: float) -> str:
    """``'2nd half 23:14'``: the half and the time since its kick-off (minutes:seconds, seconds floored)."""
    seconds = max(0, int(seconds))
    return f'{ordinal(half)} half {seconds // 60}:{seconds % 60:02d}'


def parse_time(text, option: str) -> float:
    """Seconds from ``'2850'``, ``'2850.5'``, ``'47:30'`` or ``'0:47:30'`` (a ConfigError names ``option``)."""
    if isinstance(text, (int, float)):
        return float(text)
    m = re.fullmatch(r'(?:(?:(\d+):)?(\d+):)?(\d+(?:\.\d*)?)', str(text).strip())
    hours, minutes, seconds = m.groups() if m else (None, None, None)
    if not m or (minutes is not None and float(seconds) >= 60) or (hours is not None and int(minutes) >= 60):
        raise ConfigError(f'{option}: {text!r} is not a time (seconds, MM:SS or H:MM:SS)')
    return 3600 * int(hours or 0) + 60 * int(minutes or 0) + float(seconds)


@dataclass(frozen=True)
class Half:
    """One half of a match: its number, the file it is in (absolute path), where (seconds) it starts and how long
    it lasts."""
    number: int
    source: str
    start: float
    duration: float
    has_audio: bool = True


def _probe(path, option):
    from ..media.probe import probe
    if not osp.isfile(path):
        raise DataError(f'{option}: file not found: {path}')
    info = probe(path)
    if not info.duration:
        raise DataError(f'{path}: ffmpeg cannot tell its duration')
    return info


def _file_half(number, path, info, video_ini):
    """The half ``number`` in ``path``: all of it, or the part its ``video.ini`` section names."""
    from ..features.precomputed import LENGTH_TOLERANCE
    timing = half_timing(path, number, video_ini)
    start = timing.start if timing else 0.0
    available = info.duration - start
    ini = video_ini or osp.join(osp.dirname(osp.abspath(path)), VIDEO_INI)
    if available <= 0:
        raise DataError(f'{ini}: the {ordinal(number)} half starts at {start:g} s, after the end of {path} '
                        f'({info.duration:g} s)')
    duration = timing.duration if timing and timing.duration else available
    if duration > available + LENGTH_TOLERANCE:
        raise DataError(f'{ini}: the {ordinal(number)} half lasts {duration:g} s from {start:g} s, but {path} '
                        f'ends at {info.duration:g} s')
    return Half(number, osp.abspath(path), start, min(duration, available), bool(info.audio))


def plan_match(video, second_half=None, second_half_start=None, half=None, video_ini=None) -> List[Half]:
    """The halves of a match given as ``video`` plus one of: ``second_half`` (the second half's file),
    ``second_half_start`` (seconds or ``'[H:]MM:SS'`` into ``video``, which holds the whole match; the first half
    starts at 0 or at the start of the ``video.ini`` section of ``video``, and lasts up to the second half or the
    section's duration) or ``half`` (``video`` is this one half).

    ``video_ini``: a SoccerNet ``video.ini`` to use (default: the one beside each video, if any).
    """
    given = [name for name, value in (('--second-half', second_half), ('--second-half-start', second_half_start),
                                      ('--half', half)) if value is not None]
    if len(given) > 1:
        raise ConfigError(f'{" and ".join(given)} exclude each other')
    if not given:
        raise ConfigError('a football match has two halves: pass --second-half FILE (the second half\'s video), '
                          '--second-half-start T (VIDEO holds the whole match) or --half N (VIDEO is one half)')
    if video_ini is not None and not osp.isfile(video_ini):
        raise DataError(f'--video-ini: file not found: {video_ini}')
    info = _probe(video, 'VIDEO')
    if second_half is not None:
        return [_file_half(1, video, info, video_ini),
                _file_half(2, second_half, _probe(second_half, '--second-half'), video_ini)]
    if half is not None:
        if int(half) < 1:
            raise ConfigError(f'--half: a half number is 1 or more, got {half}')
        return [_file_half(int(half), video, info, video_ini)]
    kick_off = half_timing(video, 1, video_ini)
    first = kick_off.start if kick_off else 0.0
    second = parse_time(second_half_start, '--second-half-start')
    if not first < second < info.duration:
        raise ConfigError(f'--second-half-start {second_half_start}: must lie after the first half\'s start '
                          f'({first:g} s) and before the end of {video} ({info.duration:g} s)')
    length = second - first if not (kick_off and kick_off.duration) else min(kick_off.duration, second - first)
    return [Half(1, osp.abspath(video), first, length, bool(info.audio)),
            Half(2, osp.abspath(video), second, info.duration - second, bool(info.audio))]


def spotting_setup(model):
    """What the spotter was trained on, from its config's dataset (the one place it is written): class names,
    feature files per modality (``video``/``audio``), feature rows per second, window length."""
    cfg = getattr(model, 'cfg', None) or {}
    data = dict((cfg.get('test_dataloader') or {}).get('dataset') or {})
    if 'feature_files' not in data:
        raise ConfigError('the model config has no test_dataloader.dataset.feature_files: it does not say which '
                          'SoccerNet features it was trained on')
    classes, _ = resolve_classes(data.get('classes', 'highlight'), data.get('label_map'))
    num = model.classifier.out_features
    if len(classes) != num:
        raise ConfigError(f'the model has {num} outputs but its dataset config names {len(classes)} classes')
    used = ('video', 'audio') if model.fusion is not None else (model.modality, )
    files = {m: f for m, f in data['feature_files'].items() if m in used}
    return dict(classes=classes, feature_files=files, fps=model.fps, window_frames=model.window_frames)


def decoder_overrides(options) -> dict:
    """The segment decoder's settings a call changes (None: the config's)."""
    keep = None if options.classes is None else list(options.classes)
    return dict(budget=options.budget, keep=keep)


def decoder_cfg(model, cfg):
    """:class:`SoccerHighlightDecoder` over the model's classes; ``keep`` (``--classes``) is checked by name."""
    cfg = dict(dict(type='SoccerHighlightDecoder'), **cfg, classes=spotting_setup(model)['classes'], dt=1.0)
    keep = cfg.pop('keep', None)
    if keep is not None:
        spotted = list(TASK_UTILS.build(cfg).cfgs)
        unknown = [c for c in keep if c not in spotted]
        if unknown or not keep:
            raise ConfigError(f'--classes: {", ".join(map(repr, unknown)) or "nothing"} is not a class this model '
                              f'spots (choose from {", ".join(spotted)})')
        cfg['keep'] = list(keep)
    return cfg


def _half_rows_from_video(halves, predictor, request: ScoreRequest, setup):
    """Feature rows of each half, from one extraction per file (both halves of a one-file match share it)."""
    cfg = dict(predictor.inference, clip_len=1.0 / setup['fps'])
    layout = predictor.layout
    extractors = predictor.extractors
    rows = {}
    files = list(dict.fromkeys(h.source for h in halves))
    check_extractors(extractors, cfg)
    with request.progress.stage('extract', total=expected_extraction_rows(files, extractors)) as update:
        results = {source: extract_for_model(source, extractors, cfg, request, layout.audio_languages, update)
                   for source in files}
    for source in files:
        video, audio = assemble_inputs(results[source].features, cfg, layout.clip_len)
        for h in halves:
            if h.source == source:
                first, count = int(round(h.start * setup['fps'])), int(round(h.duration * setup['fps']))
                inputs = dict(video=video, audio=audio) if audio is not None else dict(video=video)
                rows[h] = (source, {m: x[first:first + count] for m, x in inputs.items()})
    return rows


def _half_rows_from_features(halves, features_dir, setup, cfg):
    """Feature rows of each half from ``{half}_<file>`` in ``features_dir``, checked against the half's length and
    the model's recipe (``cfg``: its ``inference_cfg``)."""
    from ..features import check_recipe, read_provenance
    from ..features.precomputed import check_covers, load_array
    rows = {}
    for h in halves:
        arrays, first_path = {}, None
        for modality, name in setup['feature_files'].items():
            path = half_feature_path(features_dir, h.number, name)
            for feature in cfg.get(modality, ()):
                check_recipe(cfg.get('recipe'), read_provenance(path, feature), path)
            arrays[modality] = load_array(path, what=f'{ordinal(h.number)} half {modality} features')
            check_covers(path, len(arrays[modality]), 1.0 / setup['fps'], h.duration,
                         f'the {ordinal(h.number)} half in {osp.basename(h.source)}')
            first_path = first_path or path
        n = min(len(a) for a in arrays.values())
        rows[h] = (first_path, {m: a[:n] for m, a in arrays.items()})
    return rows


def score(predictor, request: ScoreRequest) -> HighlightResult:
    """Spot the events of a match and make them highlight segments, best first.

    The match is ``request.video`` plus the options ``second_half``, ``second_half_start``, ``half``, ``video_ini``
    (see :func:`plan_match`). Its features (ResNet + PCA, VGGish: ``inference_cfg``) are extracted once per file,
    or read with ``features_dir`` from ``{half}_<feature file>`` there (the file names of the model's dataset
    config, e.g. ``1_ResNET_TF2_PCA512.npy``); the decoder is a :class:`SoccerHighlightDecoder` over the model's
    classes.

    The result's ``keep`` holds, per segment, the span its edges may not cut into when snapped: the event with the
    class's pre/post margins, within the segment (a goal is never snapped out of its clip).

    Segment schema (every key always present, except ``source``)::

        start, end   seconds in the file the segment is cut from
        score        the decoder's ranking score: background-suppressed probability, best of merged spans
        class        event class name (e.g. 'goal')
        confidence   the spotter's probability of that class at the event second
        half         1 or 2
        event        seconds of the spotted event, in the time base of start/end
        clock        the match clock of the event, e.g. '2nd half 23:14'
        source       the file cut from (only when the halves are two files)

    Raises:
        DataError: a missing or unreadable file, a half shorter than one window of the model, features whose
            length disagrees with the half (see :mod:`~highlight_plugin.features.precomputed`).
    """
    model, options = predictor.model, request.options
    setup = spotting_setup(model)
    halves = plan_match(request.video, options.second_half, options.second_half_start, options.half,
                        options.video_ini)
    rows = (_half_rows_from_features(halves, options.features_dir, setup, predictor.inference)
            if options.features_dir else _half_rows_from_video(halves, predictor, request, setup))
    with request.progress.stage('score'):
        return _spot(halves, rows, model, setup, request.decoder)


def _spot(halves, rows, model, setup, decoder) -> HighlightResult:
    """Score each half and decode the match's events (see :func:`score_match`)."""
    scores, device = [], next(model.parameters()).device
    for h in halves:
        where, inputs = rows[h]
        n = min(len(x) for x in inputs.values())
        if n < setup['window_frames']:
            raise DataError(f'{where}: the {ordinal(h.number)} half has {n / setup["fps"]:.1f} s of features, '
                            f'shorter than one {setup["window_frames"] / setup["fps"]:g}-s window of the model')
        half_in = {m: torch.from_numpy(np.ascontiguousarray(x[:n], np.float32)).to(device) for m, x in inputs.items()}
        scores.append(model.predict_half(half_in).float().cpu().numpy())
    # one decoder pass over the match (cross-half budget); it lays the halves end to end
    covered = [min(h.duration, len(s) * decoder.dt) for h, s in zip(halves, scores)]
    offsets = np.concatenate([[0.0], np.cumsum(covered)])
    two_files = len({h.source for h in halves}) > 1
    segments, plot_segments = [], []
    for seg in decoder.decode_match(scores, covered):
        i = seg['half'] - 1
        h, s, off = halves[i], scores[i], offsets[i]
        event = seg['event'] - off
        row = min(int(round(event / decoder.dt)), len(s) - 1)
        out = dict(start=round(h.start + seg['start'] - off, 3), end=round(h.start + seg['end'] - off, 3),
                   score=seg['score'], **{'class': seg['class']},
                   confidence=round(float(s[row, decoder.classes.index(seg['class'])]), 4), half=h.number,
                   event=round(h.start + event, 3), clock=match_clock(h.number, event))
        if two_files:
            out['source'] = h.source
        segments.append(out)
        plot_segments.append(dict(out, start=seg['start'], end=seg['end'], event=seg['event']))
    order = sorted(range(len(segments)), key=lambda j: -segments[j]['score'])  # stable: ties in match order
    curve = np.concatenate([decoder.curve(s)[:int(np.ceil(c / decoder.dt))] for s, c in zip(scores, covered)])
    keep = []
    for j in order:
        seg = segments[j]
        pre, post = decoder.margins(seg['class'])
        keep.append((max(seg['start'], seg['event'] - pre), min(seg['end'], seg['event'] + post)))
    return HighlightResult(
        halves[0].source, float(offsets[-1]), decoder.dt, curve, [segments[j] for j in order],
        sources={h.source: h.has_audio for h in halves}, plot_segments=[plot_segments[j] for j in order], keep=keep,
        info=dict(classes=list(decoder.classes), halves=[
            dict(half=h.number, source=h.source, start=h.start, duration=h.duration,
                 scores=np.round(s.astype(np.float64), 4).tolist()) for h, s in zip(halves, scores)]))
