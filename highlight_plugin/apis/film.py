"""The film domain (``inference_cfg.task='saliency'``): one saliency score per clip of a video -> segments.

The model's config says which features it reads (``inference_cfg``: feature layout, clip grid, which features
form the video / audio / query inputs, window length), so the same function serves every clip model (UMT on
Hotstar, QVHighlights, ...).
"""
from typing import Sequence

from mmaction.registry import TASK_UTILS

from ..engine.errors import ConfigError
from .base import (HighlightResult, assemble_inputs, check_extractors, expected_extraction_rows, extract_for_model,
                   model_inputs, no_progress)
from .inference import predict_saliency


def decoder_cfg(model, cfg):
    """Films default to :class:`~highlight_plugin.decoding.saliency.SaliencySegmentDecoder`."""
    return dict(dict(type='SaliencySegmentDecoder'), **cfg)


def score_video(video, model, extractors=None, decoder=None, features_dir=None, progress=None, layout=None,
                query=None, text_encoder=None, audio_languages: Sequence[str] = (), analysis=None,
                ahead=None) -> HighlightResult:
    """Saliency of every clip of ``video`` and the decoder's segments (``start``, ``end``, ``score``; best first).

    Args:
        extractors (dict | None): feature name -> extractor (``features.build_extractors``), for raw video.
        decoder: ``(scores, clip_len, duration) -> segments`` (default: ``inference_cfg.decoder``).
        features_dir (str | None): a dataset folder in the model's layout holding this video's features
            (file stem = video id, e.g. Hotstar ``clip_features/<vid>.npz``); no extraction then.
        layout (str | None): the feature layout the model was trained on (default: ``inference_cfg.layout``).
        query (str | None): a text query for query-conditioned models; needs ``text_encoder``.
        progress: a :class:`~highlight_plugin.engine.progress.StageProgress` with 'extract' and 'score' stages.
        analysis: a :class:`~.analysis.ReelAnalysis` fed by the extraction (shot changes, pauses, ...).
        ahead: the video's decode, started while the networks were built (:func:`~.highlights.decode_ahead`).
    """
    from ..features import get_layout
    from ..media.probe import probe
    from ..features.precomputed import read_layout_features

    cfg = model_inputs(model)
    progress = progress or no_progress()
    decoder = decoder or TASK_UTILS.build(decoder_cfg(model, cfg['decoder']))
    layout = get_layout(layout or cfg.get('layout', 'hotstar'))
    query_in = None
    if cfg.get('query'):
        if not query or text_encoder is None:
            raise ConfigError('this model is conditioned on a text query: pass a query (and a text encoder)')
        query_in = text_encoder([query])[0]['last_hidden_state']
    if features_dir:
        info = probe(str(video))
        names = list(dict.fromkeys((*cfg['video'], *cfg['audio'])))
        features = read_layout_features(layout, features_dir, str(video), names, info.duration, cfg.get('recipe'))
    else:
        if not extractors:
            raise ConfigError('no feature extractors given: build them, or pass the features (--features DIR)')
        check_extractors(extractors, cfg)
        with progress.stage('extract', total=expected_extraction_rows([video], extractors)) as update:
            result = extract_for_model(video, extractors, cfg, audio_languages or layout.audio_languages, update,
                                       analysis, ahead)
        features, info = result.features, result.info
    with progress.stage('score'):
        video_in, audio_in = assemble_inputs(features, cfg, layout.clip_len)
        scores = predict_saliency(model, video_in, audio_in, query_in, clip_len=cfg['clip_len'],
                                  window=cfg.get('window'), stride=cfg.get('stride'))
        duration = float(info.duration or len(scores) * cfg['clip_len'])
        segments = decoder(scores, cfg['clip_len'], duration=duration)
    return HighlightResult(str(video), duration, cfg['clip_len'], scores, segments,
                           sources={str(video): bool(info.audio)}, info=dict(query=query))
