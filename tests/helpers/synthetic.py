"""Synthetic edited videos with a known ground truth, made by the bundled ffmpeg from its test sources.

For the tests and benchmarks of the reel tools (shot detection, edge snapping, loudness, reframing, exact cuts), and
for trying them without footage: shots of different test patterns joined by hard cuts, dissolves or fades through
black; audio of noise bursts with silent pauses at known times; a subject moving on one side of the frame; frames
that carry their own index as a 12-bit stripe code (:func:`frame_indices` reads it back).
"""
import subprocess
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

import numpy as np

from highlight_plugin.engine.fileio import atomic_path
from highlight_plugin.media.probe import ffmpeg_exe

# lavfi sources that look unlike each other and move (testsrc2, life, cellauto, mandelbrot) or not (bars)
SOURCES = ('testsrc2', 'smptehdbars', 'life=mold=10:ratio=0.5:seed=7:death_color=#204080', 'rgbtestsrc',
           'cellauto=rule=110:seed=3', 'mandelbrot', 'yuvtestsrc', 'smptebars')


@dataclass
class Shot:
    """One shot: a lavfi ``source`` (without size/rate) shown for ``seconds``, entered by ``transition`` ('cut',
    'dissolve' or 'fade' through black) lasting ``transition_seconds``."""
    source: str
    seconds: float
    transition: str = 'cut'
    transition_seconds: float = 1.0


@dataclass
class EditedVideo:
    """A made video and its truth: transitions ``(kind, start, end)`` (a cut has start == end), pauses."""
    path: str
    duration: float
    fps: float
    transitions: List[Tuple[str, float, float]] = field(default_factory=list)
    pauses: List[Tuple[float, float]] = field(default_factory=list)


def _run(cmd, path):
    with atomic_path(str(path)) as tmp:
        subprocess.run([ffmpeg_exe(), '-hide_banner', '-nostdin', '-v', 'error', '-y', *cmd, tmp], check=True)
    return str(path)


def _source(spec, size, fps, seconds):
    """``spec`` is a lavfi source, optionally followed by filters (``testsrc2,scroll=h=0.03``)."""
    source, _, filters = spec.partition(',')
    sep = ':' if '=' in source else '='
    return (f'{source}{sep}size={size}:rate={fps:g}' + (f',{filters}' if filters else '')
            + f',trim=duration={seconds},setpts=PTS-STARTPTS,format=yuv420p,setsar=1,settb=1/{fps:g}')


def _speech_like(seconds, pauses, rate, level=0.3, levels=(), seed=1):
    """Noise bursts at syllable rate (4 Hz), silent in ``pauses``; ``levels`` ``(start, end, gain)`` reshape it."""
    expr = (f'anoisesrc=d={seconds}:r={rate}:a={level}:c=pink:seed={seed},'
            f"volume=eval=frame:volume='0.55+0.45*sin(2*PI*4*t)'")
    for a, b in pauses:
        expr += f",volume=enable='between(t,{a},{b})':volume=0"
    for a, b, gain in levels:
        expr += f",volume=enable='between(t,{a},{b})':volume={gain}"
    return expr


def edited_video(path, shots: Sequence[Shot], size='320x180', fps=25, audio=True, pauses=(), levels=(),
                 flashes=(), crf=23, preset='veryfast', extra=(), seed=1) -> EditedVideo:
    """Join ``shots`` into an H.264 video at ``path`` (MP4 unless ``extra`` says otherwise), with speech-like audio
    (``audio``) silent during ``pauses`` (``(start, end)`` seconds) and gains ``levels`` (``(start, end, gain)``);
    ``flashes`` are frame indices turned white (a camera flash is no shot change); ``seed`` makes the noise."""
    graph, truth, length = [], [], 0.0
    for i, shot in enumerate(shots):
        graph.append(_source(shot.source, size, fps, shot.seconds) + f'[s{i}]')
        if i == 0:
            last, length = 's0', shot.seconds
            continue
        if shot.transition == 'cut':
            graph.append(f'[{last}][s{i}]concat=n=2:v=1:a=0,settb=1/{fps:g}[c{i}]')
            truth.append(('cut', length, length))
            length += shot.seconds
        else:
            d = shot.transition_seconds
            kind = dict(dissolve='fade', fade='fadeblack')[shot.transition]
            graph.append(f'[{last}][s{i}]xfade=transition={kind}:duration={d}:offset={length - d}[c{i}]')
            truth.append((shot.transition, length - d, length))
            length += shot.seconds - d
        last = f'c{i}'
    video = f'[{last}]' + ''.join(
        f"drawbox=w=iw:h=ih:color=white:t=fill:enable='eq(n,{n})'," for n in flashes) + 'null[v]'
    graph.append(video)
    cmd = ['-filter_complex', ';'.join(graph)]
    if audio:
        cmd += ['-f', 'lavfi', '-i', _speech_like(length, pauses, 48000, levels=levels, seed=seed)]
    cmd += ['-map', '[v]', '-c:v', 'libx264', '-preset', preset, '-crf', str(crf), '-pix_fmt', 'yuv420p']
    if audio:
        cmd += ['-map', '0:a', '-c:a', 'aac', '-b:a', '128k', '-shortest']
    _run([*cmd, *extra], path)
    return EditedVideo(str(path), length, fps, truth, list(pauses))


