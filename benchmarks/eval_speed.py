"""Time the QVHighlights evaluation of the whole val split (HD and MR), one core.

    python benchmarks/eval_speed.py [--gt highlight_val_release.jsonl]

Uses the real val annotations (``--gt``; default: the copy under
``tests/data/qvhighlights``) and the seeded random submission of
``tests/evaluation/qvh_submissions.py``. Times parsing/validation plus all
metrics, as ``tools/eval_qvhighlights.py`` runs them (JSON reading excluded);
prints the best wall time of 7 runs (least disturbed by other processes) as the
last line, after the median wall and CPU times. The official evaluator takes ~7 s
with an 8-process pool.
"""
import os

for _var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ[_var] = '1'

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import runpy  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOCAL = os.path.join(REPO, 'tests', 'data', 'qvhighlights', 'highlight_val_release.jsonl')


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--gt', default=LOCAL if os.path.isfile(LOCAL) else None,
                        help='QVHighlights val annotations (default: tests/data/qvhighlights/'
                             'highlight_val_release.jsonl)')
    args = parser.parse_args(argv)
    if args.gt is None:
        parser.error(f'no annotations at {LOCAL}: pass --gt PATH/highlight_val_release.jsonl')
    if not os.path.isfile(args.gt):
        parser.error(f'--gt {args.gt}: no such file')
    return args


def main(argv=None):
    args = parse_args(argv)
    tool = runpy.run_path(os.path.join(REPO, 'tools', 'eval_qvhighlights.py'))
    qvh = tool['load_numpy_only']('evaluation.functional.qvhighlights')
    gen = _load(os.path.join(REPO, 'tests', 'evaluation', 'qvh_submissions.py'), 'gen')
    gt_path = args.gt
    gt = qvh.load_jsonl(gt_path)
    # Round-trip through JSON so the records look exactly like a read file.
    submission = json.loads(json.dumps(gen.make_submission(gt, kind='random', seed=0)))
    wall, cpu = [], []
    for _ in range(7):
        start, start_cpu = time.perf_counter(), time.process_time()
        metrics = qvh.eval_submission(submission, gt)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    print(f'annotations: {gt_path} ({len(gt)} queries)')
    print(json.dumps(metrics['brief']))
    print(f'median of 7 runs: wall {statistics.median(wall):.3f} s, '
          f'cpu {statistics.median(cpu):.3f} s')
    print(f'val evaluation seconds: {min(wall):.3f}')


if __name__ == '__main__':
    main()
