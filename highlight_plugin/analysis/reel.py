"""What a reel learns about a video besides its features, from the same decode.

* shot changes (:class:`~highlight_plugin.analysis.shots.ShotDetector`) and where the action is, per column of the
  picture (:class:`~highlight_plugin.analysis.follow.ActivityProfile`, for ``--vertical follow``), both from a
  'tiny' branch of the feature decode: every frame at the source's rate, 64x36;
* pauses (:class:`~highlight_plugin.analysis.pauses.LoudnessEnvelope`) from the audio chunks an audio extractor
  already reads;
* where the streams start (:func:`~highlight_plugin.media.clock.stream_starts`), so that feature rows, shot changes,
  pauses and cuts share one clock: the reel's, whose time 0 is the first video frame; shot changes land on the
  file's frame grid (a variable-rate file's tiny frames are its own frames, placed at their real times).

:class:`ReelAnalysis` makes the analyzers for an extraction (:func:`highlight_plugin.apis.extract.extract` feeds
them) and keeps one :class:`SourceAnalysis` per file. A file whose features are read from disk is analysed by a
decode of these streams alone (:meth:`ReelAnalysis.alone`): the tiny branch and the audio, far cheaper than the
feature networks.
"""
import dataclasses
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

from ..media.branches import source_fps
from ..media.clock import CutSource, FrameGrid, StreamStarts, inspect_source, stream_starts
from ..media.probe import select_audio_stream
from ..media.specs import AudioSpec, FrameSpec
from .analyzers import BaseAnalyzer, shared_audio_spec
from .follow import ActivityProfile
from .pauses import LoudnessEnvelope
from .shots import ShotDetector, Transition

TINY_WIDTH = 64  # pixels of the tiny frames (64x36): enough for shot changes and the follow profile
PAUSE_AUDIO = AudioSpec(16000, 'ffmpeg')  # the pauses' own audio reading when no extractor reads audio


class TinyFrameAnalyzer(BaseAnalyzer):
    """An analyzer of the 'tiny' branch (every frame at the source's rate, ``width`` pixels wide) feeding a
    ``consumer(fps)`` with ``push(frames)`` and ``finish()``: :class:`ShotDetector` (shot changes, a list of
    :class:`Transition`) or :class:`ActivityProfile` (activity per column of the picture, ``--vertical follow``;
    ``even``: on a variable-rate source, frames resampled at its average rate, as a profile binned in time needs)."""

    def __init__(self, consumer: Optional[Callable] = None, width: int = TINY_WIDTH, even: bool = False):
        self.consumer, self.width, self.even = consumer, int(width), even
        self.fps = self.state = None

    def prepare(self, info, specs=()):
        self.fps = source_fps(info)  # exact: the branch samples the source's own frame grid
        # a variable-rate source's frames come at their own times; ``even``: resampled at its average rate instead
        sampling = 'tiny_even' if self.even and info.variable_rate else 'tiny'
        self.spec = FrameSpec(self.fps, self.width, crop=False, sampling=sampling)
        self.state = self.consumer(float(self.fps)) if self.consumer else None

    def push(self, units):
        self.state.push(units)

    def finish(self):
        return self.state.finish()


class ProgressAnalyzer(TinyFrameAnalyzer):
    """Reports the seconds of video decoded (``on_seconds(s)``): the progress of a decode with no extractor."""

    def __init__(self, on_seconds: Callable[[float], None], width: int = TINY_WIDTH):
        super().__init__(None, width)
        self.on_seconds = on_seconds

    def push(self, units):
        self.on_seconds(len(units) / float(self.fps))

    def finish(self):
        return None


class PauseAnalyzer(BaseAnalyzer):
    """The loudness envelope of the audio an extractor reads (else of a 16-kHz reading of its own);
    ``finish()`` -> the finished :class:`LoudnessEnvelope` (its clock set later, see :meth:`ReelAnalysis.add`)."""

    def prepare(self, info, specs=()):
        self.spec = shared_audio_spec(specs, PAUSE_AUDIO)
        self.envelope = LoudnessEnvelope(self.spec.sample_rate)

    def push(self, units):
        self.envelope.push(units)

    def finish(self) -> LoudnessEnvelope:
        return self.envelope.finish()