def subject_video(path, seconds=8.0, size='640x360', fps=25, box=48, sides=('left',), audio=False,
                  crf=23, preset='veryfast'):
    """A textured still background with a white ``box`` moving inside one third of the frame; one shot per entry of
    ``sides`` ('left', 'right', 'centre', or 'sweep': across the frame and back), of ``seconds`` each, on another
    background, joined by hard cuts. Returns the path and the box's
    ``(x, y)`` top-left corner per frame (pixels)."""
    w, h = map(int, size.split('x'))
    thirds = dict(left=0.0, centre=1 / 3, right=2 / 3)
    graph, positions = [], []
    n = int(round(seconds * fps))
    t = np.arange(n) / fps
    for i, side in enumerate(sides):
        if side == 'sweep':  # across the frame and back, slowly
            x0, span = 0.05 * w, 0.9 * w - box
            xs = x0 + span * (0.5 - 0.5 * np.cos(2 * np.pi * t / seconds))
            x_expr = f'floor({x0}+{span}*(0.5-0.5*cos(2*PI*t/{seconds})))'
        else:
            x0 = thirds[side] * w + 0.05 * w
            span = w / 3 - 0.1 * w - box
            xs = x0 + span * (0.5 + 0.5 * np.sin(2 * np.pi * t / 2.3 + i))
            x_expr = f'floor({x0}+{span}*(0.5+0.5*sin(2*PI*t/2.3+{i})))'
        ys = (h - box) * (0.5 + 0.4 * np.sin(2 * np.pi * t / 1.7 + i))
        positions += list(zip(np.floor(xs).astype(int), np.floor(ys).astype(int)))
        y_expr = f'floor({h - box}*(0.5+0.4*sin(2*PI*t/1.7+{i})))'
        graph.append(f'cellauto=rule={(30, 90, 110)[i % 3]}:size={w}x{h}:rate={fps}:scroll=0:start_full=1,'
                     f'trim=end_frame=1,loop=loop=-1:size=1,trim=duration={seconds},setpts=PTS-STARTPTS,'
                     f'format=yuv420p,lutyuv=y=val*{0.25 + 0.15 * (i % 2)}[bg{i}];'
                     f'color=c=white:size={box}x{box}:rate={fps}:duration={seconds}[box{i}];'
                     f"[bg{i}][box{i}]overlay=x='{x_expr}':y='{y_expr}':eval=frame:shortest=1,setsar=1[s{i}]")
    ins = ''.join(f'[s{i}]' for i in range(len(sides)))
    graph.append(f'{ins}concat=n={len(sides)}:v=1:a=0[v]')
    cmd = ['-filter_complex', ';'.join(graph), '-map', '[v]']
    if audio:
        speech = _speech_like(seconds * len(sides), (), 48000)
        cmd = ['-f', 'lavfi', '-i', speech] + cmd + ['-map', '0:a', '-c:a', 'aac']
    cmd += ['-c:v', 'libx264', '-preset', preset, '-crf', str(crf), '-pix_fmt', 'yuv420p']
    _run(cmd, path)
    return str(path), np.array(positions)


