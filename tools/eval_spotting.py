"""Average-mAP of SoccerNet spotting predictions, equal to the official devkit.

    python tools/eval_spotting.py GT_ROOT PRED_ROOT [--version {1,2}] [--metric {loose,tight}]
        [--split-file FILE] [--classes highlight]

Evaluates every game directory under PRED_ROOT holding ``results_spotting.json`` (or the games of
``--split-file``: V&D ``.npy``, ``.json`` list or one game per line) against
``GT_ROOT/<game>/Labels-v2.json`` (``Labels.json`` with ``--version 1``) and prints JSON with ``a_mAP`` and
``a_mAP_per_class`` (v2 also the visible / unshown variants). ``--classes highlight`` scores the 5-class
highlight grouping (kick, subs, card, goal) instead of the devkit's classes; such numbers are not comparable
with published ones.
"""
import argparse
import json

from highlight_plugin.datasets.soccernet import read_game_list
from highlight_plugin.datasets.soccernet_labels import CLASS_PRESETS
from highlight_plugin.engine import run_cli
from highlight_plugin.evaluation.functional.soccernet import evaluate_spotting


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('gt_root', help='folder of <league>/<season>/<game>/Labels(-v2).json')
    parser.add_argument('pred_root', help='folder of <league>/<season>/<game>/results_spotting.json')
    parser.add_argument('--version', type=int, choices=[1, 2], default=2, help='SoccerNet label version')
    parser.add_argument('--metric', choices=['loose', 'tight', 'at1', 'at2', 'at3', 'at4', 'at5'], default='loose')
    parser.add_argument('--split-file', help='evaluate only these games')
    parser.add_argument('--classes', choices=['highlight'], help='grouped classes instead of the devkit ones')
    parser.add_argument('--out', help='also write the JSON here')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    games = read_game_list(args.split_file) if args.split_file else None
    kwargs = {}
    if args.classes:
        classes, label_map = CLASS_PRESETS[args.classes]
        kwargs = dict(grouping=([c for c in classes if c != 'background'], label_map))
    results = evaluate_spotting(args.gt_root, args.pred_root, games=games, version=args.version,
                                metric=args.metric, **kwargs)
    if args.version == 1 and not args.classes:
        results = {k: v for k, v in results.items() if 'visible' not in k and 'unshown' not in k}
    results = {k: (float(v) if hasattr(v, 'item') else [float(x) for x in v] if isinstance(v, list)
                   and k.startswith('a_mAP') else v) for k, v in results.items()}
    text = json.dumps(results, indent=1)
    print(text)
    if args.out:
        with open(args.out, 'w') as fh:
            fh.write(text + '\n')


if __name__ == '__main__':
    run_cli(main)
