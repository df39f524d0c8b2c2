"""Cutting segments out of a video and joining them into a reel, with the bundled ffmpeg.

Every clip is re-encoded (H.264 + AAC) so cuts are frame-accurate and all clips share one encoding, which
lets the reel be joined by stream copy. Files are written under a temporary name and renamed when complete.
"""
import os.path as osp
import subprocess
import tempfile

from ..engine.errors import DataError
from ..engine.fileio import atomic_path
from ..features.media import ffmpeg_exe

# 9:16 layouts for short-form platforms (1080x1920): a centre crop, or the whole frame over a blurred fill.
VERTICAL_FILTERS = dict(
    crop='crop=trunc(ih*9/16/2)*2:ih,scale=1080:1920,setsar=1',
    blur=('split[a][b];[a]scale=1080:1920:force_original_aspect_ratio=increase,crop=1080:1920,boxblur=20[bg];'
          '[b]scale=1080:1920:force_original_aspect_ratio=decrease[fg];[bg][fg]overlay=(W-w)/2:(H-h)/2,setsar=1'))


def _run(cmd, target):
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, errors='replace')
    if proc.returncode != 0:
        last = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()][-1:] or ['no message']
        raise DataError(f'ffmpeg failed writing {target}: {last[0]}')


def cut_clip(video, start, end, out_path, vertical=None, has_audio=True, crf=20, preset='veryfast'):
    """Write ``video[start:end]`` (seconds) to ``out_path`` as H.264/AAC MP4; ``vertical`` in (None, 'crop', 'blur')."""
    if vertical not in (None, *VERTICAL_FILTERS):
        raise ValueError(f'vertical must be None, "crop" or "blur", got {vertical!r}')
    cmd = [ffmpeg_exe(), '-y', '-nostdin', '-loglevel', 'error', '-ss', f'{start:.3f}', '-i', str(video),
           '-t', f'{end - start:.3f}', '-map', '0:v:0']
    if has_audio:
        cmd += ['-map', '0:a:0?', '-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2']
    if vertical:
        cmd += ['-vf', VERTICAL_FILTERS[vertical]]
    cmd += ['-c:v', 'libx264', '-crf', str(crf), '-preset', preset, '-pix_fmt', 'yuv420p', '-movflags', '+faststart']
    with atomic_path(out_path) as tmp:
        _run(cmd + [tmp], out_path)
    return out_path


def concat_clips(clips, out_path):
    """Join clips that share one encoding (as :func:`cut_clip` writes them) without re-encoding."""
    if not clips:
        raise ValueError('no clips to join')
    with tempfile.NamedTemporaryFile('w', suffix='.txt') as listing, atomic_path(out_path) as tmp:
        for clip in clips:
            listing.write("file '{}'\n".format(osp.abspath(clip).replace("'", r"'\''")))
        listing.flush()
        _run([ffmpeg_exe(), '-y', '-nostdin', '-loglevel', 'error', '-f', 'concat', '-safe', '0', '-i', listing.name,
              '-c', 'copy', '-movflags', '+faststart', tmp], out_path)
    return out_path
