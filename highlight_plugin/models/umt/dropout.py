"""Dropout with cheaper masks and the distribution of ``F.dropout``.

Every element is kept independently with probability ``1 - p`` and scaled by ``1 / (1 - p)``,
as ``F.dropout`` does; only the way the random mask is drawn differs. On the CPU, drawing the
masks (``bernoulli_``) took about 30 % of the original UMT's training step. Here:

* ``p = 0.5`` (UMT's input dropout on the largest tensors): each random byte gives eight fair
  bits, so a mask needs one generator call per 8 * 3 elements (three random bytes per call);
  the 0/1 bytes multiply the input (``torch.where`` on a bool mask is ~5x slower on the CPU);
* other ``p`` (0.1 inside UMT's blocks): the gaps between dropped elements of i.i.d.
  Bernoulli(p) trials are geometric, so drawing the gaps gives the dropped positions with one
  draw per *dropped* element (``p * n`` instead of ``n``); the positions are then zeroed in
  place (``index_fill_``), forward and backward, instead of a full-size mask and ``where``;
* off the CPU, a ``torch.rand(shape) >= p`` mask (one kernel, no host synchronisation).

Draws come from PyTorch's generator, so ``torch.manual_seed`` keeps runs reproducible.
"""
import math

import torch
import torch.nn.functional as F

_SHIFTS = torch.arange(8, dtype=torch.uint8)


def _random_bytes(n, device):
    """``n`` independent uniform bytes, three per generator call (24-bit draws)."""
    words = torch.randint(0, 1 << 24, ((n + 2) // 3, ), dtype=torch.int32, device=device)
    # little-endian int32 -> bytes [b0, b1, b2, 0]: keep the three random ones
    return words.view(torch.uint8).view(-1, 4)[:, :3].reshape(-1)[:n]


def _fair_bits(n, device):
    """Flat uint8 tensor of ``n`` independent fair 0/1 values: eight per random byte."""
    packed = _random_bytes((n + 7) // 8, device)[:, None]
    return (packed >> _SHIFTS.to(device)).bitwise_and_(1).view(-1)[:n]


def drop_positions(n, p, device=None, sigmas=6.0):
    """Sorted int64 positions in ``[0, n)`` zeroed by i.i.d. dropout with probability ``p``.

    The number of trials up to and including a drop is geometric: ``floor(log(1 - U) /
    log(1 - p)) + 1`` for uniform ``U`` (24-bit, as ``torch.rand`` float32; the rest in float64).
    Drawn in blocks of ``sigmas`` standard deviations above the expected count, so one block
    almost always covers ``n``."""
    if p <= 0 or p >= 1:
        return torch.arange(n if p >= 1 else 0, device=device)
    inv_log = 1.0 / math.log1p(-p)
    blocks, start = [], 0  # start: first position not yet covered
    while start < n:
        rest = n - start
        size = max(int(rest * p + sigmas * math.sqrt(rest * p * (1 - p))), 16)
        gaps = torch.rand(size, device=device).double().neg_().log1p_()
        pos = gaps.mul_(inv_log).floor_().to(torch.int64).add_(1).cumsum_(0).add_(start - 1)
        blocks.append(pos[:int(torch.searchsorted(pos, n))])
        start = int(pos[-1]) + 1
    return blocks[0] if len(blocks) == 1 else torch.cat(blocks)


class _ZeroAt(torch.autograd.Function):
    """``x`` with the flat positions ``index`` set to zero; the gradient is zeroed there too.

    ``inplace=True`` writes into ``x``: only for a fresh contiguous tensor that no other
    autograd node saved (e.g. a linear layer's output)."""

    @staticmethod
    def forward(ctx, x, index, inplace):
        ctx.save_for_backward(index)
        if inplace:
            ctx.mark_dirty(x)
        out = x if inplace else x.clone(memory_format=torch.contiguous_format)
        out.view(-1).index_fill_(0, index, 0.0)
        return out

    @staticmethod
    def backward(ctx, grad):
        index, = ctx.saved_tensors
        grad = grad.clone(memory_format=torch.contiguous_format)
        grad.view(-1).index_fill_(0, index, 0.0)
        return grad, None, None


class _ReluZeroAt(torch.autograd.Function):
    """``relu`` then zeros at ``index``, in place on a fresh tensor; saves only the output
    (which the next linear layer saves anyway): the gradient passes where the output is > 0."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.mark_dirty(x)
        x.relu_().view(-1).index_fill_(0, index, 0.0)
        ctx.save_for_backward(x)
        return x

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        # the out= variant: the allocating one is ~4x slower on the CPU
        return torch.ops.aten.threshold_backward.grad_input(
            grad, out, 0, grad_input=torch.empty_like(grad)), None


def _sparse_path(x, p):
    return p != 0.5 and x.device.type == 'cpu'


def zero_dropped(x, p, inplace=False):
    """``x`` with each element zeroed independently with probability ``p``, not rescaled
    (dropout whose ``1 / (1 - p)`` scale is folded into a neighbouring linear layer).
    ``inplace``: ``x`` is a fresh contiguous tensor no autograd node saved, and may be reused."""
    if not _sparse_path(x, p):
        return x * keep_mask(x.shape, p, x.device)
    inplace = inplace and x.is_contiguous()
    return _ZeroAt.apply(x, drop_positions(x.numel(), p, x.device), inplace)


def relu_zero_dropped(x, p):
    """``zero_dropped(relu(x), p)``; ``x`` must be fresh (a linear layer's output): it is reused."""
    if not (_sparse_path(x, p) and x.is_contiguous()):
        return zero_dropped(F.relu(x), p)
    return _ReluZeroAt.apply(x, drop_positions(x.numel(), p, x.device))


def keep_mask(shape, p, device=None):
    """Mask of ``shape`` to multiply by, 1 where dropout with probability ``p`` keeps an element: fair
    0/1 bytes for ``p = 0.5`` on the CPU ("kept" has the law of "dropped"), else ``rand >= p``."""
    if p == 0.5 and torch.device(device or 'cpu').type == 'cpu':
        return _fair_bits(math.prod(shape), device).view(shape)
    return torch.rand(shape, device=device) >= p


def dropout(x, p, training=True):
    """Functional dropout; identity when ``not training`` or ``p == 0``."""
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0
    return zero_dropped(x, p).mul_(1.0 / (1.0 - p))


def scaled_linear(x, linear, scale=1.0, bias_scale=1.0):
    """``linear`` with its weight scaled by ``scale`` and its bias by ``bias_scale``.

    Dropout's ``1 / (1 - p)`` factors are folded into the next or previous linear layer this way:
    ``W (m * x / (1-p)) + b == (W / (1-p)) (m * x) + b`` and
    ``m * (W x + b) / (1-p) == m * ((W / (1-p)) x + b / (1-p))``, which saves one pass over the
    (large) activations forward and backward; the weights are small.
    """
    if scale == 1.0 and bias_scale == 1.0:
        return linear(x)
    bias = None if linear.bias is None else linear.bias * bias_scale
    return F.linear(x, linear.weight * scale, bias)


def input_dropout_linear(x, linear, p, training=True):
    """``linear(dropout(x, p))`` with the dropout scale folded into the weight (``x`` is large)."""
    if not training or p == 0:
        return linear(x)
    if p == 1:
        return linear(x * 0)
    return scaled_linear(zero_dropped(x, p), linear, 1 / (1 - p))
