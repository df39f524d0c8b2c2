"""One call from a raw video to a short-form reel: features -> clip scores -> segments -> clips, reel and reports.

The model's config says which features it reads (``inference_cfg``: feature layout, clip grid, which extracted
features form the video / audio / query inputs, window length), so the same function serves every clip model.
"""
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..decoding.saliency import SaliencySegmentDecoder
from ..engine.errors import ConfigError
from .inference import predict_saliency


@dataclass
class HighlightResult:
    """What :func:`make_highlights` produced; paths are None for outputs that were not asked for."""
    video: str
    duration: float
    clip_len: float
    scores: np.ndarray
    segments: List[dict]
    files: Dict[str, Optional[str]] = field(default_factory=dict)


def model_inputs(model):
    """The ``inference_cfg`` of a model built by :func:`init_model`, with defaults."""
    cfg = dict((getattr(model, 'cfg', None) or {}).get('inference_cfg', {}))
    if 'video' not in cfg:
        raise ConfigError('the model config has no inference_cfg.video: it does not say which features it reads')
    cfg.setdefault('audio', ())
    cfg.setdefault('clip_len', 2.0)
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


def make_highlights(video, model, extractors, out_dir, decoder=None, layout=None, query=None, text_encoder=None,
                    cut=True, reel=True, vertical=None, audio_languages: Sequence[str] = (), progress=None):
    """Score every clip of ``video`` with ``model`` and write the highlights to ``out_dir``.

    Args:
        extractors (dict): feature name -> extractor, built once (``highlight_plugin.features.build_extractors``).
        decoder: scores -> segments (default :class:`SaliencySegmentDecoder`).
        layout: the feature layout the model was trained on (default: ``inference_cfg.layout``).
        query (str | None): a text query for query-conditioned models; needs ``text_encoder``.
        cut, reel (bool): write one MP4 per segment / the joined reel.
        vertical (str | None): 'crop' or 'blur' for 9:16 clips.

    Writes ``highlights.json``, ``saliency.png``, ``highlights.edl``, ``highlights.otio``, ``index.html`` and, when
    asked, ``clips/highlight_NNN.mp4`` and ``reel.mp4``.
    """
    from .. import render
    from ..features import check_recipe, extract, get_layout

    cfg = model_inputs(model)
    layout = get_layout(layout or cfg.get('layout', 'hotstar'))
    decoder = decoder or SaliencySegmentDecoder()
    for name, ex in extractors.items():  # features of the recipe the model was trained on, or a one-line error
        check_recipe(cfg.get('recipe'), getattr(ex, 'provenance', None), f'extractor {name!r}')
    drop = [n for n, ex in extractors.items() if getattr(ex, 'drop_partial', n in cfg.get('drop_partial', ()))]
    feats = extract(str(video), extractors, audio_languages=audio_languages,
                    drop_partial=drop, on_rows=progress or (lambda n: None))
    video_in, audio_in = assemble_inputs(feats.features, cfg, layout.clip_len)
    query_in = None
    if cfg.get('query'):
        if not query or text_encoder is None:
            raise ConfigError('this model is conditioned on a text query: pass a query (and a text encoder)')
        query_in = text_encoder([query])[0]['last_hidden_state']
    scores = predict_saliency(model, video_in, audio_in, query_in, clip_len=cfg['clip_len'],
                              window=cfg.get('window'), stride=cfg.get('stride'))
    duration = float(feats.info.duration or len(scores) * cfg['clip_len'])
    segments = decoder(scores, cfg['clip_len'], duration=duration)

    os.makedirs(out_dir, exist_ok=True)
    files = dict(json=osp.join(out_dir, 'highlights.json'), plot=osp.join(out_dir, 'saliency.png'),
                 edl=osp.join(out_dir, 'highlights.edl'), otio=osp.join(out_dir, 'highlights.otio'),
                 report=osp.join(out_dir, 'index.html'), reel=None)
    # the reel and the editor exports follow the story's order; the JSON keeps the ranking
    in_time = sorted(segments, key=lambda s: s['start'])
    if cut:
        os.makedirs(osp.join(out_dir, 'clips'), exist_ok=True)
        has_audio = bool(feats.info.audio)
        for i, seg in enumerate(segments, 1):
            seg['clip'] = render.cut_clip(video, seg['start'], seg['end'],
                                          osp.join(out_dir, 'clips', f'highlight_{i:03d}.mp4'),
                                          vertical=vertical, has_audio=has_audio)
        if reel and segments:
            files['reel'] = render.concat_clips([s['clip'] for s in in_time], osp.join(out_dir, 'reel.mp4'))
    render.plot_saliency(scores, cfg['clip_len'], segments, files['plot'], title=osp.basename(str(video)))
    render.write_edl(in_time, str(video), files['edl'])
    render.write_otio(in_time, str(video), files['otio'])
    render.write_json(files['json'], dict(
        video=osp.abspath(str(video)), duration=duration, clip_len=cfg['clip_len'], query=query,
        segments=[dict(rank=i, **{k: (osp.relpath(v, out_dir) if k == 'clip' else v) for k, v in s.items()})
                  for i, s in enumerate(segments, 1)],
        scores=[round(float(s), 5) for s in scores]))
    render.write_report(files['report'], str(video), segments, plot=files['plot'], reel=files['reel'],
                        exports=[files['json'], files['edl'], files['otio']])
    return HighlightResult(str(video), duration, cfg['clip_len'], scores, segments, files)
