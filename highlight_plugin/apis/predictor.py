"""The Python surface of the product: a highlight model built once, called on any number of videos.

::

    from highlight_plugin.apis import HighlightPredictor

    predictor = HighlightPredictor.from_pretrained('umt-qvhighlights')      # fetched, verified, cached
    result = predictor('film.mp4', query='the car chase')                   # segments, scores, analysis
    result.write('reel/', vertical='follow')                                # clips, reel, JSON, exports, page
    result = HighlightResult.load('reel/')                                  # later: re-cut without networks

One visit to each room, in order: the media (probe, one decode feeding the features and the analysis), the
features' networks, the model's scores, the segment decoder, the analysis (the reel's clock, snapping to shot
changes and pauses); :meth:`HighlightResult.write` then renders. The domain of the model (``inference_cfg.task``:
films or football, :data:`DOMAINS`) says how a video becomes scores and segments.
"""
from dataclasses import asdict, dataclass, fields
from typing import Dict, Mapping, Optional, Sequence

from mmaction.registry import TASK_UTILS

from ..engine.errors import ConfigError
from . import film, football
from .base import Domain, ScoreRequest, model_inputs
from .inference import init_model
from .result import HighlightResult, json_ready

DEFAULT_SNAP = 2.0  # seconds an edge may move to a shot change or a pause

# inference_cfg.task -> how a video becomes scores and segments
DOMAINS = dict(saliency=Domain(film.score, film.decoder_cfg, film.OPTIONS, 'film (saliency)'),
               spotting=Domain(football.score, football.decoder_cfg, football.OPTIONS, 'football (spotting)'))
DECODER_OVERRIDES = dict(saliency=film.decoder_overrides, spotting=football.decoder_overrides)


