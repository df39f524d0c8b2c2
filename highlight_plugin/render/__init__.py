"""Segments -> reel: cutting (exact frames, fades, loudness), 9:16 reframing, editor exports, plot and report page."""
from .curve import saliency_svg
from .cut import (LoudnessTarget, concat_clips, cut_clip, cut_clips, join_reel, loudness_notes, plan_clips,
                  poster_frame, reel_audio, reel_loudness, vertical_size)
from .exports import build_timeline, edit_source, export_notes, write_edl, write_exports, write_fcp_xml, write_otio
from .io import atomic_write_text, write_json
from .options import RenderOptions
from .outputs import write_highlights
from .plot import plot_saliency
from .report import web_playable, write_report

__all__ = ['cut_clip', 'cut_clips', 'concat_clips', 'join_reel', 'plan_clips', 'reel_audio', 'loudness_notes',
           'poster_frame', 'reel_loudness', 'vertical_size', 'LoudnessTarget', 'build_timeline', 'edit_source',
           'export_notes', 'write_edl', 'write_exports', 'write_fcp_xml', 'write_otio', 'atomic_write_text',
           'write_json', 'RenderOptions', 'write_highlights', 'plot_saliency', 'saliency_svg', 'web_playable',
           'write_report']
