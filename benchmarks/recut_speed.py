"""Seconds to re-cut a reel after an editor's changes (issue 20) beside the full run that made it, on CPU.

    python benchmarks/recut_speed.py [--minutes 10] [--threads 2] [--extra "--flag value ..."]

The video and the random-weight UMT checkpoint are those of benchmarks/reel_speed.py (a 1280x720 30-fps edit of test
patterns with speech-like audio, cached under --cache, default highlight_bench in the temp folder). Then:

1. the full tool once: ``tools/make_highlights.py`` in a fresh process, random weights (``--random-init``), a 60-s
   reel (``--budget 60``) in 9:16 following the action (``--vertical follow``), as reel_speed.py runs it;
2. the edit: the best clip runs 2 s longer (its out point, snapping off) and the second best is dropped;
3. the re-cut by the tool (``--recut OUT --edits FILE``, a fresh process: start-up included), and the same re-cut by
   the API call the review server makes (``recut_reel``), on a copy of the reel made before.

The last line is the tool's re-cut time (the target: under 15 s on 2 cores).
"""
import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)
sys.path.insert(0, HERE)

from reel_speed import CONFIG, make_checkpoint, make_video, tool_flags  # noqa: E402


def timed(cmd):
    print('$', ' '.join(shlex.quote(c) for c in cmd), flush=True)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f'failed:\n{proc.stderr[-3000:]}')
    return seconds


def the_edit(out_dir, duration):
    """The edit list: the best clip 2 s longer, the second best dropped; returns it with the clips' spans."""
    segments = json.load(open(os.path.join(out_dir, 'highlights.json')))['segments']
    if len(segments) < 2:
        raise SystemExit(f'{out_dir}: the reel has {len(segments)} clip(s); the benchmark needs two')
    best = segments[0]
    end = min(best['end'] + 2.0, duration - 0.1)
    edits = dict(clips=[dict(id='c1', end=round(end, 3)), dict(id='c2', dropped=True)])
    return edits, segments


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--minutes', type=int, default=10)
    p.add_argument('--video', help='measure on this video instead of the generated edit')
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--cache', default=os.path.join(tempfile.gettempdir(), 'highlight_bench'))
    p.add_argument('--extra', default='', help='more make_highlights options, e.g. "--vertical blur"')
    args = p.parse_args()
    os.environ.setdefault('OMP_NUM_THREADS', str(args.threads))
    os.makedirs(args.cache, exist_ok=True)
    video = args.video or make_video(args.cache, args.minutes)
    ckpt = make_checkpoint(args.cache)
    from highlight_plugin.media.probe import probe
    duration = probe(video).duration
    print(f'video {video}: {duration:.1f} s; {os.cpu_count()} CPUs, torch threads {args.threads}', flush=True)
    out = os.path.join(args.cache, 'recut_out')
    shutil.rmtree(out, ignore_errors=True)
    t_full = timed([sys.executable, os.path.join(REPO, 'tools', 'make_highlights.py'), video, CONFIG, ckpt,
                    '--out-dir', out, '--random-init', '--min-len', '15', '--max-len', '30', '--top-k', '10',
                    '--budget', '60', *tool_flags(args.extra)])
    edits, segments = the_edit(out, duration)
    print(f'full run: {len(segments)} clips, {sum(s["end"] - s["start"] for s in segments):.1f} s, in {t_full:.1f} s',
          flush=True)
    edits_file = os.path.join(args.cache, 'recut_edits.json')
    with open(edits_file, 'w') as fh:
        json.dump(edits, fh)
    copy = out + '_api'
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(out, copy)
    t_tool = timed([sys.executable, os.path.join(REPO, 'tools', 'make_highlights.py'), '--recut', out, '--edits',
                    edits_file])
    from highlight_plugin.apis.recut import recut_reel
    start = time.perf_counter()
    result = recut_reel(copy, edits=edits_file)
    t_api = time.perf_counter() - start
    kept = sum(s['end'] - s['start'] for s in result.segments)
    reel = probe(os.path.join(out, 'reel.mp4')).duration
    print(f'edit: clip 1 {segments[0]["start"]:.2f}-{segments[0]["end"]:.2f} s -> {edits["clips"][0]["end"]:.2f} s, '
          f'clip 2 dropped: {len(result.segments)} clips, {kept:.1f} s; reel {reel:.1f} s')
    print(f're-cut by the API (the review server\'s call, no start-up): {t_api:.1f} s')
    print(f'full run {t_full:.1f} s; re-cut by the tool (start-up included) {t_tool:.1f} s, '
          f'{t_full / t_tool:.1f}x faster')
    print(f're-cut after extending a clip by 2 s and dropping another: {t_tool:.1f} s (target: under 15 s)')


if __name__ == '__main__':
    main()
