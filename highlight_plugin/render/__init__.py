"""Segments -> reel: cutting, 9:16 reframing, editor exports, plot and report page."""
from .cut import concat_clips, cut_clip
from .exports import write_edl, write_otio
from .io import atomic_write_text, write_json
from .plot import plot_saliency
from .report import write_report

__all__ = ['cut_clip', 'concat_clips', 'write_edl', 'write_otio', 'atomic_write_text', 'write_json',
           'plot_saliency', 'write_report']
