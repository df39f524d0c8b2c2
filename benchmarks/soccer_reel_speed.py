"""End-to-end speed of a football reel (``tools/make_highlights.py``), start-up included, and its peak memory.

Raw video (default): a generated 224p (398x224) 25-fps half with audio, 10 minutes (``--minutes``; every length
given is run, to compare peak RSS), through ResNet-152 + PCA 512 + VGGish features and the NetVLAD-512 CMGA spotter
(``configs/soccernet/netvlad512_cmga-after_20s_highlight.py``), all with random weights (a random checkpoint saved
once, a PCA fitted on random features), then cut into a reel of at most ``--budget`` seconds. It also measures
ResNet-152 alone on the same machine, which caps 2-fps extraction: the realtime factor can approach, not pass,
(images/s) / 2. Last line: the realtime factor (half duration / wall time).

``--features``: a 45-minute half whose SoccerNet features are already on disk (random ``1_ResNET_TF2_PCA512.npy``
and ``1_VGGish.npy``) and a cheap 160x90 5-fps video of the same length to cut (``--features-minutes``). Last
line: seconds from the command to the finished reel (target: under 45 s on 2 cores).

Inputs are generated once and cached under ``--cache`` (default: highlight_plugin_bench in the temp folder; the
random checkpoint is 1.1 GB). Timings on a shared machine are noisy: run it on an idle one.

Usage:
    python benchmarks/soccer_reel_speed.py [--minutes 10 [3 ...]] [--threads 2]
    python benchmarks/soccer_reel_speed.py --features [--features-minutes 45]
"""
import argparse
import os
import os.path as osp
import subprocess
import sys
import tempfile
import time

import numpy as np

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(REPO, 'configs', 'soccernet', 'netvlad512_cmga-after_20s_highlight.py')
sys.path.insert(0, REPO)


def ffmpeg(*args):
    from highlight_plugin.media.probe import ffmpeg_exe
    subprocess.run([ffmpeg_exe(), '-hide_banner', '-v', 'error', '-y', *map(str, args)], check=True)


def make_video(path, minutes, size, fps, preset='veryfast'):
    """A moving test pattern with a tone, H.264 + AAC in MKV (SoccerNet's 224p files are H.264 MKV)."""
    if not osp.isfile(path):
        seconds = int(minutes * 60)
        tmp = path + '.part.mkv'
        ffmpeg('-f', 'lavfi', '-i', f'testsrc2=size={size}:rate={fps}:duration={seconds}',
               '-f', 'lavfi', '-i', f'sine=f=440:d={seconds}:r=44100', '-c:v', 'libx264', '-preset', preset,
               '-pix_fmt', 'yuv420p', '-g', '250', '-c:a', 'aac', '-b:a', '96k', tmp)
        os.replace(tmp, path)
    return path


def make_checkpoint(path):
    """Random weights of the CMGA spotter; the classifier biases make a few events per minute fire."""
    if not osp.isfile(path):
        import torch

        from highlight_plugin.apis import init_model
        torch.manual_seed(0)
        model = init_model(CONFIG)
        with torch.no_grad():
            model.classifier.bias.copy_(torch.tensor([-4.0, 0.3, 0.3, 0.3, 0.4]))
        torch.save(dict(meta=dict(), state_dict=model.state_dict()), path + '.part')
        os.replace(path + '.part', path)
    return path


def make_pca(path):
    if not osp.isfile(path):
        from highlight_plugin.features.pca import PCA, SOCCERNET_FEATURES
        PCA.fit(np.random.default_rng(0).standard_normal((1024, 2048)), 512, SOCCERNET_FEATURES).save(path)
    return path


# random weights spot little: every maximum of the goal score over +-60 s is an event, so the reel has a few clips
# to cut, about as many as a real half (goals only: the other classes' near-constant random scores peak every few
# seconds)
FIRE = ['--classes', 'goal', '--cfg-options', 'inference_cfg.decoder.class_cfgs.goal.thresh=0',
        'inference_cfg.decoder.class_cfgs.goal.mpd=60']


