"""Training throughput of UMT-B (QVHighlights config), on the CPU unless ``--device`` says otherwise.

Random inputs shaped like QVHighlights: batch 32, T=75 clips of video 2816 + audio 2048, CLIP text
tokens (512, 8-32 per query), 1-3 GT windows per sample; saliency + boundary heads; Adam as in
the original (lr 1e-3, weight decay 1e-4; ``fused=True`` unless ``--no-fused-adam``);
``torch.set_num_threads(2)``. A few warm-up steps,
then timed steps (forward, loss, backward, optimizer step; target construction included).

Usage: python benchmarks/umt_train_speed.py [--steps 10] [--warmup 3] [--threads 2] [--device cuda] [--amp fp16]
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


def train_speed(batch_size=32, steps=10, warmup=3, fused=True, device='cpu', amp=None):
    """``(samples/s, last loss, parameters)`` of UMT-B training steps on ``device``; ``amp``: None (fp32), 'fp16' or
    'bf16' autocast (fp16 with a gradient scaler)."""
    from mmaction.registry import MODELS
    from mmaction.structures import ActionDataSample
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import highlight_plugin  # noqa: F401  (registration)
    init_default_scope('mmaction')

    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(CONFIG).model).train().to(device)
    # fused=True: the same Adam update (L2 weight decay) in one pass per tensor
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4, fused=fused)
    inputs, saliency, windows = make_batch(batch_size)
    inputs = {k: v.to(device) for k, v in inputs.items()}
    samples = []
    for sal, win in zip(saliency, windows):
        ds = ActionDataSample()
        ds.set_metainfo(dict(num_clips=sal.numel(), clip_len=2.0))
        ds.gt_saliency, ds.gt_windows = sal.to(device), win.to(device)
        samples.append(ds)
    dtype = dict(fp16=torch.float16, bf16=torch.bfloat16).get(amp)
    scaler = torch.amp.GradScaler(torch.device(device).type, enabled=dtype == torch.float16)

    def step():
        with torch.autocast(torch.device(device).type, dtype=dtype, enabled=dtype is not None):
            losses = model(inputs, samples, mode='loss')
        loss = sum(v for k, v in losses.items() if 'loss' in k)
        optimizer.zero_grad()
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        return loss.item()  # waits for the device

    for _ in range(warmup):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        loss = step()
    elapsed = time.perf_counter() - start
    return batch_size * steps / elapsed, loss, sum(p.numel() for p in model.parameters())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--no-fused-adam', action='store_true',
                        help="plain torch.optim.Adam (the original's) instead of fused=True")
    parser.add_argument('--device', default='cpu', help='cpu, cuda or cuda:N')
    parser.add_argument('--amp', choices=['fp16', 'bf16'], help='autocast in this dtype (default: fp32)')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    speed, loss, params = train_speed(args.batch_size, args.steps, args.warmup, not args.no_fused_adam, args.device,
                                      args.amp)
    print(f'params: {params:,}  loss: {loss:.4f}  step: {args.batch_size / speed * 1e3:.1f} ms  '
          f'threads: {args.threads}  fused adam: {not args.no_fused_adam}  device: {args.device}  '
          f'amp: {args.amp or "off"}')
    print(f'samples/s: {speed:.2f}')


if __name__ == '__main__':
    main()
