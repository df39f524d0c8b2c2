"""Convert a checkpoint of the original UMT (TencentARC/UMT) into this project's layout.

    python tools/convert_umt_checkpoint.py SRC DST [--config CFG]

SRC may hold the state dict under ``state_dict`` or ``model``, or be a bare state dict
(a ``module.`` prefix is stripped); it is loaded with ``weights_only=True`` only. DST is an
mmengine checkpoint ``dict(meta, state_dict)`` (optimizer state dropped). Names and shapes are
checked against the model built from CFG (default: configs/_base_/models/umt_base.py, the
QVHighlights UMT-B); pass the config of the model the checkpoint belongs to.
"""
import argparse
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CONFIG = os.path.join(REPO, 'configs', '_base_', 'models', 'umt_base.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src', help='original UMT checkpoint (.pth)')
    parser.add_argument('dst', help='output checkpoint (.pth)')
    parser.add_argument('--config', default=DEFAULT_CONFIG,
                        help='config whose `model` the checkpoint must match (default: UMT-B)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    sys.path.insert(0, REPO)
    from highlight_plugin.engine.errors import HighlightError
    from highlight_plugin.weights.umt import build_target_model, convert_checkpoint
    try:
        checkpoint = convert_checkpoint(args.src, args.dst, build_target_model(args.config))
    except HighlightError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 1
    print(f'converted {len(checkpoint["state_dict"])} tensors: {args.src} -> {args.dst}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