def run_tool(args, threads):
    """Wall seconds and peak RSS (MiB) of one tool run in a fresh process."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, osp.join(REPO, 'tools', 'make_highlights.py'), *map(str, args)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with proc.stdout:
        out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)  # the child's own peak RSS
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        sys.exit(f'make_highlights failed:\n{out[-3000:]}')
    return seconds, usage.ru_maxrss / 1024, out


def clips(out_dir):
    """'N clips, S s' of the reel just made."""
    import json
    segments = json.load(open(osp.join(out_dir, 'highlights.json')))['segments']
    return f'{len(segments)} clips, {sum(s["end"] - s["start"] for s in segments):.0f} s'


def resnet_alone(pca, threads, images=64, batch=32):
    """Images/s of the SoccerNet ResNet extractor alone (random weights, channels as the pipeline feeds them)."""
    import torch

    from highlight_plugin.features import build_extractors, get_layout
    torch.set_num_threads(threads)
    ex = build_extractors(get_layout('soccernet'), ['resnet'], random_init=True,
                          options={'*': dict(batch_size=batch), 'resnet': dict(pca=pca)})['resnet']
    rows = np.random.default_rng(0).integers(0, 255, (batch, 1, 224, 224, 3), dtype=np.uint8)
    ex.forward_rows(rows)  # warm-up
    start = time.perf_counter()
    for _ in range(images // batch):
        ex.forward_rows(rows)
    return images // batch * batch / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--minutes', type=float, nargs='+', default=[10.0], help='half lengths (raw video)')
    parser.add_argument('--features', action='store_true', help='from features on disk instead of raw video')
    parser.add_argument('--features-minutes', type=float, default=45.0)
    parser.add_argument('--budget', type=float, default=180.0, help='reel length, seconds')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--cache', default=osp.join(tempfile.gettempdir(), 'highlight_plugin_bench'))
    args = parser.parse_args()
    os.makedirs(args.cache, exist_ok=True)
    ckpt = make_checkpoint(osp.join(args.cache, 'cmga_random.pth'))
    out_dir = osp.join(args.cache, 'reel')

    if args.features:
        minutes = args.features_minutes
        game = osp.join(args.cache, f'features_{minutes:g}min')
        os.makedirs(game, exist_ok=True)
        video = make_video(osp.join(game, '1_cheap.mkv'), minutes, '160x90', 5, preset='ultrafast')
        rows = int(minutes * 60 * 2)
        rng = np.random.default_rng(0)
        for name, dtype in (('1_ResNET_TF2_PCA512.npy', np.float32), ('1_VGGish.npy', np.float64)):
            if not osp.isfile(osp.join(game, name)):
                np.save(osp.join(game, name), rng.standard_normal((rows, 512)).astype(dtype))
        seconds, rss, out = run_tool([video, CONFIG, ckpt, '--half', '1', '--features', game, '--out-dir', out_dir,
                                      '--budget', args.budget, *FIRE], args.threads)
        print(out.strip().splitlines()[-1])
        print(f'{minutes:g}-min half from features: {seconds:.1f} s to the reel ({clips(out_dir)}), '
              f'peak RSS {rss:.0f} MiB, {args.threads} threads')
        print(f'{minutes:g}-min half from features to reel: {seconds:.1f} s')
        return

    pca = make_pca(osp.join(args.cache, 'pca_random.npz'))
    factors = []
    for minutes in args.minutes:
        video = make_video(osp.join(args.cache, f'half_{minutes:g}min_224p.mkv'), minutes, '398x224', 25)
        seconds, rss, out = run_tool([video, CONFIG, ckpt, '--half', '1', '--random-init', '--pca', pca,
                                      '--out-dir', out_dir, '--budget', args.budget, *FIRE], args.threads)
        factors.append(minutes * 60 / seconds)
        print(f'{minutes:g}-min 224p half, raw video to reel: {seconds:.1f} s ({factors[-1]:.2f}x realtime), '
              f'{clips(out_dir)}, peak RSS {rss:.0f} MiB')
    rate = resnet_alone(pca, args.threads)
    print(f'ResNet-152 alone: {rate:.2f} images/s, {args.threads} threads -> 2-fps extraction limit '
          f'{rate / 2:.2f}x realtime')
    print(f'realtime factor ({args.minutes[0]:g}-min half, end to end): {factors[0]:.2f}x')


if __name__ == '__main__':
    main()
