"""The film domain (``inference_cfg.task='saliency'``): one saliency score per clip of a video -> segments.

The model's config says which features it reads (``inference_cfg``: feature layout, clip grid, which features
form the video / audio / query inputs, window length), so the same function serves every clip model (UMT on
Hotstar, QVHighlights, ...).
"""
from ..engine.errors import ConfigError
from .base import ScoreRequest, assemble_inputs, check_extractors, expected_extraction_rows, extract_for_model
from .inference import predict_saliency
from .result import HighlightResult

OPTIONS = ('query', 'top_k', 'min_len', 'max_len', 'audio_languages')  # the options only films read


def decoder_cfg(model, cfg):
    """Films default to :class:`~highlight_plugin.decoding.saliency.SaliencySegmentDecoder`, at most 5 clips."""
    return dict(dict(type='SaliencySegmentDecoder', top_k=5), **cfg)


def decoder_overrides(options) -> dict:
    """The segment decoder's settings a call changes (None: the config's)."""
    return dict(top_k=options.top_k, min_len=options.min_len, max_len=options.max_len, budget=options.budget)


def _features(predictor, request: ScoreRequest, layout):
    """``(features by name, media info)`` of the request's video: read from its dataset folder, or extracted."""
    from ..features.precomputed import read_layout_features
    from ..media.probe import probe
    cfg, options = predictor.inference, request.options
    if options.features_dir:
        info = probe(str(request.video))
        names = list(dict.fromkeys((*cfg['video'], *cfg['audio'])))
        return read_layout_features(layout, options.features_dir, str(request.video), names, info.duration,
                                    cfg.get('recipe')), info
    extractors = predictor.extractors
    check_extractors(extractors, cfg)
    languages = tuple(options.audio_languages) or layout.audio_languages
    with request.progress.stage('extract', total=expected_extraction_rows([request.video], extractors)) as update:
        result = extract_for_model(request.video, extractors, cfg, request, languages, update)
    return result.features, result.info


def score(predictor, request: ScoreRequest) -> HighlightResult:
    """Saliency of every clip of the request's video and the decoder's segments (``start``, ``end``, ``score``;
    best first), on the features' clock."""
    cfg = predictor.inference
    query = request.options.query
    query_in = None
    if cfg.get('query'):
        if not query:
            raise ConfigError('this model is conditioned on a text query: pass a query (--query "...")')
        query_in = predictor.text_encoder([query])[0]['last_hidden_state']
    elif query:
        raise ConfigError('--query: this model takes no text query (its inference_cfg has no query features)')
    layout = predictor.layout
    features, info = _features(predictor, request, layout)
    with request.progress.stage('score'):
        video_in, audio_in = assemble_inputs(features, cfg, layout.clip_len)
        scores = predict_saliency(predictor.model, video_in, audio_in, query_in, clip_len=cfg['clip_len'],
                                  window=cfg.get('window'), stride=cfg.get('stride'))
        duration = float(info.duration or len(scores) * cfg['clip_len'])
        segments = request.decoder(scores, cfg['clip_len'], duration=duration)
    return HighlightResult(str(request.video), duration, cfg['clip_len'], scores, segments,
                           sources={str(request.video): bool(info.audio)}, info=dict(query=query))
