"""Segments -> reel: cutting (exact frames, fades, loudness), 9:16 reframing, editor exports, plot and report page."""
from .cut import (LoudnessTarget, concat_clips, cut_clip, cut_clips, inspect_source, join_reel, plan_clips,
                  poster_frame, reel_audio, reel_loudness, stream_starts, vertical_size)
from .exports import write_edl, write_otio
from .io import atomic_write_text, write_json
from .options import RenderOptions
from .outputs import write_highlights
from .plot import plot_saliency, saliency_svg
from .report import web_playable, write_report

__all__ = ['cut_clip', 'cut_clips', 'concat_clips', 'join_reel', 'plan_clips', 'reel_audio', 'stream_starts',
           'inspect_source', 'poster_frame', 'reel_loudness', 'vertical_size', 'LoudnessTarget', 'write_edl',
           'write_otio', 'atomic_write_text', 'write_json', 'RenderOptions', 'write_highlights',
           'plot_saliency', 'saliency_svg', 'web_playable',
           'write_report']
