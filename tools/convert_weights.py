"""Convert a published weight file once into a tensors-only file the feature extractors load.

    python tools/convert_weights.py FORMAT INPUT [INPUT ...] --out OUTPUT[.safetensors|.pth]
    python tools/convert_weights.py --list

Published files that need code to unpickle (Caffe2 / scikit-learn pickles) or another framework
(Keras HDF5) are read as data here, never executed; the output holds tensors only.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from highlight_plugin.engine.cli import run_cli  # noqa: E402


def main(argv=None):
    from highlight_plugin import features  # noqa: F401  (registers the converters)
    from highlight_plugin.weights import WEIGHT_CONVERTERS, convert

    formats = {name: ((fn.__doc__ or '').strip().splitlines() or [''])[0] for name, fn in
               sorted(WEIGHT_CONVERTERS.module_dict.items())}
    p = argparse.ArgumentParser(description=__doc__ + '\nformats:\n' + '\n'.join(
        f'  {n:24s} {h}' for n, h in formats.items()), formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('format', nargs='?', choices=sorted(formats), help='the published format')
    p.add_argument('inputs', nargs='*', metavar='INPUT')
    p.add_argument('--out', help='output file (.safetensors, or .pth for a plain state dict)')
    p.add_argument('--list', action='store_true', help='list the formats')
    args = p.parse_args(argv)
    if args.list or not args.format:
        print('\n'.join(f'{n:24s} {h}' for n, h in formats.items()))
        return
    if not args.inputs or not args.out:
        p.error('FORMAT needs INPUT files and --out')
    print(f'wrote {convert(args.format, args.inputs, args.out)}')


if __name__ == '__main__':
    run_cli(main)
