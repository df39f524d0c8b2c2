"""What every highlight domain shares: the result type, the model's ``inference_cfg`` and input assembly."""
from dataclasses import dataclass, field
from typing import Callable, Dict, List, NamedTuple, Optional

import numpy as np

from ..engine.errors import ConfigError


class Domain(NamedTuple):
    """How videos of one kind become scores and segments (see :mod:`.highlights`)."""
    score: Callable[..., 'HighlightResult']  # (video, model, extractors, decoder, features_dir, progress, **options)
    decoder_cfg: Callable[[object, dict], dict]  # (model, decoder config) -> the complete decoder config


@dataclass
class HighlightResult:
    """A video's (or match's) highlights, and the files :func:`~.highlights.write_highlights` made of them.

    ``segments`` are ranked (best first). Every segment is a dict with ``start``, ``end`` (seconds in the file it
    is cut from) and ``score``; a segment of a football match adds ``class``, ``confidence``, ``half``, ``event``,
    ``clock`` and, when the halves are two files, ``source`` (see :func:`.football.score_match`).

    Attributes:
        video: the (first) video, titles and default cut source. sources: every file cut from -> has an audio track.
        duration: seconds of the plotted time axis; clip_len: seconds per ``scores`` row.
        scores: (T,) the plotted score curve (films: per-clip saliency; football: highlight score per second of
            match time, the second half after the first).
        plot_segments: the segments on the curve's time axis where it is not the file's (football).
        info: extra JSON fields of the domain (query; classes and per-half class scores).
        keep: per segment, a span ``(a, b)`` snapping may not move its edges into (football: the event and its
            margins), or None.
        shots: the shot changes of each file analysed; notes: remarks shown in the report and the JSON.
        files: output name -> path, None for outputs not asked for.
    """
    video: str
    duration: float
    clip_len: float
    scores: np.ndarray
    segments: List[dict]
    files: Dict[str, Optional[str]] = field(default_factory=dict)
    sources: Dict[str, bool] = field(default_factory=dict)
    plot_segments: Optional[List[dict]] = None
    info: dict = field(default_factory=dict)
    keep: Optional[List[tuple]] = None  # per segment, (a, b): its edges may not be snapped into this span
    shots: Dict[str, list] = field(default_factory=dict)  # file -> its shot changes (Transition), once analysed
    notes: List[str] = field(default_factory=list)  # lines for the report and the JSON (e.g. no audio)


def model_inputs(model):
    """The ``inference_cfg`` of a model built by :func:`init_model`, with defaults."""
    cfg = dict((getattr(model, 'cfg', None) or {}).get('inference_cfg', {}))
    if 'video' not in cfg:
        raise ConfigError('the model config has no inference_cfg.video: it does not say which features it reads')
    cfg.setdefault('task', 'saliency')
    cfg.setdefault('audio', ())
    cfg.setdefault('clip_len', 2.0)
    cfg.setdefault('decoder', {})  # the domain's default decoder
    return cfg


def assemble_inputs(features, cfg, layout_clip_len):
    """Concatenate extracted features into the model's video/audio inputs on its clip grid.

    A feature extracted on a coarser grid (e.g. PANNs per 2 s for a 1-s model) has each row repeated.
    """
    def on_grid(name):
        if name not in features:
            raise ConfigError(f'feature {name!r} was not extracted')
        ratio = layout_clip_len[name] / cfg['clip_len']
        if abs(ratio - round(ratio)) > 1e-6 or ratio < 1:
            raise ConfigError(f'feature {name!r} ({layout_clip_len[name]} s rows) does not fit a '
                              f'{cfg["clip_len"]} s clip grid')
        return np.repeat(features[name], int(round(ratio)), axis=0)

    def modality(names):
        if not names:
            return None
        arrays = [on_grid(n) for n in names]
        n = min(len(a) for a in arrays)
        return np.concatenate([a[:n] for a in arrays], axis=1)

    return modality(cfg['video']), modality(cfg['audio'])


def check_extractors(extractors, cfg):
    """Every extractor makes the recipe the model of ``inference_cfg`` ``cfg`` was trained on (a one-line
    ConfigError otherwise)."""
    from ..features import check_recipe
    for name, ex in extractors.items():
        check_recipe(cfg.get('recipe'), getattr(ex, 'provenance', None), f'extractor {name!r}')


def expected_extraction_rows(videos, extractors) -> int:
    """Rows the extractors will give for ``videos`` (an estimate from their durations, for the progress bar)."""
    from .extract import expected_rows
    from ..media.probe import probe
    return sum(expected_rows(probe(str(v)).duration, ex.clip_len) for v in videos for ex in extractors.values())


def no_progress():
    """A progress bar that shows nothing (the stages of :func:`~.highlights.make_highlights`)."""
    from ..engine.progress import StageProgress
    return StageProgress(dict(extract=1.0, score=1.0, cut=1.0), enabled=False)


def extract_for_model(video, extractors, cfg, audio_languages=(), progress=None, analysis=None, ahead=None):
    """Extract ``video``'s features for a model of ``inference_cfg`` ``cfg``: every extractor must make the recipe
    the model was trained on (``cfg['recipe']``; a one-line ConfigError otherwise), and each drops its trailing
    partial clip as its recipe says. A video without an audio stream gets the audio features of silence (the models
    were trained on films with silent stretches). ``analysis``: a :class:`~.analysis.ReelAnalysis` whose analyzers
    ride on the same decode (shot changes, pauses, the follow profile); it keeps their results."""
    from .extract import extract
    check_extractors(extractors, cfg)
    drop = [n for n, ex in extractors.items() if getattr(ex, 'drop_partial', n in cfg.get('drop_partial', ()))]
    result = extract(str(video), extractors, audio_languages=audio_languages, drop_partial=drop,
                     on_rows=progress or (lambda n: None), silent_audio=True,
                     analyzers=analysis.analyzers() if analysis is not None else None, ahead=ahead)
    if analysis is not None:
        analysis.add(video, result)
    return result
