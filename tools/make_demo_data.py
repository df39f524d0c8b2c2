"""Write a small synthetic, learnable dataset in the Hotstar layout (default: data/hotstar_highlight_865/)."""
import argparse

from highlight_plugin.datasets.demo import make_hotstar_demo


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--out-dir', default='data/hotstar_highlight_865')
    parser.add_argument('--num-titles', type=int, default=30)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    rows = make_hotstar_demo(args.out_dir, num_titles=args.num_titles, seed=args.seed)
    print(f'wrote {rows} scenes of {args.num_titles} titles to {args.out_dir}')


if __name__ == '__main__':
    main()
