"""GPU check (issue 16): training, resuming, validating and extracting on CUDA, and the throughput figures, in one
run of a few minutes on a machine with a GPU.

    python benchmarks/gpu_check.py [--minutes 1] [--only resume,parity,...] [--skip-figures] [--keep DIR]
    python benchmarks/gpu_check.py --allow-cpu     # no GPU: the same plumbing on the CPU, tiny sizes

Checks, one line each (PASS / FAIL, what, seconds; a failure's last output lines follow it):
  resume         tests/engine/test_resume.py + test_device_resume.py on the GPU (Runner.resume loads with
                 map_location='cuda'): a crashed, resumed toy run ends with an uninterrupted run's weights; and
                 the tests marked cuda (tests/engine/test_cuda.py: TF32 off, a rank's GPU, the CUDA random state)
  soccernet      a SoccerNet toy run validated every epoch, then tested and dumped (tests/soccernet/test_training.py;
                 the metrics read labels the data preprocessor moved to the GPU); test_device_tensors.py
  parity         the parity fixtures with the networks on the GPU (HIGHLIGHT_TEST_DEVICE=cuda: test_films_parity.py,
                 test_soccernet_parity.py, test_fp16_clip.py, test_fp32_context.py): fp32 extractors within 1e-4,
                 CLIP (fp16 on CUDA, as the recipes) within fp16 rounding
  amp            tools/train.py --amp on the toy config (fp16 autocast, loss scaling) + tests/engine/test_amp.py
  deterministic  tools/train.py --deterministic twice on the toy config: the same weights bit for bit
  catalogue      tools/torchrun.sh 2 tools/make_highlights.py over two films, and tools/extract_features.py (each rank
                 on its GPU; on one GPU both share it)
  cuda-error     a device-side assert in a catalogue's first film: the batch stops at once, with one line
Figures, from the benchmarks' own functions: UMT-B training samples/s (umt_train_speed.train_speed, fp32 and AMP),
extraction realtime factor per layout (extract_speed.layout_speed: hotstar, qvhighlights, soccernet) and reel
realtime factor (reel_speed.end_to_end: tools/make_highlights.py on a generated edit, start-up included).

The last line sums it up. Exit status: 0 when every check passed, 1 otherwise, 2 without a GPU (one line; with
--allow-cpu the CPU stands in, at tiny sizes: it shows the script works, its figures are no GPU figures).
"""
import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, 'benchmarks'))

TOY = os.path.join(REPO, 'tests', 'engine', 'toy_config.py')
FILM = os.path.join(REPO, 'configs', 'umt_hotstar.py')
# pytest selections: on a GPU, and for the CPU dry run (the same paths, fewer tests)
TESTS = dict(
    resume=(['tests/engine/test_resume.py', 'tests/engine/test_device_resume.py', 'tests/engine/test_cuda.py'],
            ['tests/engine/test_device_resume.py::test_resume_with_mmengine_asking_for_another_device']),
    soccernet=(['tests/soccernet/test_training.py::test_training_loss_falls_then_test_and_dump',
                'tests/evaluation/test_device_tensors.py'],
               ['tests/soccernet/test_training.py::test_training_loss_falls_then_test_and_dump']),
    parity=(['tests/features/test_films_parity.py', 'tests/features/test_soccernet_parity.py',
             'tests/features/test_fp16_clip.py', 'tests/features/test_fp32_context.py'],
            ['tests/features/test_fp16_clip.py',
             'tests/features/test_films_parity.py::test_panns_librosa_with_trainer_checkpoint']),
    amp=(['tests/engine/test_amp.py'], ['tests/engine/test_amp.py::test_amp_training_steps_autocast_and_resume']))
