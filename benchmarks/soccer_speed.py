"""CPU speed of the soccer spotter (NetVLAD K=512 + CMGA config): training samples/s and test seconds per half.

Training: random 20-s windows (40 rows of 512-d video and audio, 5 multi-hot classes), batch 256, the config's
loss and Adam (lr 0.01): forward, loss, backward, optimizer step. Test: one 45-min half (5,400 rows) through
``SoccerSpotter.predict_half``: the 2,700 centred 1-s-stride windows are unfolded and classified in batched
chunks (``model.test_chunk`` windows per pass), no per-second Python loop.

Usage: python benchmarks/soccer_speed.py [--config CONFIG] [--steps 5] [--warmup 2] [--threads 2]
The last printed line is ``train samples/s: X | test s/half: Y``.
"""
import argparse
import os.path as osp
import time

import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(REPO, 'configs', 'soccernet', 'netvlad512_cmga-after_20s_highlight.py')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=CONFIG)
    parser.add_argument('--steps', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--batch-size', type=int, default=256)
    parser.add_argument('--half-rows', type=int, default=5400)
    parser.add_argument('--threads', type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    from mmaction.registry import MODELS
    from mmaction.structures import ActionDataSample
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import highlight_plugin  # noqa: F401  (registration)
    init_default_scope('mmaction')
    cfg = Config.fromfile(args.config)
    model = MODELS.build(cfg.model).train()
    params = sum(p.numel() for p in model.parameters())
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.optim_wrapper.optimizer.lr)
    n = model.window_frames
    inputs = dict(video=torch.randn(args.batch_size, n, 512), audio=torch.randn(args.batch_size, n, 512))
    samples = []
    for i in range(args.batch_size):
        ds = ActionDataSample()
        ds.gt_multilabel = torch.zeros(model.classifier.out_features)
        ds.gt_multilabel[i % model.classifier.out_features] = 1
        samples.append(ds)

    def step():
        loss = model(inputs, samples, mode='loss')['loss_cls']
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    for _ in range(args.warmup):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    train_rate = args.steps * args.batch_size / (time.perf_counter() - start)
    print(f'{osp.basename(args.config)}: {params:,} parameters, {args.threads} threads')
    print(f'training: batch {args.batch_size} windows of {n} rows, {train_rate:.1f} samples/s')

    model.eval()
    half = dict(video=torch.randn(args.half_rows, 512), audio=torch.randn(args.half_rows, 512))
    model.predict_half(dict(video=half['video'][:200], audio=half['audio'][:200]))  # warm-up
    start = time.perf_counter()
    scores = model.predict_half(half)
    test_seconds = time.perf_counter() - start
    print(f'test: {args.half_rows} rows -> {tuple(scores.shape)} per-second scores in {test_seconds:.2f} s '
          f'(chunks of {model.test_chunk} windows)')
    print(f'train samples/s: {train_rate:.1f} | test s/half: {test_seconds:.2f}')


if __name__ == '__main__':
    main()
