"""A self-contained HTML report page: the curve (click it to play from there), the reel, the clips with posters.

Playing from the curve uses the source video when a browser can play it (an MP4/MOV/WebM container with H.264,
VP8/9 or AV1 video and AAC, MP3, Opus or Vorbis audio: :func:`web_playable`), referenced by a relative URL (every
path in the page is quoted: ``Match #1.mp4`` plays); else (a transport stream, HEVC, ...) the clip nearest to the
time clicked, from the matching moment. Segments with a ``source`` of their own (the two halves of a match in two
files) get one timeline per file. Football segments (``class``, ``clock``, ``confidence``, ``half``, ``event``) are
drawn as markers, one lane per class.

The page needs no network and no library: the curve is inline SVG, the script a few lines at the end of the page.
"""
import html
import json
import os.path as osp
from urllib.parse import quote

from ..engine.errors import DataError
from ..media.probe import probe
from .io import atomic_write_text
from .plot import hms, saliency_svg

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


_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1200px;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.4em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:middle}
.curve{cursor:pointer;display:block}.curve text{font-size:11px;fill:#444}.curve .seglab{font-weight:bold}
.curve .seg:hover{fill-opacity:.45}.curve .event{cursor:pointer}
.notes{background:#fff8e1;border:1px solid #f0d58c;padding:.5em 1em}
.hint{color:#666;font-size:.9em}#player{max-width:100%;background:#000}
tr.playing{background:#fff3e0}
"""

# Records every media event into the page (the browser test reads it), then: click the curve to play from there.
_SCRIPT = """
(function(){
  var report = window.__report = {errors: [], loaded: 0, videos: document.querySelectorAll('video').length};
  window.addEventListener('error', function(e){
    report.errors.push(String(e.message || e.target && e.target.src)); }, true);
  document.querySelectorAll('video').forEach(function(v){
    v.addEventListener('loadedmetadata', function(){ report.loaded += 1; v.dataset.loaded = '1'; });
  });
  var data = JSON.parse(document.getElementById('report-data').textContent);
  function seek(video, t){
    var go = function(){ video.currentTime = t; var p = video.play(); if (p) p.catch(function(){}); };
    if (video.readyState >= 1) go(); else video.addEventListener('loadedmetadata', go, {once: true});
  }
  function playAt(t, file){
    var player = document.getElementById('player');
    var source = data.sources[file];
    if (player && source && source.playable){
      if (player.dataset.file !== file){ player.src = source.url; player.dataset.file = file; }
      player.scrollIntoView({block: 'nearest'}); seek(player, t); report.last = {file: file, t: t, player: 'source'};
      return;
    }
    var best = null, gap = Infinity;
    data.clips.forEach(function(c){
      if (c.file !== file || !c.clip) return;
      var d = t < c.start ? c.start - t : (t > c.end ? t - c.end : 0);
      if (d < gap){ gap = d; best = c; }
    });
    if (!best) return;
    var video = document.getElementById('clip-' + best.rank);
    document.querySelectorAll('tr.playing').forEach(function(r){ r.classList.remove('playing'); });
    video.closest('tr').classList.add('playing');
    video.scrollIntoView({block: 'nearest'});
    seek(video, Math.min(Math.max(t - best.start, 0), best.end - best.start));
    report.last = {file: file, t: t, player: 'clip-' + best.rank};
  }
  document.querySelectorAll('svg.curve').forEach(function(svg){
    svg.addEventListener('click', function(e){
      var box = svg.getBoundingClientRect(), scale = box.width / Number(svg.dataset.width);
      var x = (e.clientX - box.left) / scale, x0 = Number(svg.dataset.x0), x1 = Number(svg.dataset.x1);
      var t = Number(svg.dataset.t0) + (x - x0) / (x1 - x0) * (Number(svg.dataset.t1) - Number(svg.dataset.t0));
      t = Math.min(Math.max(t, 0), Number(svg.dataset.t1));
      var cursor = svg.querySelector('[id^=cursor]');
      if (cursor){
        cursor.setAttribute('x1', x); cursor.setAttribute('x2', x); cursor.setAttribute('visibility', 'visible'); }
      playAt(t, svg.dataset.file);
    });
  });
})();
"""


def write_report(out_path, source, segments, plot=None, reel=None, exports=(), *, scores=None, clip_len=None,
                 duration=None, transitions=(), notes=(), playable=None, title=None, durations=None):
    """Write the report page.

    Args:
        source: the video (for a two-file match, the first; segments with their own ``source`` name the other).
        segments: ranked, with start, end, score and optionally ``clip`` (its cut file), ``poster`` (an image),
            and the football fields (``class``, ``clock``, ``confidence``, ``half``, ``event``, ``source``).
        plot: a PNG of the curve (linked under the interactive one).
        scores, clip_len, duration: the saliency curve; without it the timeline shows the segments only.
        transitions: shot changes of ``source`` (drawn on its timeline), or a dict file -> its shot changes.
        notes: lines shown in a box at the top (e.g. that the video has no audio).
        playable: whether the browser can play the sources (default: :func:`web_playable`).
        title: the page's title (default: the source's name).
        durations: seconds of each source (path -> seconds), for the timelines of the other files.
    """
    base = osp.dirname(osp.abspath(out_path))

    def rel(path):  # a relative URL: every character a file name may hold that means something in a URL quoted
        return quote(osp.relpath(osp.abspath(str(path)), base).replace(osp.sep, '/'))

    files = [str(source)] + sorted({str(s['source']) for s in segments if s.get('source')} - {str(source)})
    sources = {}
    for i, f in enumerate(files):
        can = web_playable(f) if playable is None else bool(playable)
        sources[f'f{i}'] = dict(url=rel(f), playable=can, name=osp.basename(f))
    key = {f: f'f{i}' for i, f in enumerate(files)}
    clips = [dict(rank=i, start=s['start'], end=s['end'], file=key[str(s.get('source') or source)],
                  clip=rel(s['clip']) if s.get('clip') else None) for i, s in enumerate(segments, 1)]

    name = html.escape(title or osp.basename(str(source)))
    total = sum(s['end'] - s['start'] for s in segments)
    parts = ['<!doctype html><html><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             '<link rel="icon" href="data:,">', f'<title>Highlights of {name}</title>',
             f'<style>{_STYLE}</style></head><body>', f'<h1>Highlights of {name}</h1>',
             f'<p>{len(segments)} clips, {total:.1f} s in total.</p>']
    if notes:
        parts.append('<div class="notes">' + ''.join(f'<p>{html.escape(n)}</p>' for n in notes) + '</div>')
    shots = {str(k): v for k, v in transitions.items()} if isinstance(transitions, dict) else {
        str(source): transitions}
    classes = list(dict.fromkeys(str(s['class']) for s in segments if s.get('class') is not None))
    for f in files:
        segs = [s for s in segments if str(s.get('source') or source) == f]
        own = f == str(source)
        svg = saliency_svg(scores if own else None, clip_len or 1.0, segs,
                           duration=duration if own else (durations or {}).get(f),
                           transitions=shots.get(f, ()), classes=classes)
        svg = svg.replace('<svg id="curve"', f'<svg id="curve-{key[f]}" data-file="{key[f]}"', 1)
        svg = svg.replace('id="cursor"', f'id="cursor-{key[f]}"')
        heading = 'Timeline' if len(files) == 1 else f'Timeline of {html.escape(osp.basename(f))}'
        how = ('the source video' if sources[key[f]]['playable'] else 'the nearest clip (the source is not '
               'playable in a browser)')
        parts.append(f'<h2>{heading}</h2><p class="hint">Click to play {how} from there.</p>{svg}')
    first = next((k for k, s in sources.items() if s['playable']), None)
    if first:  # the source itself, ready to play from wherever the timeline is clicked
        parts.append(f'<video id="player" src="{html.escape(sources[first]["url"])}" data-file="{first}" controls '
                     f'preload="metadata" width="800"></video>')
    if plot and scores is None:  # no curve to draw: the picture of it
        parts.append(f'<img src="{html.escape(rel(plot))}" alt="saliency over time" style="max-width:100%">')
    elif plot:
        parts.append(f'<p><a href="{html.escape(rel(plot))}">The curve as an image</a></p>')
    if reel:
        parts.append(f'<h2>Reel</h2><video id="reel" src="{html.escape(rel(reel))}" controls preload="metadata" '
                     f'width="640"></video>')
    football = any(s.get('class') is not None for s in segments)
    head = '<tr><th>#</th><th>start</th><th>end</th><th>length</th><th>score</th>'
    head += '<th>event</th><th>clock</th>' if football else ''
    rows = []
    for i, seg in enumerate(segments, 1):
        clip = ''
        if seg.get('clip'):
            poster = f' poster="{html.escape(rel(seg["poster"]))}"' if seg.get('poster') else ''
            clip = (f'<video id="clip-{i}" src="{html.escape(rel(seg["clip"]))}"{poster} controls '
                    f'preload="metadata" width="320"></video>')
        elif seg.get('poster'):
            clip = f'<img src="{html.escape(rel(seg["poster"]))}" width="320" alt="clip {i}">'
        row = (f'<tr id="row-{i}"><td>{i}</td><td>{hms(seg["start"])}</td><td>{hms(seg["end"])}</td>'
               f'<td>{seg["end"] - seg["start"]:.1f} s</td><td>{seg.get("score", float("nan")):.3f}</td>')
        if football:
            row += (f'<td>{html.escape(str(seg.get("class", "")))}</td>'
                    f'<td>{html.escape(str(seg.get("clock", "")))}</td>')
        rows.append(row + f'<td>{clip}</td></tr>')
    parts.append('<h2>Clips</h2><table>' + head + '<th>clip</th></tr>' + ''.join(rows) + '</table>')
    if exports:
        links = ' · '.join(f'<a href="{html.escape(rel(p))}">{html.escape(osp.basename(p))}</a>' for p in exports if p)
        parts.append(f'<p>Exports: {links}</p>')
    data = json.dumps(dict(sources=sources, clips=clips)).replace('</', '<\\/')
    parts.append(f'<script type="application/json" id="report-data">{data}</script>')
    parts.append(f'<script>{_SCRIPT}</script></body></html>')
    return atomic_write_text(out_path, '\n'.join(parts))
