"""Score a QVHighlights submission (official CodaLab jsonl format).

    python tools/eval_qvhighlights.py --submission hl_val_submission.jsonl \\
        --gt data/qvhighlights/highlight_val_release.jsonl [--out metrics.json]

Gives the numbers of moment_detr's ``standalone_eval/eval.py`` (same output layout:
``{"brief": {...}, "HL-min-Fair": ..., "full": ...}``), in a fraction of the time
and without torch. A submission may hold ``pred_saliency_scores`` (HD),
``pred_relevant_windows`` (MR) or both; only the metrics its parts allow are
computed. Saliency vectors shorter than the video are zero-padded and longer ones
truncated, as the official code does. The qid sets must match unless
``--partial``; malformed input (bad JSON, NaN scores, start > end windows, unknown
or missing qids) stops with one line naming the file line / qid and exit code 1.
Against an unlabelled file (test split) only these checks run.
"""
import argparse
import importlib
import json
import os
import sys
import types

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_numpy_only(name):
    """Import ``highlight_plugin.<name>`` without running the package ``__init__``
    files (they import torch): the parent packages are registered as bare modules."""
    parts = f'highlight_plugin.{name}'.split('.')
    for i in range(1, len(parts)):
        package = '.'.join(parts[:i])
        if package not in sys.modules:
            module = types.ModuleType(package)
            module.__path__ = [os.path.join(REPO, *parts[:i])]
            sys.modules[package] = module
    return importlib.import_module('.'.join(parts))


def length_note(submission, ground_truth):
    """One line counting saliency vectors zero-padded / truncated to their video."""
    clips = {r['qid']: int(r['duration'] / 2) for r in ground_truth if 'duration' in r}
    diff = [len(r['pred_saliency_scores']) - clips[r['qid']] for r in submission
            if 'pred_saliency_scores' in r and r['qid'] in clips]
    short, long = sum(d < 0 for d in diff), sum(d > 0 for d in diff)
    if short or long:
        return (f'note: pred_saliency_scores of {short} queries shorter than the video '
                f'(zero-padded) and {long} longer (truncated), as the official evaluator')
    return None


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--submission', required=True, help='prediction .jsonl')
    parser.add_argument('--gt', required=True, help='annotation .jsonl (e.g. val release)')
    parser.add_argument('--out', help='write the full metrics JSON here')
    parser.add_argument('--partial', action='store_true',
                        help='evaluate the shared qids only instead of requiring equal sets')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    errors = load_numpy_only('engine.errors')
    qvh = load_numpy_only('evaluation.functional.qvhighlights')
    try:
        submission = qvh.load_jsonl(args.submission)
        ground_truth = qvh.load_jsonl(args.gt)
        if args.partial:
            pred_qids = {r.get('qid') for r in submission}
            gt_qids = {r.get('qid') for r in ground_truth}
            if pred_qids != gt_qids:
                print(f'warning: {len(gt_qids - pred_qids)} qids missing, '
                      f'{len(pred_qids - gt_qids)} extra; evaluating '
                      f'{len(pred_qids & gt_qids)} shared qids', file=sys.stderr)
        metrics = qvh.eval_submission(submission, ground_truth, match_qids=not args.partial,
                                      sources=(args.submission, args.gt))
    except (errors.HighlightError, OSError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    note = length_note(submission, ground_truth)
    if note:
        print(note, file=sys.stderr)
    if not metrics:
        print('ground truth has no labels: checked format and qid coverage only',
              file=sys.stderr)
    print(json.dumps(metrics.get('brief', {}), indent=4))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(metrics, f, indent=4)
    return 0


if __name__ == '__main__':
    sys.exit(main())
