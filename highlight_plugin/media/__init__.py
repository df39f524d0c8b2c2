"""Reading media: what a file holds (:func:`probe`, PyAV), its clock and frame grid (:mod:`.clock`), its frames and
audio streamed from ffmpeg (one run split into the branches the recipes and the analysis need), and the published
pipelines' own readings (SoccerNet, librosa)."""
from . import librosa_audio, soccernet  # noqa: F401  (register their readings)
from .audio import audio_reader, read_audio, read_silence, register_audio_method
from .branches import FRAME_FILTERS, read_branches, register_frame_filter, source_fps
from .clock import CutSource, FrameGrid, StreamStarts, inspect_source, stream_starts
from .files import VIDEO_EXTS, collect_videos
from .frames import frame_reader, read_frames, read_frames_decord, register_frame_sampling
from .librosa_audio import read_audio_librosa
from .probe import AudioStream, MediaInfo, ffmpeg_exe, probe, select_audio_stream
from .rates import STANDARD_RATES, nearest_standard_rate, snap_rate
from .soccernet import read_audio_vandd, read_frames_soccernet, resize_area
from .specs import AudioSpec, FrameSpec

__all__ = [
    'audio_reader', 'read_audio', 'read_silence', 'register_audio_method', 'FRAME_FILTERS', 'read_branches',
    'register_frame_filter', 'source_fps', 'VIDEO_EXTS', 'collect_videos', 'frame_reader', 'read_frames',
    'read_frames_decord', 'register_frame_sampling', 'read_audio_librosa', 'AudioStream', 'MediaInfo', 'ffmpeg_exe',
    'probe', 'select_audio_stream', 'read_audio_vandd', 'read_frames_soccernet', 'resize_area', 'AudioSpec',
    'FrameSpec', 'CutSource', 'FrameGrid', 'StreamStarts', 'inspect_source', 'stream_starts', 'STANDARD_RATES',
    'nearest_standard_rate', 'snap_rate'
]
