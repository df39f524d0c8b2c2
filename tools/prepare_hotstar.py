"""Hotstar raw scene annotations -> labels.csv (content_id, start, end, label, rating, is_train).

Example::

    python tools/prepare_hotstar.py raw_annotations.csv --out data/hotstar/labels.csv \\
        --feature-dir data/hotstar
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('raw_csv', help='raw sheet: content_id, start_position_scene, end_position_scene, rating_*')
    p.add_argument('--out', required=True, help='labels.csv to write')
    p.add_argument('--feature-dir', help='dataset root with clip_features/ and panns_features/: check that '
                   'every title has features long enough for its scenes')
    p.add_argument('--train-ratio', type=float, default=0.9, help='fraction of titles in train (default 0.9)')
    p.add_argument('--seed', type=int, default=7, help='seed of the title split (default 7, as the dataset)')
    p.add_argument('--skip-bad-rows', action='store_true', help='drop malformed rows (listed) instead of failing')
    p.add_argument('--strict', action='store_true', help='exit with status 1 when features mismatch')
    args = p.parse_args(argv)
    from highlight_plugin.datasets.hotstar_labels import prepare_hotstar
    from highlight_plugin.engine.errors import HighlightError
    try:
        report = prepare_hotstar(args.raw_csv, args.out, args.feature_dir, args.train_ratio, args.seed,
                                 args.skip_bad_rows)
    except HighlightError as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    print(report.summary())
    print(f'wrote {args.out}')
    return 1 if args.strict and report.mismatches else 0


if __name__ == '__main__':
    sys.exit(main())
