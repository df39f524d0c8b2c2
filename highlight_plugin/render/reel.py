"""Cutting a result's segments into clips (with posters) and joining them into the reel, in the story's order (or
an editor's).

Each file is inspected once; the clips are planned (where they lie, their audio:
:func:`~highlight_plugin.render.cut.plan_clips`), then encoded :data:`CUT_WORKERS` ffmpeg runs at a time (two keep
the cores busy through each one's serial steps), the reel's audio rendered beside them.

Every clip gets a key (:meth:`ReelCutter.key`: its file, span, shape, loudness, poster); a clip whose key matches one
of ``reuse`` (:func:`reusable_cuts`: the clips of the reel already in the folder, checked on disk) is linked, not
cut again, with its saved span and audio plan: a re-cut encodes only what changed.
"""
import hashlib
import json
import os
import os.path as osp
import shutil
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from typing import Callable, Dict, List, Optional

import numpy as np

from ..media.clock import CutSource, inspect_source
from . import cut as cutting
from .options import RenderOptions

CUT_WORKERS = 2  # clips cut at once
CUT_VERSION = 1  # part of every clip's key: bump when the cutting changes what a clip holds (old clips are re-cut)


def time_order(seg: dict):
    """The story's order of segments: match half, then start."""
    return seg.get('half', 0), seg['start']


def reel_order(result, segments: List[dict]) -> List[int]:
    """Indices of ``segments`` in the reel's order: the story's (:func:`time_order`), or their own when an editor
    ordered them (``result.order == 'rank'``)."""
    if getattr(result, 'order', 'story') == 'rank':
        return list(range(len(segments)))
    return sorted(range(len(segments)), key=lambda i: time_order(segments[i]))


@dataclass
class Reusable:
    """A clip already cut (and its poster), with the span and audio plan it was cut with."""
    clip: str
    poster: Optional[str]
    span: object  # cut.Span
    audio: Optional[object]  # cut.AudioPlan


def _stat(path) -> Optional[list]:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def reusable_cuts(result) -> Dict[str, Reusable]:
    """The clips of ``result`` (as written: ``segments`` with ``clip`` and ``key``, ``cuts``) still on disk as they
    were written (same sizes and times): key -> :class:`Reusable`."""
    out = {}
    for seg in result.segments:
        record = result.cuts.get(seg.get('key'))
        if not record or not seg.get('clip') or _stat(seg['clip']) != record.get('clip'):
            continue
        poster = seg.get('poster')
        if record.get('poster') is not None and _stat(poster) != record['poster']:
            continue
        try:
            span = cutting.Span(**record['span'])
            audio = None if record['audio'] is None else cutting.AudioPlan(**record['audio'])
        except (TypeError, KeyError):  # saved by another version of the cutting code
            continue
        out[seg['key']] = Reusable(seg['clip'], poster if record.get('poster') is not None else None, span, audio)
    return out


def _link(src, dst):
    """``dst`` as a hard link to ``src`` (a copy where links are not possible); the stats stay the same."""
    os.makedirs(osp.dirname(dst), exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


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
    """Cuts the segments of ``result`` (``segments``: its ranked segments, copied; each gets ``clip``, ``poster``
    and ``key``) into ``stage/clips`` and joins the reel (:meth:`run`); ``reuse``: clips already cut, by key.
    :attr:`records` (key -> span, audio plan, file sizes) becomes the result's ``cuts``."""

    def __init__(self, result, segments: List[dict], stage: str, options: RenderOptions,
                 reuse: Optional[Dict[str, Reusable]] = None):
        self.result, self.segments, self.stage, self.options = result, segments, stage, options
        self.files = source_cuts(result)
        self.reuse = reuse or {}
        self.records: Dict[str, dict] = {}
        for i, seg in enumerate(segments):
            seg['key'] = self.key(i)

    def file_of(self, i: int) -> SourceCut:
        return self.files[self.result.source_of(self.segments[i])]

    def following(self, i: int) -> bool:
        """Whether clip ``i`` follows the action (9:16 'follow' with a profile; else a centre crop)."""
        a = self.file_of(i).analysis
        return self.options.vertical == 'follow' and a is not None and a.profile is not None

    def key(self, i: int) -> str:
        """What clip ``i`` is made of (file, span, shape, loudness, poster), hashed: equal keys, equal clips."""
        seg, f = self.segments[i], self.file_of(i)
        path = self.result.source_of(seg)
        options = self.options
        doc = dict(version=CUT_VERSION, file=osp.abspath(path), stat=_stat(path), start=round(seg['start'], 3),
                   end=round(seg['end'], 3), audio=f.stream if f.has_audio else None, vertical=options.vertical,
                   follow=self.following(i), size=options.vertical_size, preset=options.preset,
                   loudness=None if options.loudness is None else asdict(options.loudness),
                   poster=round(best_moment(self.result, seg), 3) if options.posters else None)
        return hashlib.sha1(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]

    def plan(self, i: int):
        """``(span, audio plan)`` of clip ``i``."""
        done = self.reuse.get(self.segments[i]['key'])
        if done is not None:
            return done.span, done.audio
        f = self.file_of(i)
        loudness = self.options.loudness if f.has_audio else None
        (span,), (audio,) = cutting.plan_clips(f.source, [self.segments[i]], 'clip', loudness, audio_stream=f.stream)
        return span, audio if f.has_audio else None

    def make(self, i: int, span, audio):
        """Encode clip ``i`` (and its poster), or link the one already cut; returns ``(clip path, poster path or
        None)``."""
        seg = self.segments[i]
        clip = osp.join(self.stage, 'clips', f'highlight_{i + 1:03d}.mp4')
        done = self.reuse.get(seg['key'])
        if done is not None:
            _link(done.clip, clip)
            poster = None if done.poster is None else (None, clip[:-4] + '.jpg')
            if poster is not None:
                _link(done.poster, poster[1])
        else:
            poster = self._encode(i, span, audio, clip)
        self.records[seg['key']] = dict(span=asdict(span), audio=None if audio is None else asdict(audio),
                                        clip=_stat(clip), poster=None if poster is None else _stat(poster[1]))
        return clip, None if poster is None else poster[1]

    def _encode(self, i: int, span, audio, clip):
        """Encode clip ``i`` to ``clip`` with its poster; returns the poster's ``(t, path)`` or None."""
        from ..analysis.follow import follow_track, window_fraction
        seg, f = self.segments[i], self.file_of(i)
        track = None
        if self.following(i):
            track = follow_track(f.analysis.profile, seg['start'], seg['end'], f.analysis.transitions,
                                 window=window_fraction(f.source.width, f.source.height), fps=f.source.fps)
        poster = (best_moment(self.result, seg), clip[:-4] + '.jpg') if self.options.posters else None
        cutting.cut_clip(self.result.source_of(seg), seg['start'], seg['end'], clip, vertical=self.options.vertical,
                         has_audio=f.has_audio, preset=self.options.preset, source=f.source, span=span,
                         audio_plan=audio, audio_stream=f.stream, vertical_height=self.options.vertical_size,
                         track=track, poster=poster)
        return poster

    def run(self, update: Callable[[int], None]) -> Optional[str]:
        """Cut every clip, then join the reel (when asked and there are clips); returns the reel's path."""
        os.makedirs(osp.join(self.stage, 'clips'), exist_ok=True)
        order = reel_order(self.result, self.segments)
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