# a catalogue whose first film trips a device-side assert (an index out of range in a CUDA kernel)
CUDA_ERROR_SCRIPT = '''
import sys, torch
from highlight_plugin.apis.catalogue import CatalogueItem, run_catalogue
from highlight_plugin.engine.cli import run_cli
device, out = sys.argv[1], sys.argv[2]
def make(item, out_dir):
    if device == 'cpu':  # the dry run: what torch raises after the assert
        raise torch.AcceleratorError('CUDA error: device-side assert triggered (simulated on the CPU)')
    x = torch.zeros(3, device=device)
    x[torch.tensor([7], device=device)].sum().item()
    raise SystemExit('a device-side assert was expected')
run_cli(lambda argv: run_catalogue([CatalogueItem(n, f'films/{n}.mp4') for n in 'abc'], out, make, log=print))
'''


@dataclass
class Context:
    """What the checks share: the device, the sizes, where they write, what they found."""
    device: str
    tiny: bool
    work: str
    minutes: float
    figures: dict = field(default_factory=dict)

    def path(self, *parts):
        """A file under the work folder (its folder made)."""
        path = os.path.join(self.work, *parts)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return path

    def folder(self, *parts):
        """A folder under the work folder (made)."""
        path = os.path.join(self.work, *parts)
        os.makedirs(path, exist_ok=True)
        return path


