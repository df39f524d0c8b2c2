"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [options]``.

CHECKPOINT may be a zoo name (a model's, or a checkpoint entry's: fetched, verified and converted once), and CONFIG
a model name: ``python tools/test.py umt-youtube-surfing`` evaluates that model with its config and checkpoint on
the dataset's features.
"""
import argparse

from highlight_plugin.engine import run_cli
from highlight_plugin.engine.launch import DUMPERS, add_launch_args, run_test


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and evaluate) a highlight model')
    parser.add_argument('config', help='test config file path, or a zoo model name (python tools/check_weights.py '
                        '--list)')
    parser.add_argument('checkpoint', nargs='?', help='checkpoint file or zoo name (default with a model name: '
                        'its checkpoint)')
    parser.add_argument('--work-dir', help='where the evaluation log goes')
    formats = '; '.join(f"{'/'.join(s) or 'no suffix'}: {what}" for s, *_, what in DUMPERS)
    parser.add_argument('--dump', help=f'also write predictions, by suffix ({formats})')
    parser.add_argument('--show-dir', help='save visualisations here (needs a '
                        'visualization hook in the config)')
    parser.add_argument('--show', action='store_true', help='display visualisations')
    parser.add_argument('--interval', type=int, default=1, help='visualise every N samples')
    parser.add_argument('--wait-time', type=float, default=2, help='display time (s)')
    return add_launch_args(parser).parse_args(argv)


def main(argv=None):
    args = vars(parse_args(argv))
    run_test(args.pop('config'), args.pop('checkpoint'), **args)


if __name__ == '__main__':
    run_cli(main)