def _index_pattern(bits):
    """geq expression drawing frame ``N``'s index as ``bits`` black/white stripes (bit ``k`` in stripe ``k``)."""
    return f"geq=lum='255*mod(floor(N/pow(2\\,floor(X*{bits}/W)))\\,2)':cb=128:cr=128"


def index_video(path, seconds=12.0, size='192x108', fps=25, audio=True, extra=(), gop=None, bits=12,
                volume=None) -> str:
    """Frames that show their index as ``bits`` black/white stripes (bit ``k`` in stripe ``k``), with a tone
    (``audio``; ``volume`` in dB, e.g. -45 for a quiet source); ``fps`` may be exact ('24000/1001'); ``extra``
    output options (e.g. ``-output_ts_offset 10 -f mpegts``, ``-timecode 01:00:00:00``), ``gop`` frames between
    keyframes."""
    src = f"color=c=black:s={size}:r={fps}:d={seconds}," + _index_pattern(bits)
    cmd = ['-f', 'lavfi', '-i', src]
    if audio:
        tone = f'sine=f=440:d={seconds}:r=48000' + (f',volume={volume}dB' if volume is not None else '')
        cmd += ['-f', 'lavfi', '-i', tone]
    cmd += ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p']
    if gop:
        cmd += ['-g', str(gop), '-keyint_min', str(gop), '-sc_threshold', '0']
    if audio:
        cmd += ['-c:a', 'aac']
    return _run([*cmd, *extra], path)


def _variable_rate_select(parts):
    """``(base rate, select expression)`` keeping, in each ``(fps, seconds)`` part, every base/fps-th frame."""
    base = int(np.lcm.reduce([int(fps) for fps, _ in parts]))  # a rate every part's frames fall on
    ends = np.cumsum([seconds for _, seconds in parts])
    expr = '0'
    for (fps, _), end in reversed(list(zip(parts, ends))):
        expr = f'if(lt(t\\,{end})\\,not(mod(n\\,{base // int(fps)}))\\,{expr})'
    return base, expr, float(ends[-1])


def variable_rate_video(path, parts=((24, 2.0), (60, 2.0)), size='64x36', audio=True, volume=None,
                        bits=12, cut=None) -> str:
    """A variable-frame-rate MP4 as phones and screen recorders make them: ``(fps, seconds)`` parts one after the
    other (24 fps then 60 fps), frames showing their index (:func:`frame_indices`), with a tone (``audio``); or, with
    ``cut`` (seconds), two shots of test patterns joined by a hard cut there."""
    base, expr, total = _variable_rate_select(parts)
    if cut is None:
        graph = f"color=c=black:s={size}:r={base}:d={total},select='{expr}'," + _index_pattern(bits) + '[v]'
    else:
        graph = (f'testsrc2=s={size}:r={base}:d={total}[a];smptehdbars=s={size}:r={base}:d={total}[b];'
                 f"[a][b]overlay=enable='gte(t,{cut})',select='{expr}',format=yuv420p[v]")
    cmd = []
    if audio:
        tone = f'sine=f=440:d={total}:r=48000' + (f',volume={volume}dB' if volume is not None else '')
        cmd += ['-f', 'lavfi', '-i', tone, '-map', '0:a', '-c:a', 'aac']
    cmd += ['-filter_complex', graph, '-map', '[v]', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p',
            '-fps_mode', 'passthrough']
    return _run(cmd, path)


def frame_indices(path, size: Optional[Tuple[int, int]] = None, bits: int = 12) -> np.ndarray:
    """The index each frame of an :func:`index_video` (or a cut of it, same geometry, or its poster) shows."""
    w, h = size or (192, 108)
    raw = subprocess.run([ffmpeg_exe(), '-v', 'error', '-i', str(path), '-map', '0:v:0', '-fps_mode', 'passthrough',
                          '-f', 'rawvideo', '-pix_fmt', 'gray', '-s', f'{w}x{h}', 'pipe:'],
                         capture_output=True, check=True).stdout
    frames = np.frombuffer(raw, np.uint8).reshape(-1, h, w)
    bits_ = np.stack([frames[:, h // 2, int((b + 0.5) * w / bits)] > 128 for b in range(bits)], axis=1)
    return (bits_ * (1 << np.arange(bits))).sum(axis=1)
