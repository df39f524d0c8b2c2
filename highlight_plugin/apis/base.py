"""What the highlight domains share: a request to score one video, the model's ``inference_cfg`` and input assembly.

A domain (:data:`~.predictor.DOMAINS`) is ``score(predictor, request) -> HighlightResult`` plus ``decoder_cfg(model,
cfg)`` completing its segment decoder's config; the predictor takes care of everything before (the model, the
extractors, the options) and after (the reel's clock, snapping, rendering).
"""
from dataclasses import dataclass
from typing import Callable, NamedTuple, Optional, Sequence

import numpy as np

from ..engine.errors import ConfigError


class Domain(NamedTuple):
    """How videos of one kind become scores and segments."""
    score: Callable[..., object]  # (predictor, ScoreRequest) -> HighlightResult
    decoder_cfg: Callable[[object, dict], dict]  # (model, decoder config) -> the complete decoder config
    options: Sequence[str] = ()  # the PredictOptions fields only this domain reads
    title: str = ''  # as named in messages, e.g. 'film (saliency)'


@dataclass
class ScoreRequest:
    """One video (or match) to score: the options of the call (:class:`~.predictor.PredictOptions`), the progress
    bar (stages 'extract' and 'score'), the analysis fed by the extraction (:class:`~highlight_plugin.analysis.
    ReelAnalysis`), a decode started ahead (:func:`~.predictor.read_ahead`) and the segment decoder to use."""
    video: str
    options: object
    progress: object
    analysis: object
    decoder: object
    ahead: Optional[object] = None


def model_inputs(model) -> dict:
    """The ``inference_cfg`` of a model built by :func:`~.inference.init_model`, with defaults."""
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
    from ..media.probe import probe
    from .extract import expected_rows
    return sum(expected_rows(probe(str(v)).duration, ex.clip_len) for v in videos for ex in extractors.values())


def extract_for_model(video, extractors, cfg, request: ScoreRequest, audio_languages=(), on_rows=None):
    """Extract ``video``'s features for a model of ``inference_cfg`` ``cfg``: every extractor must make the recipe
    the model was trained on (``cfg['recipe']``; a one-line ConfigError otherwise), and each drops its trailing
    partial clip as its recipe says. A video without an audio stream gets the audio features of silence (the models
    were trained on films with silent stretches). The analyzers of ``request.analysis`` ride on the same decode
    (shot changes, pauses, the follow profile); it keeps their results."""
    from .extract import extract
    check_extractors(extractors, cfg)
    drop = [n for n, ex in extractors.items() if getattr(ex, 'drop_partial', n in cfg.get('drop_partial', ()))]
    analysis = request.analysis
    result = extract(str(video), extractors, audio_languages=audio_languages, drop_partial=drop,
                     on_rows=on_rows or (lambda n: None), silent_audio=True,
                     analyzers=analysis.analyzers() if analysis is not None else None, ahead=request.ahead)
    if analysis is not None:
        analysis.add(video, result)
    return result
