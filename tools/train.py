"""Train a model: ``python tools/train.py CONFIG [options]`` (mmaction2 1.x flags)."""
import argparse

from highlight_plugin.engine import run_cli
from highlight_plugin.engine.launch import add_launch_args, run_train


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a highlight detection model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='where logs and checkpoints go '
                        '(default: config work_dir, else ./work_dirs/<config name>)')
    parser.add_argument('--resume', nargs='?', const='auto', metavar='CHECKPOINT',
                        help='resume from CHECKPOINT, or without a value from the newest '
                        'complete checkpoint in the work dir')
    parser.add_argument('--amp', action='store_true',
                        help='automatic mixed precision (fp16 on a GPU, unless the config\'s optim_wrapper.dtype '
                        'says bfloat16; bf16 on the CPU)')
    parser.add_argument('--amp-dtype', choices=['fp16', 'bf16'], help='--amp in this dtype')
    parser.add_argument('--no-validate', action='store_true', help='skip validation')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the lr by actual / base batch size (auto_scale_lr)')
    parser.add_argument('--seed', type=int, help='random seed')
    parser.add_argument('--diff-rank-seed', action='store_true',
                        help='a different seed on every rank')
    parser.add_argument('--deterministic', action='store_true',
                        help='deterministic algorithms (slower)')
    return add_launch_args(parser).parse_args(argv)


def main(argv=None):
    args = vars(parse_args(argv))
    args['amp'] = args.pop('amp_dtype') or args['amp']
    run_train(args.pop('config'), **args)


if __name__ == '__main__':
    run_cli(main)
