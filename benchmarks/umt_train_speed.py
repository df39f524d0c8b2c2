"""Training throughput of UMT-B (QVHighlights config) on the CPU.

Random inputs shaped like QVHighlights: batch 32, T=75 clips of video 2816 + audio 2048, CLIP text
tokens (512, 8-32 per query), 1-3 GT windows per sample; saliency + boundary heads; Adam as in
the original (lr 1e-3, weight decay 1e-4; ``fused=True`` unless ``--no-fused-adam``);
``torch.set_num_threads(2)``. A few warm-up steps,
then timed steps (forward, loss, backward, optimizer step; target construction included).

Usage: python benchmarks/umt_train_speed.py [--steps 10] [--warmup 3] [--threads 2]
The last printed line is ``samples/s: X``.
"""
import argparse
import os.path as osp
import time

import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(REPO, 'configs', '_base_', 'models', 'umt_base.py')


def make_batch(batch_size=32, num_clips=75, video_dim=2816, audio_dim=2048, query_dim=512,
               max_tokens=32, seed=0):
    """Random batch in the data contract's layout plus per-sample targets (plain tensors)."""
    g = torch.Generator().manual_seed(seed)
    tokens = torch.randint(8, max_tokens + 1, (batch_size,), generator=g)
    query_mask = (torch.arange(max_tokens)[None] < tokens[:, None]).float()
    inputs = dict(
        video=torch.randn(batch_size, num_clips, video_dim, generator=g),
        audio=torch.randn(batch_size, num_clips, audio_dim, generator=g),
        video_mask=torch.ones(batch_size, num_clips),
        query=torch.randn(batch_size, max_tokens, query_dim, generator=g) * query_mask[..., None],
        query_mask=query_mask)
    saliency = torch.randint(0, 13, (batch_size, num_clips), generator=g).float() / 12
    windows = []
    for _ in range(batch_size):
        num = int(torch.randint(1, 4, (), generator=g))
        start = torch.randint(0, num_clips - 5, (num,), generator=g)
        length = torch.randint(1, 30, (num,), generator=g)
        end = torch.minimum(start + length, torch.tensor(num_clips))
        windows.append(torch.stack((start, end), dim=1).float() * 2.0)
    return inputs, saliency, windows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--no-fused-adam', action='store_true',
                        help="plain torch.optim.Adam (the original's) instead of fused=True")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    from mmaction.registry import MODELS
    from mmaction.structures import ActionDataSample
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import highlight_plugin  # noqa: F401  (registration)
    init_default_scope('mmaction')

    model = MODELS.build(Config.fromfile(CONFIG).model).train()
    # fused=True: the same Adam update (L2 weight decay) in one pass per tensor on the CPU
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4,
                                 fused=not args.no_fused_adam)
    inputs, saliency, windows = make_batch(args.batch_size)
    samples = []
    for sal, win in zip(saliency, windows):
        ds = ActionDataSample()
        ds.set_metainfo(dict(num_clips=sal.numel(), clip_len=2.0))
        ds.gt_saliency, ds.gt_windows = sal, win
        samples.append(ds)

    def step():
        losses = model(inputs, samples, mode='loss')
        loss = sum(v for k, v in losses.items() if 'loss' in k)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    for _ in range(args.warmup):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        loss = step()
    elapsed = time.perf_counter() - start
    print(f'params: {sum(p.numel() for p in model.parameters()):,}  loss: {loss:.4f}  '
          f'step: {elapsed / args.steps * 1e3:.1f} ms  threads: {args.threads}  '
          f'fused adam: {not args.no_fused_adam}')
    print(f'samples/s: {args.batch_size * args.steps / elapsed:.2f}')


if __name__ == '__main__':
    main()
