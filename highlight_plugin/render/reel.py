"""Cutting a result's segments into clips (with posters) and joining them into the reel, in the story's order.

Each file is inspected once; the clips are planned (where they lie, their audio:
:func:`~highlight_plugin.render.cut.plan_clips`), then encoded :data:`CUT_WORKERS` ffmpeg runs at a time (two keep
the cores busy through each one's serial steps), the reel's audio rendered beside them.
"""
import os
import os.path as osp
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

import numpy as np

from ..media.clock import CutSource, inspect_source
from . import cut as cutting
from .options import RenderOptions

CUT_WORKERS = 2  # clips cut at once


def time_order(seg: dict):
    """The story's order of segments: match half, then start."""
    return seg.get('half', 0), seg['start']


@dataclass
class SourceCut:
    """What cutting one file needs: its analysis (or None), its timing, the audio stream and whether clips get
    sound."""
    analysis: Optional[object]
    source: CutSource
    stream: int
    has_audio: bool


def source_cuts(result) -> Dict[str, SourceCut]:
    """:class:`SourceCut` of every file ``result``'s segments are cut from."""
    out = {}
    for seg in result.segments:
        path = result.source_of(seg)
        if path not in out:
            a = result.analysis.get(path)
            source = a.cut if a is not None else inspect_source(path)
            stream = a.audio_stream if a is not None else (0 if source.audio_streams else None)
            out[path] = SourceCut(a, source, stream or 0, stream is not None and result.sources.get(path, True))
    return out


def best_moment(result, seg: dict) -> float:
    """Seconds from a segment's start to its best moment: its event (football), else its highest score."""
    length = seg['end'] - seg['start']
    if seg.get('event') is not None:
        return min(max(seg['event'] - seg['start'], 0.0), length)
    k0 = int(np.floor(seg['start'] / result.clip_len))
    k1 = max(int(np.ceil(seg['end'] / result.clip_len)), k0 + 1)
    scores = np.asarray(result.scores[k0:k1], np.float64)
    if not len(scores):
        return length / 2
    t = (k0 + int(np.argmax(scores)) + 0.5) * result.clip_len - seg['start']
    return min(max(t, 0.0), length)


class ReelCutter:
    """Cuts the segments of ``result`` (``segments``: its ranked segments, copied; each gets ``clip`` and
    ``poster``) into ``stage/clips`` and joins the reel (:meth:`run`)."""

    def __init__(self, result, segments: List[dict], stage: str, options: RenderOptions):
        self.result, self.segments, self.stage, self.options = result, segments, stage, options
        self.files = source_cuts(result)

    def file_of(self, i: int) -> SourceCut:
        return self.files[self.result.source_of(self.segments[i])]

    def plan(self, i: int):
        """``(span, audio plan)`` of clip ``i``."""
        f = self.file_of(i)
        loudness = self.options.loudness if f.has_audio else None
        (span,), (audio,) = cutting.plan_clips(f.source, [self.segments[i]], 'clip', loudness, audio_stream=f.stream)
        return span, audio if f.has_audio else None

    def make(self, i: int, span, audio):
        """Encode clip ``i`` (and its poster); returns ``(clip path, poster path or None)``."""
        from ..analysis.follow import follow_track, window_fraction
        seg, f = self.segments[i], self.file_of(i)
        track = None
        if self.options.vertical == 'follow' and f.analysis is not None and f.analysis.profile is not None:
            track = follow_track(f.analysis.profile, seg['start'], seg['end'], f.analysis.transitions,
                                 window=window_fraction(f.source.width, f.source.height), fps=f.source.fps)
        clip = osp.join(self.stage, 'clips', f'highlight_{i + 1:03d}.mp4')
        poster = (best_moment(self.result, seg), clip[:-4] + '.jpg') if self.options.posters else None
        cutting.cut_clip(self.result.source_of(seg), seg['start'], seg['end'], clip, vertical=self.options.vertical,
                         has_audio=f.has_audio, preset=self.options.preset, source=f.source, span=span,
                         audio_plan=audio, audio_stream=f.stream, vertical_height=self.options.vertical_size,
                         track=track, poster=poster)
        return clip, None if poster is None else poster[1]

    def run(self, update: Callable[[int], None]) -> Optional[str]:
        """Cut every clip, then join the reel (when asked and there are clips); returns the reel's path."""
        os.makedirs(osp.join(self.stage, 'clips'), exist_ok=True)
        order = sorted(range(len(self.segments)), key=lambda i: time_order(self.segments[i]))
        pool = ThreadPoolExecutor(max(1, min(CUT_WORKERS, len(self.segments))))
        try:
            plans = list(pool.map(self.plan, range(len(self.segments))))
            notes = cutting.loudness_notes([p[1] for p in plans], self.options.loudness)
            self.result.notes += [n for n in notes if n not in self.result.notes]
            parts = [(self.file_of(i), *plans[i]) for i in order]
            wav = osp.join(self.stage, 'reel_audio.wav')
            audio = bool(self.options.reel and parts and all(p[2] is not None for p in parts))
            jobs = {pool.submit(self.make, i, *plans[i]): i for i in range(len(self.segments))}
            if audio:
                jobs[pool.submit(cutting.reel_audio, [p[0].source for p in parts], [p[1] for p in parts],
                                 [p[2] for p in parts], wav, [p[0].stream for p in parts])] = None
            for job in as_completed(jobs):
                i = jobs[job]
                if i is not None:
                    self.segments[i]['clip'], poster = job.result()
                    if poster is not None:
                        self.segments[i]['poster'] = poster
                    update(1)
                else:
                    job.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        if not (self.options.reel and parts):
            return None
        return self._join(parts, order, wav if audio else None, update)

    def _join(self, parts, order, wav, update):
        reel = osp.join(self.stage, 'reel.mp4')
        cutting.join_reel([p[0].source for p in parts], [p[1] for p in parts], [p[2] for p in parts],
                          [self.segments[i]['clip'] for i in order], reel, audio_file=wav)
        if wav is not None:
            os.remove(wav)
        update(1)
        return reel
