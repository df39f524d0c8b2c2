"""Realtime factor of feature extraction on CPU with 2 threads (random weights).

    python benchmarks/extract_speed.py [--minutes 10] [--threads 2] [--check 8]

Generates (once, cached under --cache, default highlight_bench in the temp folder) a 1280x720
30-fps H.264 video with AAC audio (lavfi testsrc + sine) and reports video seconds per wall second of
  1. end to end: ``highlight_plugin.features.extract`` with CLIP ViT-B/32 (one frame per
     2-s clip) + PANNs Cnn14 (2-s windows), networks built once beforehand, timing
     including their warm-up (first calls), and the peak memory it reached;
  2. decode only: the sequential ffmpeg pass (one frame per 2 s, resized to 224 in
     the decoder) and the 32-kHz mono audio pass.
Then, for comparison, the networks alone (warm) and the sum of the parts run one
after the other. It also checks that the streamed, batched features equal the straightforward per-clip
computation (frame seeked with ffmpeg at each clip centre, one forward per clip; audio
windows one by one) to fp32 tolerance, on ``--check`` clips spread over the video.
Then the layouts' published recipes (``--layouts``, random weights, the same machine and threads):
  hotstar       CLIP ViT-B/32 (QuickGELU) on HERO's frames every second + PANNs on librosa's audio;
  qvhighlights  CLIP every 2 s + SlowFast 8x8 on HERO's 30-fps decode (one ffmpeg decode feeds both, with a
                ``split`` filter) + PANNs, on a shorter video (``--qv-minutes``: SlowFast R50 is slow on a CPU);
each with its end-to-end realtime factor and the limit its parts measured alone set (one after the other:
the shared decode, the audio reading, each network on the decoded rows), and end to end / limit (>= 90%).
The last line is the end-to-end realtime factor of the first measurement.
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from highlight_plugin.apis.extract import close_streams, extract, open_streams  # noqa: E402
from highlight_plugin.features import CLIPExtractor, PANNsExtractor, get_layout  # noqa: E402
from highlight_plugin.features.builder import build_extractors  # noqa: E402
from highlight_plugin.media.audio import read_audio  # noqa: E402
from highlight_plugin.media.frames import read_frames  # noqa: E402
from highlight_plugin.media.probe import ffmpeg_exe, probe, select_audio_stream  # noqa: E402
from highlight_plugin.media.specs import AudioSpec  # noqa: E402


def make_video(path, seconds):
    if os.path.exists(path):
        return path
    print(f'generating {path} ({seconds} s, 1280x720, 30 fps; once) ...', flush=True)
    tmp = path + '.part.mp4'
    subprocess.run([ffmpeg_exe(), '-hide_banner', '-v', 'error', '-y',
                    '-f', 'lavfi', '-i', f'testsrc=size=1280x720:rate=30:duration={seconds}',
                    '-f', 'lavfi', '-i', f'sine=frequency=440:sample_rate=44100:duration={seconds}',
                    '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', '250',
                    '-c:a', 'aac', '-b:a', '128k', '-shortest', tmp], check=True)
    os.replace(tmp, path)
    return path


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def reference_clip(path, model, t, size=224):
    """The frame shown at time ``t``, seeked and scaled alone, through CLIP alone."""
    vf = (f'scale={size}:{size}:force_original_aspect_ratio=increase:flags=bicubic,crop={size}:{size}')
    raw = subprocess.run([ffmpeg_exe(), '-v', 'error', '-ss', repr(float(t)), '-i', path, '-frames:v', '1',
                          '-vf', vf, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:'],
                         capture_output=True, check=True).stdout
    frame = np.frombuffer(raw, np.uint8).reshape(1, 1, size, size, 3)
    return CLIPExtractor(2.0, model=model, batch_size=1).forward_rows(frame)[0]


#: the soccernet layout's ResNet needs a PCA: the parity fixture's 8-d one stands for SoccerNet's 512-d pca_512_TF2.pkl
#: (a 2048 x 512 product per row more is nothing beside ResNet-152)
FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'tests', 'data',
                        'soccernet_features')
LAYOUT_OPTIONS = dict(soccernet=dict(resnet=dict(pca=f'{FIXTURES}/pca8.pkl,{FIXTURES}/average.pkl')))


def read_streams(video, specs, info):
    """Every chunk of the streams of ``specs`` (one decode, as ``extract`` opens them), concatenated per spec."""
    sources = open_streams(video, specs, info, select_audio_stream(info, ()))
    got = {spec: [] for spec in specs}
    try:
        while sources:
            for spec in list(sources):
                chunk = next(sources[spec], None)
                if chunk is None:
                    del sources[spec]
                else:
                    got[spec].append(chunk)
    finally:
        close_streams(sources)
    return {spec: np.concatenate(chunks) for spec, chunks in got.items()}


def layout_speed(name, video, batch_size, device='cpu', options=None):
    """End-to-end and parts-alone realtime factors of a layout's recipe on ``device`` (``options``: per-feature
    extractor options, e.g. the soccernet ResNet's ``pca``); returns (e2e, limit)."""
    info = probe(video)
    duration = info.duration
    torch.manual_seed(0)
    options = dict(LAYOUT_OPTIONS.get(name) or {}) if options is None else dict(options)
    exs = build_extractors(get_layout(name), random_init=True, device=device,
                           options={**options, '*': dict(batch_size=batch_size)})
    if 'slowfast' in exs:
        exs['slowfast'].batch_size = 2
    drop = [n for n, ex in exs.items() if ex.drop_partial]
    res, t_e2e = timed(lambda: extract(video, exs, drop_partial=drop))
    video_specs = list(dict.fromkeys(ex.spec for ex in exs.values() if not isinstance(ex.spec, AudioSpec)))
    audio_specs = list(dict.fromkeys(ex.spec for ex in exs.values() if isinstance(ex.spec, AudioSpec)))
    frames, t_dec = timed(lambda: read_streams(video, video_specs, info))
    audio, t_aud = timed(lambda: read_streams(video, audio_specs, info))
    parts = dict(decode=t_dec, audio=t_aud)
    for n, ex in exs.items():
        units = (audio if isinstance(ex.spec, AudioSpec) else frames)[ex.spec]
        per = ex.units_per_row
        rows = units[:len(units) // per * per].reshape((-1, per) + units.shape[1:])
        ex.prepare(info)
        _, parts[n] = timed(lambda: [ex.forward_rows(rows[i:i + ex.batch_size])
                                     for i in range(0, len(rows), ex.batch_size)])
    limit = duration / sum(parts.values())
    e2e = duration / t_e2e
    print(f'{name} ({", ".join(f"{n} {f.shape}" for n, f in res.features.items())}; {duration:.0f} s; {device}): '
          'parts alone ' + ', '.join(f'{k} {duration / v:.1f}x' for k, v in parts.items())
          + f'; limit (one after the other) {limit:.1f}x realtime')
    print(f'{name} layout end to end: {e2e:.1f}x realtime = {100 * e2e / limit:.0f}% of its limit'
          + ('' if e2e >= 0.9 * limit else ' (BELOW 90%)'))
    return e2e, limit


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--minutes', type=float, default=10.0)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--batch-size', type=int, default=32)
    p.add_argument('--check', type=int, default=8, help='clips compared with the per-clip computation')
    p.add_argument('--cache', default=os.path.join(tempfile.gettempdir(), 'highlight_bench'))
    p.add_argument('--layouts', default='hotstar,qvhighlights', help='recipes to measure too ("" for none; '
                   'soccernet too)')
    p.add_argument('--device', default='cpu', help='device of the layouts\' networks (the first measurement: CPU)')
    p.add_argument('--qv-minutes', type=float, default=1.0, help='video length for the qvhighlights layout')
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.cache, exist_ok=True)
    seconds = int(args.minutes * 60)
    video = make_video(os.path.join(args.cache, f'testsrc_{seconds}s_720p30.mp4'), seconds)
    duration = probe(video).duration
    print(f'video {video}: {duration:.1f} s; torch threads {torch.get_num_threads()}, CPU cores '
          f'{os.cpu_count()}')

    torch.manual_seed(0)
    (clip, panns), t_build = timed(lambda: (CLIPExtractor(2.0, batch_size=args.batch_size),
                                            PANNsExtractor(2.0, batch_size=args.batch_size)))
    print(f'networks built once (random weights): {t_build:.1f} s (not in the figures below)')
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    res, t_e2e = timed(lambda: extract(video, dict(clip=clip, panns=panns)))
    rss_extract = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f'features: clip {res.features["clip"].shape}, panns {res.features["panns"].shape}; peak RSS '
          f'{rss_before:.0f} MiB before extract, {rss_extract:.0f} MiB after')

    frames, t_video = timed(lambda: np.concatenate(list(read_frames(video, 0.5, 224))))
    audio, t_audio = timed(lambda: np.concatenate(list(read_audio(video, 32000))))
    print(f'decode only, video (ffmpeg, fps=0.5, 224x224): {len(frames)} frames in {t_video:.1f} s = '
          f'{duration / t_video:.1f}x realtime')
    print(f'decode only, audio (32 kHz mono): {len(audio) / 32000:.0f} s in {t_audio:.2f} s = '
          f'{duration / t_audio:.0f}x realtime')
    print(f'decode only, video + audio: {duration / (t_video + t_audio):.1f}x realtime')

    # building blocks, after the end-to-end run (which includes the warm-up): networks alone
    windows = audio[:len(audio) // 64000 * 64000].reshape(-1, 64000)
    _, t_clip = timed(lambda: [clip.forward_rows(frames[i:i + args.batch_size, None])
                               for i in range(0, len(frames), args.batch_size)])
    _, t_panns = timed(lambda: [panns.forward_rows(windows[i:i + args.batch_size])
                                for i in range(0, len(windows), args.batch_size)])
    bound = duration / (t_video + t_audio + t_clip + t_panns)
    print(f'networks alone (warm): CLIP {duration / t_clip:.1f}x realtime ({len(frames) / t_clip:.1f} images/s), '
          f'PANNs {duration / t_panns:.1f}x realtime')
    print(f'one step after the other (decode, then CLIP, then PANNs, warm): {bound:.1f}x realtime')

    # equality with the straightforward per-clip computation
    idx = np.linspace(0, len(res.features['clip']) - 1, args.check).round().astype(int)
    ref_v = np.stack([reference_clip(video, clip.model, 2.0 * i + 1.0) for i in idx])
    with torch.inference_mode():
        ref_a = np.stack([panns.model(torch.from_numpy(audio[i * 64000:(i + 1) * 64000].copy())[None])
                          ['embedding'][0].numpy() for i in idx])
    for name, got, ref in (('clip', res.features['clip'][idx], ref_v), ('panns', res.features['panns'][idx], ref_a)):
        err = np.abs(got - ref).max() / max(np.abs(ref).max(), 1e-12)
        print(f'{name}: max |batched - per-clip| / max|per-clip| = {err:.2e} over {len(idx)} clips '
              f'({"OK" if err < 1e-4 else "MISMATCH"})')
    for name in [n for n in args.layouts.split(',') if n]:
        secs = int((args.qv_minutes if name == 'qvhighlights' else args.minutes) * 60)
        layout_speed(name, make_video(os.path.join(args.cache, f'testsrc_{secs}s_720p30.mp4'), secs), args.batch_size,
                     args.device)
    print(f'end to end (decode + CLIP ViT-B/32 every 2 s + PANNs Cnn14, {args.threads} threads, incl. '
          f'warm-up): {duration:.0f} s of video in {t_e2e:.1f} s')
    print(f'end-to-end realtime factor: {duration / t_e2e:.1f}x')


if __name__ == '__main__':
    main()
