"""What a reel learns about a video besides its scores: shot changes, pauses, edge snapping and the 9:16 follow
profile, all fed by the same decode as the features (:class:`ReelAnalysis`)."""
from .analyzers import BaseAnalyzer, shared_audio_spec
from .follow import ActivityProfile, follow_track, window_fraction
from .pauses import LoudnessEnvelope, envelope_of
from .reel import ReelAnalysis, SourceAnalysis
from .shots import ShotDetector, Transition, detect_shots
from .snapping import EdgeSnapper, snap_segments

__all__ = ['BaseAnalyzer', 'shared_audio_spec', 'ActivityProfile', 'follow_track', 'window_fraction',
           'LoudnessEnvelope', 'envelope_of', 'ReelAnalysis', 'SourceAnalysis', 'ShotDetector', 'Transition',
           'detect_shots', 'EdgeSnapper', 'snap_segments']