def run(cmd, ctx, env=None, timeout=600):
    """``(exit status, output)`` of ``cmd`` in the repository, the toy components importable."""
    full = dict(os.environ, PYTHONPATH=os.pathsep.join([REPO, os.path.join(REPO, 'tests', 'engine'),
                                                        os.environ.get('PYTHONPATH', '')]), **(env or {}))
    full.pop('PORT', None)
    try:
        proc = subprocess.run(cmd, cwd=REPO, env=full, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return 124, f'timed out after {timeout} s: {" ".join(cmd)}'
    return proc.returncode, proc.stdout + proc.stderr


def pytest_check(name, ctx):
    nodes = TESTS[name][1 if ctx.tiny else 0]
    code, out = run([sys.executable, '-m', 'pytest', '-q', '-x', '-p', 'no:cacheprovider', *nodes], ctx,
                    env=dict(HIGHLIGHT_TEST_DEVICE=ctx.device))
    lines = [ln for ln in out.strip().splitlines() if ln.strip()]
    return code == 0, (lines[-1] if lines else f'pytest exit status {code}'), out


def check_resume(ctx):
    return pytest_check('resume', ctx)


def check_soccernet(ctx):
    return pytest_check('soccernet', ctx)


def check_parity(ctx):
    return pytest_check('parity', ctx)


def _train(ctx, work_dir, *flags):
    return run([sys.executable, 'tools/train.py', TOY, '--work-dir', work_dir, '--seed', '0', *flags,
                '--cfg-options', 'train_cfg.max_epochs=1'], ctx)


def check_amp(ctx):
    code, out = _train(ctx, ctx.path('amp', 'run'), '--amp')
    if code != 0:
        return False, 'tools/train.py --amp failed', out
    ok, summary, out = pytest_check('amp', ctx)
    return ok, f'tools/train.py --amp trained; {summary}', out


def check_deterministic(ctx):
    import torch
    weights = []
    for run_name in ('a', 'b'):
        work = ctx.folder('deterministic', run_name)
        code, out = _train(ctx, work, '--deterministic')
        if code != 0:
            return False, f'tools/train.py --deterministic failed (run {run_name})', out
        weights.append(torch.load(os.path.join(work, 'epoch_1.pth'), weights_only=True)['state_dict'])
    same = all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    return same, ('two runs, the same weights bit for bit' if same else 'two runs differ'), ''


def _films(ctx):
    from reel_speed import make_checkpoint

    from tests.conftest import make_media
    films = ctx.folder('films')
    for name in ('pilot', 'finale'):
        if not os.path.exists(os.path.join(films, f'{name}.mp4')):
            make_media(os.path.join(films, f'{name}.mp4'), seconds=20, size='160x90', fps=10)
    return films, make_checkpoint(ctx.folder('cache'))


def check_catalogue(ctx):
    films, ckpt = _films(ctx)
    out = ctx.path('catalogue', 'reels')
    code, log = run(['bash', 'tools/torchrun.sh', '2', 'tools/make_highlights.py', films, FILM, ckpt, '--random-init',
                     '--out-dir', out, '--launcher', 'pytorch', '--min-len', '4', '--max-len', '8', '--top-k', '1',
                     '--snap', '0'], ctx)  # --device: its default, the GPU when there is one
    reels = open(os.path.join(out, 'reels.jsonl')).read().count('\n') if code == 0 else 0
    if code != 0 or reels != 2 or '[rank 0/2]' not in log or '[rank 1/2]' not in log:
        return False, f'make_highlights on 2 processes: exit {code}, {reels} reels', log
    feats = ctx.path('catalogue', 'features')
    code, log = run(['bash', 'tools/torchrun.sh', '2', 'tools/extract_features.py', films, '--out-dir', feats,
                     '--layout', 'hotstar', '--random-init', '--no-progress', '--launcher', 'pytorch'], ctx)
    done = sorted(os.listdir(os.path.join(feats, 'clip_features'))) if code == 0 else []
    ok = code == 0 and done == ['finale.npz', 'pilot.npz', 'provenance.json']
    return ok, f'2 reels, one per rank; extract_features on 2 processes: exit {code}, {len(done) - 1} videos', log


def check_cuda_error(ctx):
    out = ctx.path('cuda_error', 'reels')
    code, log = run([sys.executable, '-c', CUDA_ERROR_SCRIPT, ctx.device, out], ctx)
    errors = [ln for ln in log.splitlines() if ln.startswith('error: ')]
    failures = open(os.path.join(out, 'failures.jsonl')).read().count('\n') if os.path.exists(
        os.path.join(out, 'failures.jsonl')) else 0
    ok = code == 2 and len(errors) == 1 and 'unusable' in errors[0] and failures == 1
    return ok, (errors[0][:110] if errors else f'exit {code}, no one-line error'), log


def figure_umt(ctx):
    from umt_train_speed import train_speed
    size = dict(batch_size=4, steps=1, warmup=1) if ctx.tiny else dict(batch_size=32, steps=10, warmup=3)
    fp32, _, _ = train_speed(device=ctx.device, **size)
    amp = 'bf16' if ctx.device == 'cpu' else 'fp16'
    mixed, _, _ = train_speed(device=ctx.device, amp=amp, **size)
    ctx.figures['umt'] = (fp32, mixed, amp)
    return True, f'UMT-B training: {fp32:.1f} samples/s fp32, {mixed:.1f} samples/s {amp} AMP ' \
                 f'(batch {size["batch_size"]})', ''


def figure_extraction(ctx):
    from extract_speed import layout_speed, make_video
    seconds = 10 if ctx.tiny else int(ctx.minutes * 60)
    found = {}
    for name in ('hotstar', 'qvhighlights', 'soccernet'):
        # SlowFast R50 at 30 fps is slow on a CPU; V&D's VGGish recipe refuses audio under 30 s
        secs = dict(qvhighlights=min(seconds, 4 if ctx.tiny else 60), soccernet=max(seconds, 31)).get(name, seconds)
        video = make_video(ctx.path('cache', f'testsrc_{secs}s_720p30.mp4'), secs)
        found[name], _ = layout_speed(name, video, 32, ctx.device)
    ctx.figures['extraction'] = found
    return True, 'extraction realtime factor: ' + ', '.join(f'{k} {v:.1f}x' for k, v in found.items()), ''


def figure_reel(ctx):
    import reel_speed

    from highlight_plugin.media.probe import probe
    cache = ctx.folder('cache')
    video = reel_speed.make_video(cache, 1 if ctx.tiny else max(1, int(ctx.minutes)))
    seconds = reel_speed.end_to_end(video, reel_speed.make_checkpoint(cache), ctx.path('reel', 'out'),
                                    reel_speed.tool_flags(f'--device {ctx.device}'))
    factor = probe(video).duration / seconds
    ctx.figures['reel'] = factor
    return True, f'reel realtime factor: {factor:.1f}x (make_highlights, start-up included)', ''


CHECKS = {'resume': check_resume, 'soccernet': check_soccernet, 'parity': check_parity, 'amp': check_amp,
          'deterministic': check_deterministic, 'catalogue': check_catalogue, 'cuda-error': check_cuda_error}
FIGURES = dict(umt=figure_umt, extraction=figure_extraction, reel=figure_reel)


def summary(ctx, passed, total, device_name):
    parts = [f'gpu_check on {device_name}: {passed}/{total} checks passed']
    if 'umt' in ctx.figures:
        fp32, mixed, amp = ctx.figures['umt']
        parts.append(f'UMT-B training {fp32:.1f} samples/s ({amp} AMP {mixed:.1f})')
    if 'extraction' in ctx.figures:
        parts.append('extraction ' + ', '.join(f'{k} {v:.1f}x' for k, v in ctx.figures['extraction'].items())
                     + ' realtime')
    if 'reel' in ctx.figures:
        parts.append(f'reel {ctx.figures["reel"]:.1f}x realtime')
    return '; '.join(parts) + (' (CPU dry run: plumbing only, no GPU figures)' if ctx.device == 'cpu' else '')


def run_all(ctx, names):
    """Run the checks and figures of ``names``, one line each; returns (passed, run) counts of the checks."""
    passed = total = 0
    for name in names:
        fn = CHECKS.get(name) or FIGURES[name]
        start = time.perf_counter()
        try:
            ok, what, out = fn(ctx)
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - a crashed check failed, the others still run
            ok, what, out = False, f'{type(exc).__name__}: {exc}'.splitlines()[0], ''
        took = time.perf_counter() - start
        if name in CHECKS:
            total += 1
            passed += ok
        label = ('PASS' if ok else 'FAIL') if name in CHECKS else ('FIGURE' if ok else 'FAIL')
        print(f'{label:6s} {name:13s} {what} ({took:.0f} s)', flush=True)
        if not ok and out:
            print('       | ' + '\n       | '.join(out.strip().splitlines()[-15:]), flush=True)
    return passed, total


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--allow-cpu', action='store_true', help='without a GPU, run on the CPU at tiny sizes')
    p.add_argument('--minutes', type=float, default=1.0, help='length of the figures\' videos (default 1)')
    p.add_argument('--only', help=f'comma list of {",".join([*CHECKS, *FIGURES])}')
    p.add_argument('--skip-figures', action='store_true')
    p.add_argument('--keep', help='work here (kept) instead of a temporary folder')
    args = p.parse_args(argv)
    warnings.filterwarnings('ignore', message='Fail to import ``MultiScaleDeformableAttention``')  # mmcv-lite
    logging.getLogger().setLevel(logging.ERROR)  # open_clip's "no pretrained weights" of the random networks
    import torch
    if torch.cuda.is_available():
        device, name = 'cuda', f'{torch.cuda.get_device_name(0)} (torch {torch.__version__}, CUDA {torch.version.cuda})'
    elif args.allow_cpu:
        device, name = 'cpu', f'the CPU (torch {torch.__version__}; dry run)'
    else:
        print('gpu_check: no CUDA GPU is visible (torch.cuda.is_available() is False); run it on a machine with a '
              'GPU, or pass --allow-cpu to dry-run the checks on the CPU')
        return 2
    names = [*CHECKS, *([] if args.skip_figures else FIGURES)]
    if args.only:
        names = [n.strip() for n in args.only.split(',') if n.strip()]
        unknown = [n for n in names if n not in CHECKS and n not in FIGURES]
        if unknown:
            p.error(f'--only: unknown {", ".join(unknown)}')
    work = args.keep or tempfile.mkdtemp(prefix='gpu_check_')
    print(f'gpu_check: {name}; working in {work}', flush=True)
    ctx = Context(device, device == 'cpu', work, args.minutes)
    passed, total = run_all(ctx, names)
    print(summary(ctx, passed, total, name.split(' (')[0]))
    return 0 if passed == total else 1


if __name__ == '__main__':
    sys.exit(main())
