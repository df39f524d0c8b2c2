"""A self-contained HTML report page: the plot, the reel and a table of the clips."""
import html
import os.path as osp

from .io import atomic_write_text


def _hms(seconds):
    seconds = int(round(seconds))
    return f'{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}'


def write_report(out_path, source, segments, plot=None, reel=None, exports=()):
    """``segments`` carry start, end, score and optionally ``clip`` (path of the cut file); paths are made relative."""
    base = osp.dirname(osp.abspath(out_path))

    def rel(path):
        return html.escape(osp.relpath(osp.abspath(path), base))

    rows = []
    for i, seg in enumerate(segments, 1):
        clip = (f'<video src="{rel(seg["clip"])}" controls preload="metadata" width="320"></video>'
                if seg.get('clip') else '')
        rows.append(f'<tr><td>{i}</td><td>{_hms(seg["start"])}</td><td>{_hms(seg["end"])}</td>'
                    f'<td>{seg["end"] - seg["start"]:.1f} s</td><td>{seg.get("score", float("nan")):.3f}</td>'
                    f'<td>{clip}</td></tr>')
    parts = [
        '<!doctype html><html><head><meta charset="utf-8">',
        f'<title>Highlights of {html.escape(osp.basename(source))}</title>',
        '<style>body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse}'
        'td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}img{max-width:100%}</style></head><body>',
        f'<h1>Highlights of {html.escape(osp.basename(source))}</h1>',
        f'<p>{len(segments)} clips, {sum(s["end"] - s["start"] for s in segments):.1f} s in total.</p>',
    ]
    if plot:
        parts.append(f'<img src="{rel(plot)}" alt="saliency over time">')
    if reel:
        parts.append(f'<h2>Reel</h2><video src="{rel(reel)}" controls preload="metadata" width="640"></video>')
    parts.append('<h2>Clips</h2><table><tr><th>#</th><th>start</th><th>end</th><th>length</th><th>score</th>'
                 '<th>clip</th></tr>' + ''.join(rows) + '</table>')
    if exports:
        links = ' · '.join(f'<a href="{rel(p)}">{html.escape(osp.basename(p))}</a>' for p in exports)
        parts.append(f'<p>Exports: {links}</p>')
    parts.append('</body></html>')
    return atomic_write_text(out_path, '\n'.join(parts))