@dataclass
class PredictOptions:
    """The options of one prediction (:meth:`HighlightPredictor.__call__`).

    Attributes:
        query: a text query, for query-conditioned models (QVHighlights).
        features_dir: read the features from this dataset folder instead of extracting them; the video is then
            decoded only for the analysis (64x36 frames, the audio).
        snap: seconds a segment edge may move to a shot change or a pause (0: off; football clips only grow).
        follow: build the 9:16 follow profile (for ``write(vertical='follow')``).
        top_k, min_len, max_len: films: at most this many clips, of these lengths (None: the config's).
        budget: at most this many seconds in all clips.
        classes: football: keep only these event classes.
        audio_languages: preferred audio tracks (e.g. ``('en', 'hin')``).
        second_half, second_half_start, half, video_ini: football: the match (see
            :func:`~.football.plan_match`).
    """
    query: Optional[str] = None
    features_dir: Optional[str] = None
    snap: float = DEFAULT_SNAP
    follow: bool = False
    top_k: Optional[int] = None
    min_len: Optional[float] = None
    max_len: Optional[float] = None
    budget: Optional[float] = None
    classes: Optional[Sequence[str]] = None
    audio_languages: Sequence[str] = ()
    second_half: Optional[str] = None
    second_half_start: Optional[object] = None
    half: Optional[int] = None
    video_ini: Optional[str] = None

    @classmethod
    def for_domain(cls, task: str, options: Mapping) -> 'PredictOptions':
        """The options of ``options``, checked: known names, none that only another domain reads, sane values."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ConfigError(f'unknown option(s) {", ".join(unknown)} (known: {", ".join(sorted(known))})')
        for other, domain in DOMAINS.items():
            given = [k for k in domain.options if other != task and options.get(k) not in (None, ())]
            if given:
                raise ConfigError(f'--{given[0].replace("_", "-")} is for {domain.title} models; this is a '
                                  f'{DOMAINS[task].title} model')
        opts = cls(**options)
        if opts.snap < 0:
            raise ConfigError(f'--snap: seconds must be 0 (off) or more, got {opts.snap}')
        opts.audio_languages = tuple(opts.audio_languages or ())
        return opts


class HighlightPredictor:
    """A highlight model with everything it needs to score raw videos, built once.

    Args:
        config: the model's config (a path or an mmengine Config).
        checkpoint: its trained weights: a file, a zoo name (fetched on first use), or None for random weights
            (trying the pipeline).
        weights: the feature networks' weights by role (``clip``, ``panns``, ``slowfast``, ``resnet``,
            ``vggish``, ``pca``): files or zoo names; :meth:`from_pretrained` fills them from the zoo.
        device: torch device (default: CUDA when available, the process's own GPU under torchrun / Slurm).
        cfg_options: overrides of config values (``key: value``).
        random_init: random feature networks where no weights are given (tests, trying the pipeline).

    The feature extractors and the text encoder are built on the first call that needs them (a call on features
    read from disk needs none).
    """

    def __init__(self, config, checkpoint: Optional[str] = None, weights: Optional[Mapping[str, str]] = None,
                 device: Optional[str] = None, cfg_options: Optional[dict] = None, random_init: bool = False):
        from ..engine.device import default_device
        self.device = device or default_device()
        self.checkpoint = None if checkpoint is None else _resolve(checkpoint, 'checkpoint')
        self.model = init_model(config, self.checkpoint, device=self.device, cfg_options=cfg_options, strict=True)
        self.inference = model_inputs(self.model)  # the model's inference_cfg, with defaults: derived once
        if self.inference['task'] not in DOMAINS:
            raise ConfigError(f'inference_cfg.task {self.inference["task"]!r} is not one of {sorted(DOMAINS)}')
        self.config = config if isinstance(config, str) else getattr(config, 'filename', None)
        self.weights = dict(weights or {})
        self.random_init = random_init
        self.name = self.entry = None  # the zoo name and entry, when made by from_pretrained
        self._extractors = self._text_encoder = None

    @classmethod
    def from_pretrained(cls, name: str, device: Optional[str] = None, weights: Optional[Mapping[str, str]] = None,
                        **kwargs) -> 'HighlightPredictor':
        """The published model ``name`` of the zoo (``highlight_plugin.weights.zoo``): its config, its checkpoint
        and its feature networks' weights, fetched and verified on first use; ``weights`` override roles."""
        from ..weights.zoo import get_model, model_weights
        entry = get_model(name)
        predictor = cls(entry.config, entry.checkpoint, {**model_weights(entry), **dict(weights or {})}, device,
                        **kwargs)
        predictor.name, predictor.entry = name, entry
        return predictor

    @property
    def task(self) -> str:
        return self.inference['task']

    @property
    def domain(self) -> Domain:
        return DOMAINS[self.task]

    @property
    def layout(self):
        """The feature layout the model was trained on."""
        from ..features import get_layout
        default = 'soccernet' if self.task == 'spotting' else 'hotstar'
        return get_layout(self.inference.get('layout', default))

    @property
    def extractors(self) -> Dict[str, object]:
        """The feature extractors of the model's recipe (built on first use)."""
        if self._extractors is None:
            from ..features.builder import build_extractors
            names = list(dict.fromkeys((*self.inference['video'], *self.inference['audio'])))
            checkpoints = {k: v for k, v in self.weights.items() if k != 'pca'}
            self._extractors = build_extractors(self.layout, names, device=self.device, checkpoints=checkpoints,
                                                random_init=self.random_init,
                                                options=dict(resnet=dict(pca=self.weights.get('pca'))),
                                                recipe=self.inference.get('recipe'))
        return self._extractors

    @property
    def text_encoder(self):
        """The recipe's text encoder, sharing the CLIP image network when one is built (built on first use)."""
        if self._text_encoder is None:
            from ..features.builder import build_text_encoder
            clip = (self._extractors or {}).get('clip')
            self._text_encoder = build_text_encoder(self.layout, clip, self.weights.get('clip'), self.device,
                                                    self.random_init, recipe=self.inference.get('recipe'))
        return self._text_encoder

    def decoder(self, **overrides):
        """The model's segment decoder (``inference_cfg.decoder``) with ``overrides`` (None values are ignored)."""
        cfg = dict(self.inference['decoder'], **{k: v for k, v in overrides.items() if v is not None})
        return TASK_UTILS.build(self.domain.decoder_cfg(self.model, cfg))

    def options(self, **options) -> PredictOptions:
        """:class:`PredictOptions` checked for this model."""
        return PredictOptions.for_domain(self.task, options)

    def __call__(self, video: str, query: Optional[str] = None, progress=None, ahead=None,
                 **options) -> HighlightResult:
        """Highlights of ``video`` (football: the first half, or the whole match): ranked segments on the reel's
        clock, the score curve and the analysis of each source; ``options``: those of :class:`PredictOptions`.
        ``progress``: a :class:`~highlight_plugin.engine.progress.StageProgress` with stages 'extract' and 'score'
        (default: none shown). ``ahead``: the video's decode started before the networks were built
        (:func:`~.predictor.read_ahead`); closed here."""
        from ..engine.progress import no_progress
        try:
            opts = self.options(query=query, **options)
            if self.entry is not None and not opts.features_dir:
                self.entry.require_reels()  # models on features the package does not extract say so
            decoder = self.decoder(**DECODER_OVERRIDES[self.task](opts))
            analysis = reel_analysis(opts)
            request = ScoreRequest(str(video), opts, progress or no_progress(), analysis, decoder, ahead)
            result = self.domain.score(self, request)
        finally:
            if ahead is not None:
                ahead.close()
        return self._place(result, request)

    def _place(self, result: HighlightResult, request: ScoreRequest) -> HighlightResult:
        """Analyse the files the extraction did not, put the segments on the reel's clock and snap their edges."""
        from ..analysis.placement import silent_source_notes, snap_result, to_reel_clock
        _analyse_rest(result, request)
        result.analysis = {source: request.analysis.get(source) for source in result.sources
                           if request.analysis.get(source) is not None}
        to_reel_clock(result)
        snap_result(result, request.options.snap, getattr(request.decoder, 'min_len', None),
                    getattr(request.decoder, 'max_len', None))
        silent_source_notes(result)
        result.options = dict(model=dict(name=self.name, config=self.config, checkpoint=self.checkpoint,
                                         task=self.task, recipe=self.inference.get('recipe')),
                              predict=json_ready(asdict(request.options)),
                              decoder=dict(min_len=getattr(request.decoder, 'min_len', None),
                                           max_len=getattr(request.decoder, 'max_len', None)))
        return result


def reel_analysis(options: PredictOptions):
    """What the analysis learns for ``options`` (the same for :func:`read_ahead`'s streams, so that the extraction
    adopts them): shot changes always when extracting (they ride on the decode; the JSON and the curve show them),
    else for snapping or following; pauses for snapping; the follow profile when asked."""
    from ..analysis import ReelAnalysis
    shots = options.features_dir is None or options.snap > 0 or options.follow
    return ReelAnalysis(shots=shots, pauses=options.snap > 0, follow=options.follow,
                        audio_languages=options.audio_languages)


def read_ahead(video: str, config, cfg_options: Optional[dict] = None, **options):
    """Start decoding ``video`` before the feature networks are built (they take seconds; the decode meanwhile runs
    a few chunks ahead on the other cores): the streams the model's recipe reads (``inference_cfg.recipe`` of
    ``config``, a path or Config) and those of the analysis ``options`` (of :class:`PredictOptions`) ask for.
    Returns a :class:`~.extract.ReadAhead` to pass as ``ahead``, or None when the recipe does not say its streams
    or anything fails (the extraction then decodes as usual, and reports any error)."""
    from mmengine.config import Config

    from ..features import get_layout
    from ..features.recipes import RECIPES
    from ..media.probe import probe, select_audio_stream
    from ..media.specs import AudioSpec
    from .extract import ReadAhead
    try:
        cfg = Config.fromfile(config) if isinstance(config, str) else config.copy()
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        inputs = dict(cfg.get('inference_cfg') or {})
        opts = PredictOptions.for_domain(inputs.get('task', 'saliency'), options)
        recipe = RECIPES.get(inputs.get('recipe'))
        names = list(dict.fromkeys((*inputs.get('video', ()), *inputs.get('audio', ()))))
        if opts.features_dir or recipe is None or not names or any(
                getattr(recipe.features.get(n), 'stream', None) is None for n in names):
            return None
        specs = [recipe.features[n].stream for n in names]
        info = probe(str(video))
        languages = opts.audio_languages or get_layout(inputs.get('layout', recipe.layout)).audio_languages
        has_audio = select_audio_stream(info, languages) is not None
        for analyzer in reel_analysis(opts).analyzers().values():
            analyzer.prepare(info, specs[:len(names)])
            if has_audio or not isinstance(analyzer.spec, AudioSpec):
                specs.append(analyzer.spec)
        return ReadAhead(str(video), specs, info, languages)
    except Exception:  # noqa: BLE001 - only a head start: the extraction decodes as usual and reports errors
        return None


def _analyse_rest(result: HighlightResult, request: ScoreRequest):
    """Analyse the files of ``result`` the extraction did not (features read from disk): a decode of the analysis
    streams alone (the progress bar's 'extract' stage)."""
    from ..media.probe import probe
    from .extract import analyse_alone
    infos = {s: probe(s) for s in result.sources if request.analysis.get(s) is None}
    if infos:
        total = sum(i.duration or 0.0 for i in infos.values()) or None
        with request.progress.stage('extract', total=total) as update:
            for source, info in infos.items():
                analyse_alone(source, request.analysis, info, on_seconds=update)


def _resolve(value: str, role: str) -> str:
    """A weight file's path: an existing file as it is, else a zoo name fetched (and converted) on first use."""
    from ..weights.hub import resolve_weights
    return resolve_weights(value, role)
