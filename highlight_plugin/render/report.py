"""A self-contained HTML report page: the curve (click it to play from there), the reel, the clips with posters.

Playing from the curve uses the source video when a browser can play it (an MP4/MOV/WebM container with H.264,
VP8/9 or AV1 video and AAC, MP3, Opus or Vorbis audio: :func:`web_playable`), referenced by a relative URL (every
path in the page is quoted: ``Match #1.mp4`` plays); else (a transport stream, HEVC, ...) the clip nearest to the
time clicked, from the matching moment. Segments with a ``source`` of their own (the two halves of a match in two
files) get one timeline per file. Football segments (``class``, ``clock``, ``confidence``, ``half``, ``event``) are
drawn as markers, one lane per class.

The page needs no network and no library: the curve is inline SVG, the script a few lines at the end of the page.
It is rendered from ``templates/report.html.j2`` with autoescaping; URLs are quoted here, before.
"""
import json
import os.path as osp
from dataclasses import dataclass
from typing import Dict, Optional, Sequence
from urllib.parse import quote

from markupsafe import Markup

from ..engine.errors import DataError
from ..media.probe import probe
from .curve import saliency_svg
from .io import atomic_write_text
from .plot import hms
from .templates import render_template

WEB_CONTAINERS = ('.mp4', '.m4v', '.mov', '.webm')
WEB_VIDEO = ('h264', 'vp8', 'vp9', 'av1')
WEB_AUDIO = ('aac', 'mp3', 'opus', 'vorbis')


def web_playable(path) -> bool:
    """Whether a browser plays ``path`` as is (container and first video/audio codecs; see the module doc)."""
    if osp.splitext(str(path))[1].lower() not in WEB_CONTAINERS or not osp.isfile(str(path)):
        return False
    try:
        info = probe(str(path))
    except DataError:
        return False
    audio = info.audio[0].codec if info.audio else 'aac'
    return info.video_codec in WEB_VIDEO and audio in WEB_AUDIO


@dataclass
class ReportPage:
    """What the report page shows.

    Attributes:
        source: the video (for a two-file match, the first; segments with their own ``source`` name the other).
        segments: ranked, with start, end, score and optionally ``clip`` (its cut file), ``poster`` (an image), and
            the football fields (``class``, ``clock``, ``confidence``, ``half``, ``event``, ``source``).
        plot: a PNG of the curve (linked under the interactive one). reel: the reel's file. exports: files linked.
        scores, clip_len, duration: the saliency curve; without it the timeline shows the segments only.
        transitions: shot changes of ``source`` (drawn on its timeline), or a dict file -> its shot changes.
        notes: lines shown in a box at the top (e.g. that the video has no audio).
        playable: whether the browser can play the sources (default: :func:`web_playable`).
        title: the page's title (default: the source's name).
        durations: seconds of each source (path -> seconds), for the timelines of the other files.
    """
    source: str
    segments: Sequence[dict]
    plot: Optional[str] = None
    reel: Optional[str] = None
    exports: Sequence[str] = ()
    scores: Optional[Sequence[float]] = None
    clip_len: Optional[float] = None
    duration: Optional[float] = None
    transitions: object = ()
    notes: Sequence[str] = ()
    playable: Optional[bool] = None
    title: Optional[str] = None
    durations: Optional[Dict[str, float]] = None


def _url(path, base) -> str:
    """A relative URL: every character a file name may hold that means something in a URL quoted (HTML escaping,
    done by the template, does not do that: ``Match #1.mp4`` would not play)."""
    return quote(osp.relpath(osp.abspath(str(path)), base).replace(osp.sep, '/'))


def _timelines(page: ReportPage, files, key, sources):
    """One timeline per file: the curve of the source, the segments and shot changes of each."""
    shots = ({str(k): v for k, v in page.transitions.items()} if isinstance(page.transitions, dict)
             else {str(page.source): page.transitions})
    classes = list(dict.fromkeys(str(s['class']) for s in page.segments if s.get('class') is not None))
    out = []
    for f in files:
        own = f == str(page.source)
        segs = [s for s in page.segments if str(s.get('source') or page.source) == f]
        svg = saliency_svg(page.scores if own else None, page.clip_len or 1.0, segs,
                           duration=page.duration if own else (page.durations or {}).get(f),
                           transitions=shots.get(f, ()), classes=classes, file_key=key[f])
        how = ('the source video' if sources[key[f]]['playable'] else 'the nearest clip (the source is not '
               'playable in a browser)')
        out.append(dict(heading='Timeline' if len(files) == 1 else f'Timeline of {osp.basename(f)}', how=how,
                        svg=Markup(svg)))
    return out


def _rows(page: ReportPage, url):
    return [dict(rank=i, start=hms(s['start']), end=hms(s['end']), length=f'{s["end"] - s["start"]:.1f} s',
                 score=f'{s.get("score", float("nan")):.3f}', event=str(s.get('class', '')),
                 clock=str(s.get('clock', '')), clip=url(s['clip']) if s.get('clip') else None,
                 poster=url(s['poster']) if s.get('poster') else None) for i, s in enumerate(page.segments, 1)]


def write_report(out_path, source, segments, **fields):
    """Write the report page of ``source`` and its ranked ``segments``; ``fields``: the rest of
    :class:`ReportPage`. Returns ``out_path``."""
    page = ReportPage(str(source), segments, **fields)
    base = osp.dirname(osp.abspath(out_path))

    def url(path):
        return _url(path, base)

    files = [page.source] + sorted({str(s['source']) for s in segments if s.get('source')} - {page.source})
    key = {f: f'f{i}' for i, f in enumerate(files)}
    sources = {key[f]: dict(url=url(f), playable=web_playable(f) if page.playable is None else bool(page.playable),
                            name=osp.basename(f)) for f in files}
    clips = [dict(rank=i, start=s['start'], end=s['end'], file=key[str(s.get('source') or page.source)],
                  clip=url(s['clip']) if s.get('clip') else None) for i, s in enumerate(segments, 1)]
    first = next((k for k, s in sources.items() if s['playable']), None)
    data = json.dumps(dict(sources=sources, clips=clips)).replace('</', '<\\/')
    html_text = render_template(
        'report.html.j2', name=page.title or osp.basename(page.source), style=Markup(_asset('report.css')),
        script=Markup(_asset('report.js')), total=sum(s['end'] - s['start'] for s in segments),
        notes=list(page.notes), timelines=_timelines(page, files, key, sources), rows=_rows(page, url),
        player=dict(url=sources[first]['url'], key=first) if first else None,
        plot=url(page.plot) if page.plot else None, curve=page.scores is not None,
        reel=url(page.reel) if page.reel else None,
        football=any(s.get('class') is not None for s in segments),
        exports=[(url(p), osp.basename(p)) for p in page.exports if p], data=Markup(data))
    return atomic_write_text(out_path, html_text)


def _asset(name: str) -> str:
    """A style sheet or script inlined into the page (the page needs no other file)."""
    from importlib import resources
    return resources.files('highlight_plugin.render.templates').joinpath(name).read_text()
