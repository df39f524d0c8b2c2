"""Plot training curves from a work dir's json logs.

``python tools/analyze_logs.py plot_curve WORK_DIR_OR_JSON [--keys loss lr HL-mAP] --out curves.png``
"""
import argparse

from highlight_plugin.engine import run_cli
from highlight_plugin.engine.logs import plot_curves


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Analyse training logs')
    sub = parser.add_subparsers(dest='command', required=True)
    plot = sub.add_parser('plot_curve', help='per-epoch curves of loss, lr and val metrics')
    plot.add_argument('logs', nargs='+', help='work dirs or scalars.json files (one figure each '
                      'when several are given, suffixed _0, _1, ...)')
    plot.add_argument('--keys', nargs='+', help='values to plot (default: loss, lr and '
                      'every validation metric)')
    plot.add_argument('--title', help='figure title')
    plot.add_argument('--out', default='curves.png', help='output image (png, pdf, svg)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    for i, logs in enumerate(args.logs):
        out = args.out
        if len(args.logs) > 1:
            stem, dot, ext = out.rpartition('.')
            out = f'{stem}_{i}.{ext}' if dot else f'{out}_{i}'
        print(plot_curves(logs, args.keys, out, args.title))


if __name__ == '__main__':
    run_cli(main)
