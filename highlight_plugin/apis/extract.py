"""The per-video job: decode each needed stream once, run the extractors on bounded
batches of rows, and return one ``(T, D)`` matrix per extractor.

Row ``i`` of an extractor with clip length ``L`` covers ``[i L, (i + 1) L)``. A video gives
the rows whose clip centre lies inside the media: the last, partial row is kept (frames
repeated / audio zero-padded) when more than half of it exists, unless ``drop_partial``
(Hotstar's PANNs recipe drops the trailing remainder). Memory is bounded by one chunk of
decoded frames or samples per stream (plus two prefetched), whatever the video length.

Analyzers (:mod:`.analyzer`) tap the same pass: a frame analyzer gets a branch of the one decode, an audio
analyzer the chunks an extractor reads. A video without an audio stream can be read as silence
(``silent_audio``): each audio reading then gives the zeros it would give on a silent track of the video's length.
"""
import os
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Callable, Dict, List, Mapping, Optional, Sequence

import numpy as np

from highlight_plugin.engine.errors import DataError
from highlight_plugin.features.base import BaseExtractor
from highlight_plugin.media.audio import audio_reader, read_silence
from highlight_plugin.media.branches import FRAME_FILTERS, MAX_CHUNK_BYTES, frame_bytes, read_branches
from highlight_plugin.media.frames import frame_reader
from highlight_plugin.media.probe import AudioStream, MediaInfo, probe, select_audio_stream
from highlight_plugin.media.specs import AudioSpec, FrameSpec


@dataclass
class VideoFeatures:
    """Result of :func:`extract`."""
    features: Dict[str, np.ndarray]
    info: MediaInfo
    audio_stream: Optional[AudioStream] = None
    rows: Dict[str, int] = field(default_factory=dict)
    analysis: Dict[str, object] = field(default_factory=dict)  # analyzer name -> what its finish() returned
    silent: bool = False  # the audio features were computed on silence (the video has no audio stream)


class _RowBatcher:
    """Cuts a stream of units (frames or samples) into rows of ``units_per_row`` and runs
    the extractor on batches of ``batch_size`` rows."""

    def __init__(self, extractor: BaseExtractor, drop_partial: bool, on_rows: Callable[[int], None]):
        self.ex = extractor
        self.per_row = extractor.units_per_row
        self.drop_partial = drop_partial
        self.on_rows = on_rows
        self.pending = []  # arrays of units not yet consumed
        self.n_pending = 0
        self.outputs = []

    def push(self, units: np.ndarray):
        self.pending.append(units)
        self.n_pending += len(units)
        batch_units = self.per_row * self.ex.batch_size
        while self.n_pending >= batch_units:
            self._run(self._take(batch_units))

    def finish(self) -> np.ndarray:
        full = self.n_pending // self.per_row * self.per_row
        if full:
            self._run(self._take(full))
        if self.n_pending and not self.drop_partial:
            row = self.ex.tail_row(self._take(self.n_pending))  # the extractor's rule for a partial row
            if row is not None:
                self._run(row)
        if not self.outputs:
            return np.zeros((0, self.ex.dim), np.float32)
        return np.concatenate(self.outputs).astype(np.float32, copy=False)

    def _take(self, n: int) -> np.ndarray:
        data = np.concatenate(self.pending) if len(self.pending) > 1 else self.pending[0]
        rest = data[n:]
        self.pending = [rest] if len(rest) else []
        self.n_pending = len(rest)
        return data[:n]

    def _run(self, units: np.ndarray):
        rows = units.reshape((-1, self.per_row) + units.shape[1:])
        for i in range(0, len(rows), self.ex.batch_size):
            out = np.asarray(self.ex.forward_rows(rows[i:i + self.ex.batch_size]))
            self.outputs.append(out)
            self.on_rows(len(out))


def expected_rows(duration: Optional[float], clip_len: float) -> int:
    """Rows whose clip centre lies before ``duration`` (an estimate, for progress bars)."""
    return 0 if not duration else max(0, int(np.ceil(duration / clip_len - 0.5)))


@dataclass
class ExtractOptions:
    """How :func:`extract` reads a video.

    Attributes:
        audio_languages: preferred audio languages (e.g. ``('en', 'eng', 'hin', 'hi')``); the first matching stream
            is used, else the default stream.
        drop_partial: names of the extractors whose trailing partial row is dropped.
        chunk_seconds: media seconds decoded per chunk (bounds memory: e.g. 512 frames of 224x224 for SlowFast's
            16 fps, 16 frames for CLIP at one frame per 2 s; shorter when a branch holds full-size frames).
        decode_threads: ffmpeg threads (0: ffmpeg's choice).
        backend: what reads the frames, 'ffmpeg' (one sequential pass, the faster) or 'decord'
            (:func:`~highlight_plugin.media.frames.read_frames_decord`).
        silent_audio: a video without an audio stream gives audio features of silence (else a DataError).
    """
    audio_languages: Sequence[str] = ()
    drop_partial: Sequence[str] = ()
    chunk_seconds: float = 32.0
    decode_threads: int = 0
    backend: str = 'ffmpeg'
    silent_audio: bool = False


