"""Realtime factor of raw video -> 60-s reel (issue 10), and the cost of each part, on CPU.

    python benchmarks/reel_speed.py [--minutes 10] [--threads 2] [--extra "--flag value ..."] [--skip-parts]

Generates once (cached under --cache, default highlight_bench in the temp folder) a 1280x720 30-fps H.264 video
with AAC audio made of shots of test patterns joined by cuts, dissolves and fades, with speech-like audio and pauses
(a 60-s edit repeated), and a UMT checkpoint of random weights for configs/umt_hotstar.py. Then:

1. end to end: ``tools/make_highlights.py`` in a fresh process (start-up, network building and the random-init
   feature networks included) for a 60-s reel (--budget 60), with every reel option the tool offers on (those of
   --extra, plus ``--vertical follow`` when the tool has it, else ``--vertical crop``); the command is printed;
2. the parts it cannot go faster than, one after the other: decoding (1 frame/s at 224 px, 32-kHz audio), CLIP
   ViT-B/32 on each frame, PANNs Cnn14 on each 2-s window (warm networks), and how close the end-to-end run is to
   their sum;
3. the reel components of issue 10 on the same video, each alone: the tiny-frame branch of the decode (64x36 at
   the source rate, as a ``split`` of the feature decode, and as a separate decode for comparison), shot detection,
   the follow profile, the loudness envelope, edge snapping, the follow tracks, and cutting ~60 s of clips with
   fades and loudness normalisation into a reel, at the source's shape and in 9:16 (follow) at the source's height
   and at 1080x1920.

The last line is the end-to-end realtime factor.
"""
import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from highlight_plugin.media.audio import read_audio  # noqa: E402
from highlight_plugin.media.frames import read_frames  # noqa: E402
from highlight_plugin.media.probe import ffmpeg_exe, probe  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(REPO, 'configs', 'umt_hotstar.py')


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def make_video(cache, minutes):
    """The benchmark video: a 60-s edit at 720p30 repeated ``minutes`` times (stream copy)."""
    from tests.helpers.synthetic import SOURCES, Shot, edited_video
    path = os.path.join(cache, f'reel_{int(minutes * 60)}s_720p30.mp4')
    if os.path.exists(path):
        return path
    print(f'generating {path} (once) ...', flush=True)
    block = os.path.join(cache, 'reel_block_60s_720p30.mp4')
    lengths = [7, 5, 9, 4, 8, 6, 10, 5, 6]  # seconds of each shot; 60 s with the overlaps of the mixes
    kinds = ['cut', 'cut', 'dissolve', 'cut', 'fade', 'cut', 'cut', 'dissolve', 'cut']
    shots = [Shot(SOURCES[i % len(SOURCES)], n, kind, 1.0) for i, (n, kind) in enumerate(zip(lengths, kinds))]
    shots[-1].seconds += 60 - (sum(lengths) - sum(k != 'cut' for k in kinds[1:]))
    edited_video(block, shots, size='1280x720', fps=30, pauses=[(12.0, 12.6), (33.0, 33.5), (47.2, 47.9)],
                 levels=[(20, 30, 2.0)], extra=['-g', '250'])
    listing = os.path.join(cache, 'reel_block.txt')
    with open(listing, 'w') as fh:
        fh.write(f"file '{block}'\n" * int(minutes))
    tmp = path + '.part.mp4'
    subprocess.run([ffmpeg_exe(), '-v', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', listing, '-c', 'copy', tmp],
                   check=True)
    os.replace(tmp, path)
    return path


def make_checkpoint(cache):
    path = os.path.join(cache, 'umt_hotstar_random.pth')
    if not os.path.exists(path):
        from mmengine.config import Config

        from highlight_plugin.apis import init_model
        torch.manual_seed(0)
        model = init_model(Config.fromfile(CONFIG))
        torch.save(dict(meta=dict(), state_dict=model.state_dict()), path)
    return path


def tool_flags(extra):
    """Every reel option ``tools/make_highlights.py`` offers today, plus ``extra``."""
    help_text = subprocess.run([sys.executable, os.path.join(REPO, 'tools', 'make_highlights.py'), '--help'],
                               capture_output=True, text=True, cwd=REPO).stdout
    flags = ['--vertical', 'follow' if 'follow' in help_text else 'crop']
    if '--seed' in help_text:  # the same random weights, hence the same segments, every run
        flags += ['--seed', '0']
    return flags + shlex.split(extra)


def end_to_end(video, ckpt, out_dir, flags):
    cmd = [sys.executable, os.path.join(REPO, 'tools', 'make_highlights.py'), video, CONFIG, ckpt, '--out-dir', out_dir,
           '--random-init', '--min-len', '15', '--max-len', '30', '--top-k', '10', '--budget', '60', *flags]
    print('end to end:', ' '.join(shlex.quote(c) for c in cmd), flush=True)
    proc, seconds = timed(lambda: subprocess.run(cmd, capture_output=True, text=True, cwd=REPO))
    if proc.returncode != 0:
        raise SystemExit(f'make_highlights failed:\n{proc.stderr[-3000:]}')
    return seconds


def parts(video, duration, threads):
    """Decode, CLIP and PANNs alone, one after the other (the ceiling of a one-core-at-a-time pipeline)."""
    from highlight_plugin.features import CLIPExtractor, PANNsExtractor
    torch.manual_seed(0)
    clip, panns = CLIPExtractor(1.0), PANNsExtractor(2.0)
    frames, t_video = timed(lambda: np.concatenate(list(read_frames(video, 1.0, 224))))
    audio, t_audio = timed(lambda: np.concatenate(list(read_audio(video, 32000))))
    clip.forward_rows(frames[:2, None])  # warm
    windows = audio[:len(audio) // 64000 * 64000].reshape(-1, 64000)
    panns.forward_rows(windows[:2])
    _, t_clip = timed(lambda: [clip.forward_rows(frames[i:i + 32, None]) for i in range(0, len(frames), 32)])
    _, t_panns = timed(lambda: [panns.forward_rows(windows[i:i + 32]) for i in range(0, len(windows), 32)])
    total = t_video + t_audio + t_clip + t_panns
    print(f'parts alone ({threads} threads): decode {duration / (t_video + t_audio):.1f}x realtime '
          f'({t_video + t_audio:.1f} s), CLIP every second {duration / t_clip:.1f}x ({t_clip:.1f} s), PANNs '
          f'{duration / t_panns:.1f}x ({t_panns:.1f} s); one after the other {duration / total:.1f}x ({total:.1f} s)')
    return total, audio


def components(video, duration, audio, out_dir, full_size):
    """The reel components alone, on the benchmark video; returns their seconds by name."""
    from highlight_plugin.analysis.follow import ActivityProfile, follow_track, window_fraction
    from highlight_plugin.analysis.pauses import LoudnessEnvelope
    from highlight_plugin.analysis.shots import ShotDetector
    from highlight_plugin.analysis.snapping import EdgeSnapper
    from highlight_plugin.media.branches import read_tiny_frames
    from highlight_plugin.media.clock import inspect_source
    from highlight_plugin.render.cut import cut_clips, poster_frame, reel_loudness
    info = probe(video)
    fps = inspect_source(video).fps
    cost = {}
    # the tiny-frame branch: as a split of the feature decode (wave 2) and as a decode of its own
    feature_vf = 'fps=1,scale=224:224:force_original_aspect_ratio=increase:flags=bicubic,crop=224:224'
    base = [ffmpeg_exe(), '-v', 'error', '-nostdin', '-i', video, '-map', '0:v:0']
    _, t_one = timed(lambda: subprocess.run(base + ['-vf', feature_vf, '-f', 'null', '-'], check=True))
    split = (f'[0:v:0]split[a][b];[a]{feature_vf}[f];[b]fps={fps:g},scale=64:36:flags=area,format=rgb24[t]')
    _, t_split = timed(lambda: subprocess.run(
        [ffmpeg_exe(), '-v', 'error', '-nostdin', '-i', video, '-filter_complex', split, '-map', '[f]', '-f', 'null',
         '-', '-map', '[t]', '-f', 'null', '-'], check=True))
    cost['tiny frames (split branch of the feature decode)'] = max(t_split - t_one, 0.0)
    frames, t_tiny = timed(lambda: np.concatenate(list(read_tiny_frames(video, fps))))
    print(f'feature decode alone {t_one:.1f} s, with the 64x36 branch {t_split:.1f} s; the branch as a decode of '
          f'its own {t_tiny:.1f} s ({len(frames)} frames)')
    def feed(consumer, data, chunk):  # in chunks, as the decode delivers them
        for i in range(0, len(data), chunk):
            consumer.push(data[i:i + chunk])
        return consumer.finish()

    transitions, cost['shot detection'] = timed(lambda: feed(ShotDetector(fps), frames, 256))
    prof, cost['follow profile'] = timed(lambda: feed(ActivityProfile(fps), frames, 256))
    env, cost['loudness envelope'] = timed(lambda: feed(LoudnessEnvelope(32000), audio, 32000 * 32))
    print(f'{len(frames)} tiny frames: {len(transitions)} shot changes; shots {cost["shot detection"]:.2f} s '
          f'({cost["shot detection"] / len(frames) * 1e6:.0f} us/frame), follow profile '
          f'{cost["follow profile"]:.2f} s, loudness envelope {cost["loudness envelope"]:.2f} s')
    starts = np.linspace(0.1, 0.8, 4) * duration
    segments = [dict(start=round(float(s)), end=round(float(s)) + 15.0, score=1.0) for s in starts]
    segments, cost['edge snapping'] = timed(lambda: EdgeSnapper(tolerance=2.0, min_len=10, max_len=20, fps=fps)(
        segments, transitions, env, duration=duration))
    total_len = sum(s['end'] - s['start'] for s in segments)
    window = window_fraction(*info.display_size)
    tracks, cost['follow tracks'] = timed(lambda: [follow_track(prof, s['start'], s['end'], transitions,
                                                                window=window) for s in segments])
    source = inspect_source(video)
    runs = [('source shape', dict()), ('9:16 follow, source height', dict(vertical='follow',
                                                                          vertical_height='source'))]
    if full_size:
        runs.append(('9:16 follow, 1080x1920', dict(vertical='follow', vertical_height=1920)))
    for name, kwargs in runs:
        paths = [os.path.join(out_dir, f'clip_{i}.mp4') for i in range(len(segments))]
        posters = [((s['end'] - s['start']) / 2, os.path.join(out_dir, f'poster_{i}.jpg'))
                   for i, s in enumerate(segments)]
        reel = os.path.join(out_dir, 'reel.mp4')
        _, seconds = timed(lambda: cut_clips(video, segments, paths, source=source, reel_path=reel, posters=posters,
                                             tracks=tracks if kwargs.get('vertical') else None, **kwargs))
        level, peak = reel_loudness(reel)
        size = probe(reel)
        cost[f'cut {total_len:.0f} s + posters + reel, {name} ({size.width}x{size.height})'] = seconds
        print(f'cut {len(segments)} clips, {total_len:.1f} s, {name}: {seconds:.1f} s; reel {level:.1f} LUFS, '
              f'true peak {peak:.1f} dBTP')
    _, cost['posters seeked alone (in the cuts above: free)'] = timed(
        lambda: [poster_frame(video, (s['start'] + s['end']) / 2, os.path.join(out_dir, f'poster_{i}.jpg'),
                              source=source) for i, s in enumerate(segments)])
    seg = segments[0]
    for preset in ('veryfast', 'superfast', 'ultrafast'):  # the encoder's share, for choosing a default
        path = os.path.join(out_dir, f'preset_{preset}.mp4')
        _, seconds = timed(lambda: cut_clips(video, [seg], [path], source=source, preset=preset, loudness=None))
        print(f'x264 preset {preset}: {seg["end"] - seg["start"]:.0f} s at 1280x720 in {seconds:.1f} s, '
              f'{os.path.getsize(path) / 1e6:.1f} MB')
    return cost


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--minutes', type=int, default=10)
    p.add_argument('--video', help='measure on this video instead of the generated edit (e.g. a film of yours)')
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--cache', default=os.path.join(tempfile.gettempdir(), 'highlight_bench'))
    p.add_argument('--extra', default='', help='more make_highlights options, e.g. "--vertical blur"')
    p.add_argument('--skip-parts', action='store_true', help='only the end-to-end figure')
    p.add_argument('--full-size', action='store_true', help='also cut the 9:16 clips at 1080x1920')
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.cache, exist_ok=True)
    video = args.video or make_video(args.cache, args.minutes)
    ckpt = make_checkpoint(args.cache)
    info = probe(video)
    duration = info.duration
    # the decode's cost grows with the bit rate: the generated edit (noise-like patterns) is ~6 Mb/s, a 720p film
    # is typically 2-4 Mb/s
    print(f'video {video}: {duration:.1f} s, {info.width}x{info.height}, {info.fps:g} fps, '
          f'{os.path.getsize(video) * 8 / duration / 1e6:.1f} Mb/s; torch threads {args.threads}, '
          f'{os.cpu_count()} CPUs')
    out = os.path.join(args.cache, 'reel_out')
    t_e2e = end_to_end(video, ckpt, out, tool_flags(args.extra))
    if not args.skip_parts:
        ceiling, audio = parts(video, duration, args.threads)
        cost = components(video, duration, audio, os.path.join(args.cache, 'reel_parts'), args.full_size)
        print('reel components, seconds for this video:')
        for name, seconds in cost.items():
            print(f'  {name:55s} {seconds:6.2f} s')
        print(f'end to end {t_e2e:.1f} s = {t_e2e / ceiling:.2f} x the sum of the parts ({ceiling:.1f} s, '
              f'{duration / ceiling:.1f}x realtime: the end to end reaches {ceiling / t_e2e:.0%} of it); the target '
              f'8x is {duration / 8:.1f} s')
    print(f'end to end: {duration:.0f} s of video to a 60-s reel in {t_e2e:.1f} s (start-up included)')
    print(f'end-to-end realtime factor: {duration / t_e2e:.1f}x')


if __name__ == '__main__':
    main()