@dataclass
class SourceAnalysis:
    """What was learnt about one file; every time is on the reel's clock (0 = its first video frame)."""
    path: str
    duration: float
    cut: CutSource  # its timing for cutting (frame rate, size, audio streams)
    starts: StreamStarts
    transitions: List[Transition] = field(default_factory=list)
    envelope: Optional[LoudnessEnvelope] = None
    profile: Optional[ActivityProfile] = None
    audio_stream: Optional[int] = None  # the audio stream used (index among the file's audio streams)
    silent_features: bool = False  # its audio features were computed on silence (no audio stream)

    @property
    def has_audio(self) -> bool:
        return self.audio_stream is not None

    @property
    def feature_shift(self) -> float:
        """Seconds to subtract from a feature time (row ``i`` at ``i * clip_len``) to get the reel's time."""
        return self.starts.features


def on_grid(transition: Transition, grid: FrameGrid) -> Transition:
    """A shot change found on the tiny frames (frame ``i`` at ``i / rate``) at its frames' times on ``grid``: the
    same times for a constant rate, the real frame times for a variable one (whose tiny frames are its frames)."""
    if not grid.variable:
        return transition
    rate = float(grid.rate)
    moved = {k: grid.at(getattr(transition, k) * rate) for k in ('time', 'start', 'end')}
    return dataclasses.replace(transition, **moved)


class ReelAnalysis:
    """The analyses of the files of one reel (see the module doc).

    Args:
        shots: find shot changes (edge snapping, the JSON, the report's curve).
        pauses: find pauses (edge snapping).
        follow: build the activity profile (``--vertical follow``).
        audio_languages: preferred audio tracks when no extractor chose one.
    """

    def __init__(self, shots: bool = True, pauses: bool = True, follow: bool = False,
                 audio_languages: Sequence[str] = ()):
        self.shots, self.pauses, self.follow = shots, pauses, follow
        self.audio_languages = tuple(audio_languages)
        self.sources: Dict[str, SourceAnalysis] = {}

    def analyzers(self) -> Dict[str, BaseAnalyzer]:
        """Fresh analyzers for one extraction (names as in :attr:`~.features.VideoFeatures.analysis`)."""
        out = {}
        if self.shots:
            out['shots'] = TinyFrameAnalyzer(ShotDetector)
        if self.follow:
            out['follow'] = TinyFrameAnalyzer(ActivityProfile, even=True)  # binned in time
        if self.pauses:
            out['pauses'] = PauseAnalyzer()
        return out

    def add(self, path, features) -> SourceAnalysis:
        """Keep the analysis of ``path`` made by the extraction ``features`` (a :class:`VideoFeatures` of
        :func:`~highlight_plugin.features.extract` run with :meth:`analyzers`)."""
        info = features.info
        stream = features.audio_stream or select_audio_stream(info, self.audio_languages)
        silent = bool(getattr(features, 'silent', False))
        return self._keep(path, info, features.analysis, None if stream is None else stream.index, silent)

    def alone(self, info, on_seconds: Optional[Callable[[float], None]] = None) -> Dict[str, BaseAnalyzer]:
        """Fresh analyzers for a decode of the analysis streams alone (a file whose features come from disk: see
        :func:`~highlight_plugin.apis.extract.analyse_alone`), with one reporting the seconds decoded to
        ``on_seconds`` when the tiny-frame branch is read anyway."""
        analyzers = self.analyzers()
        if analyzers and on_seconds is not None and (self.shots or self.follow):
            analyzers['progress'] = ProgressAnalyzer(on_seconds)  # rides on the same tiny branch
        return analyzers

    def keep_alone(self, path, info, results) -> SourceAnalysis:
        """Keep the analysis of ``path`` made by a decode of :meth:`alone`'s analyzers (``results``: name -> what
        each one's ``finish()`` returned)."""
        stream = select_audio_stream(info, self.audio_languages)
        return self._keep(path, info, results, None if stream is None else stream.index, False)

    def _keep(self, path, info, results, stream, silent) -> SourceAnalysis:
        cut = inspect_source(str(path))
        starts = stream_starts(str(path), stream)
        envelope = results.get('pauses')
        if envelope is not None and starts.audio is not None:
            envelope.start = starts.audio  # its first sample, on the reel's clock
        duration = float(info.duration or 0.0)
        shots = [on_grid(t, cut.grid) for t in results.get('shots') or []]
        self.sources[str(path)] = analysis = SourceAnalysis(
            str(path), duration, cut, starts, shots, envelope, results.get('follow'), stream, silent)
        return analysis

    def get(self, path) -> Optional[SourceAnalysis]:
        return self.sources.get(str(path))