@dataclass
class _Plan:
    """What one extraction reads: the extractors by stream, the analyzers tapping each stream, the audio stream, and
    whether the audio is the silence of a video without one."""
    groups: Dict[object, List[str]]
    taps: Dict[object, List[str]]
    stream: Optional[AudioStream]
    silent: bool = False

    @property
    def specs(self):
        return list(dict.fromkeys([*self.groups, *self.taps]))


def _plan(video, extractors, analyzers, info, options: ExtractOptions) -> _Plan:
    """Group the extractors and analyzers by the stream they read; check the streams exist."""
    for ex in extractors.values():
        ex.prepare(info)
    groups = defaultdict(list)
    for name, ex in extractors.items():
        groups[ex.spec].append(name)
    plan = _Plan(groups, defaultdict(list), select_audio_stream(info, options.audio_languages))
    for name, analyzer in (analyzers or {}).items():
        analyzer.prepare(info, list(groups))
        if isinstance(analyzer.spec, AudioSpec) and plan.stream is None:
            continue  # nothing to analyse
        if isinstance(analyzer.spec, FrameSpec) and not info.has_video:
            raise DataError(f'{video}: no video stream (needed by the {name} analysis)')
        plan.taps[analyzer.spec].append(name)
    for spec, names in groups.items():
        if isinstance(spec, FrameSpec) and not info.has_video:
            raise DataError(f'{video}: no video stream (needed by {", ".join(names)})')
        if isinstance(spec, AudioSpec) and plan.stream is None:
            if not options.silent_audio:
                raise DataError(f'{video}: no audio stream (needed by {", ".join(names)})')
            if not info.duration:
                raise DataError(f'{video}: no audio stream, and ffmpeg cannot tell the length of the silence')
            plan.silent = True
    return plan


def _pump(video, plan: _Plan, sources, batchers, analyzers):
    """Feed every stream's chunks, in turn, to the extractors and analyzers reading it."""
    while sources:
        for spec in list(sources):
            units = next(sources[spec], None)
            if units is None:
                del sources[spec]
                continue
            for n in plan.groups.get(spec, ()):
                batchers[n].push(units)
            for n in plan.taps.get(spec, ()):
                analyzers[n].push(units)


def _features(video, extractors, batchers, info):
    """Each extractor's rows, checked and post-processed (its recipe's ``finish_rows``)."""
    features = {}
    for n, b in batchers.items():
        features[n] = b.finish()
        limit = extractors[n].max_rows(info)
        if limit is not None:
            features[n] = features[n][:limit]
        if len(features[n]) == 0:
            raise DataError(f'{video}: too short for one {extractors[n].clip_len:g}-s clip of '
                            f'{n} (duration {info.duration} s; more than half a clip is needed)')
    video_rows = [len(features[n]) for n, ex in extractors.items() if ex.modality == 'video']
    for n, ex in extractors.items():
        try:
            features[n] = ex.finish_rows(features[n], min(video_rows) if video_rows else None)
        except DataError as e:
            raise DataError(f'{video}: {n}: {e}') from e
    return features


def extract(video: str, extractors: Mapping[str, BaseExtractor], options: Optional[ExtractOptions] = None,
            on_rows: Callable[[int], None] = lambda n: None, info: Optional[MediaInfo] = None,
            analyzers: Optional[Mapping[str, object]] = None, ahead: Optional['ReadAhead'] = None,
            **fields) -> VideoFeatures:
    """Features of one video.

    Args:
        video: path of a video (or audio-only file when only audio extractors are asked).
        extractors: output name -> extractor (networks already built; reused across calls).
        options: how the video is read (:class:`ExtractOptions`; or its ``fields`` given by name).
        on_rows: progress callback, called with the number of rows just computed.
        info: the result of :func:`probe` when the caller has it already.
        analyzers: name -> :class:`~highlight_plugin.analysis.BaseAnalyzer`, fed from the same pass (audio analyzers
            are left out when the video has no audio stream); their results are in ``analysis``.
        ahead: a :class:`ReadAhead` of this video, used when it opened exactly the streams asked for (then
            closed in any case).

    Returns:
        VideoFeatures with ``features[name]`` of shape ``(T_name, dim)`` float32.

    Raises:
        DataError: unreadable file, no video/audio stream where one is needed, or a video too short to give one
            row.
        ConfigError: unknown ``backend``.
    """
    options = replace(options or ExtractOptions(), **fields)
    info = info or probe(video)
    plan = _plan(video, extractors, analyzers, info, options)
    batchers = {n: _RowBatcher(ex, n in options.drop_partial, on_rows) for n, ex in extractors.items()}
    sources = {}
    try:
        opened = ahead.adopt(video, plan.specs, plan.stream) if ahead is not None else None
        sources = opened if opened is not None else open_streams(video, plan.specs, info, plan.stream, options)
        _pump(video, plan, sources, batchers, analyzers)
    except DataError as e:
        raise DataError(str(e) if str(e).startswith(f'{video}:') else f'{video}: {e}') from e
    finally:
        if ahead is not None:
            ahead.close()
        close_streams(sources)
    features = _features(video, extractors, batchers, info)
    analysis = {n: analyzers[n].finish() for names in plan.taps.values() for n in names}
    audio = plan.stream if any(isinstance(s, AudioSpec) for s in plan.groups) else None
    return VideoFeatures(features, info, audio, {n: len(f) for n, f in features.items()}, analysis, plan.silent)


