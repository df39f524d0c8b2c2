"""Check the zoo's published files once you have a network: fetch, verify, convert, strict-load, one forward pass.

    python tools/check_weights.py                      # every weight entry of the zoo
    python tools/check_weights.py umt-qvhighlights     # a model: its checkpoint and its feature weights
    python tools/check_weights.py panns-cnn14 --device cuda
    python tools/check_weights.py --list               # the zoo's models and files

One line per entry (OK or FAIL and why); the exit status is 1 when any failed. Files are cached in
$HIGHLIGHT_PLUGIN_HOME (default ~/.cache/highlight_plugin); HIGHLIGHT_PLUGIN_MIRROR and HIGHLIGHT_PLUGIN_ZOO apply.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from highlight_plugin.engine.cli import run_cli  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument('names', nargs='*', metavar='NAME', help='zoo names (models or weight entries)')
    parser.add_argument('--list', action='store_true', help='list the zoo and exit')
    parser.add_argument('--device', default='cpu', help='torch device of the forward passes (default: cpu)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from highlight_plugin.apis.check_weights import check_entry, expand_names
    from highlight_plugin.weights.zoo import load_zoo
    if args.list:
        zoo = load_zoo()
        for name, model in sorted(zoo.models.items()):
            print(f'{name:40s} model: {model.description}')
        for name, entry in sorted(zoo.weights.items()):
            print(f'{name:40s} {entry.role or "input"}: {entry.description}')
        return
    failed = 0
    for name in expand_names(args.names):
        result = check_entry(name, device=args.device)
        print(result.line(), flush=True)
        failed += not result.ok
    if failed:
        sys.exit(1)


if __name__ == '__main__':
    run_cli(main)