def analyse_alone(video: str, analysis, info: Optional[MediaInfo] = None,
                  on_seconds: Optional[Callable[[float], None]] = None):
    """Analyse ``video`` by a decode of the analysis streams alone (its features come from disk): the
    :class:`~highlight_plugin.analysis.ReelAnalysis` ``analysis`` keeps the result, also returned."""
    info = info or probe(video)
    analyzers = analysis.alone(info, on_seconds)
    results = extract(str(video), {}, audio_languages=analysis.audio_languages, info=info,
                      analyzers=analyzers).analysis if analyzers else {}
    return analysis.keep_alone(video, info, results)


def open_streams(video: str, specs: Sequence, info: MediaInfo, stream: Optional[AudioStream],
                 options: Optional[ExtractOptions] = None) -> dict:
    """spec -> iterator of chunks, one per stream of ``specs``, all started: one decoder per distinct stream, the
    frame samplings written as ffmpeg filter chains sharing one decode (``media/branches.py``), audio from ``stream``
    (silence of the video's length when None). Chunks hold the same media duration in every stream (shorter when
    a branch holds full-size frames), so that a consumer taking them in turn never starves a decoder. ``options``:
    the chunk length, threads and frame backend of :class:`ExtractOptions`."""
    options = options or ExtractOptions()
    chunk_seconds, decode_threads, backend = options.chunk_seconds, options.decode_threads, options.backend
    frame_specs = [s for s in specs if isinstance(s, FrameSpec)]
    shared = [s for s in frame_specs if backend == 'ffmpeg' and s.sampling in FRAME_FILTERS] if info.has_video else []
    for s in shared:  # a branch of full-size frames: shorter chunks, for every stream alike
        chunk_seconds = min(chunk_seconds, max(MAX_CHUNK_BYTES / (frame_bytes(s, info) * s.fps), 1.0 / s.fps))
    chunks = {spec: max(1, int(round(chunk_seconds * spec.fps))) for spec in frame_specs}
    sources = {}
    try:
        if shared:
            sources.update(zip(shared, read_branches(video, shared, [chunks[s] for s in shared], decode_threads,
                                                     info)))
        for spec in specs:
            if spec in sources:
                continue
            if isinstance(spec, FrameSpec):
                sources[spec] = frame_reader(backend, spec.sampling)(video, spec, chunks[spec], decode_threads, info)
            elif stream is None:
                sources[spec] = read_silence(info.duration, spec, chunk_seconds)
            else:
                sources[spec] = audio_reader(spec.method)(video, spec, stream, chunk_seconds)
    except BaseException:
        close_streams(sources)
        raise
    return sources


def close_streams(sources: Mapping) -> None:
    """Stop the decoders of :func:`open_streams`' chunk iterators (silence has none)."""
    for source in sources.values():
        getattr(source, 'close', lambda: None)()


class ReadAhead:
    """A video's streams opened before its extractors exist: the decode runs (a few chunks ahead, in ffmpeg's own
    processes) while the networks are being built, seconds of start-up otherwise spent on one core.

    ``specs`` are the streams the extraction is expected to read (a recipe's ``stream`` of each feature, plus the
    analyzers'). :func:`extract` adopts the streams when it asks for exactly these of this video and this audio
    stream, else decodes as usual; either way it closes them. Nothing here raises: a video that cannot be opened
    is left to :func:`extract` to report.
    """

    def __init__(self, video: str, specs: Sequence, info: Optional[MediaInfo] = None,
                 audio_languages: Sequence[str] = (), options: Optional[ExtractOptions] = None):
        self.video, self.specs, self.sources = str(video), list(dict.fromkeys(specs)), None
        try:
            self.info = info or probe(self.video)
            self.stream = select_audio_stream(self.info, audio_languages)
            if all(not isinstance(s, FrameSpec) or self.info.has_video for s in self.specs):
                self.sources = open_streams(self.video, self.specs, self.info, self.stream, options)
        except Exception:  # noqa: BLE001 - extract() opens it again and says what is wrong
            self.sources = None

    def adopt(self, video: str, specs: Sequence, stream: Optional[AudioStream]):
        """The open streams when they are exactly those of ``video``, ``specs`` and audio ``stream``, else None."""
        same_stream = (stream is None and self.stream is None) or (
            stream is not None and self.stream is not None and stream.index == self.stream.index)
        if (self.sources is None or os.path.abspath(str(video)) != os.path.abspath(self.video)
                or set(specs) != set(self.specs) or not same_stream):
            return None
        sources, self.sources = self.sources, None
        return sources

    def close(self):
        close_streams(self.sources or {})
        self.sources = None
