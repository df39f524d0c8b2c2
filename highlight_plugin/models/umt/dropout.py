"""Dropout with cheaper masks and the distribution of ``F.dropout``.

Every element is kept independently with probability ``1 - p`` and scaled by ``1 / (1 - p)``,
as ``F.dropout`` does; only the way the random mask is drawn differs. On the CPU, drawing the
masks (``bernoulli_``) took about 30 % of the original UMT's training step. Here:

* ``p = 0.5`` (UMT's input dropout on the largest tensors): each random byte gives eight fair
  bits, so a mask needs one generator call per 8 * 3 elements (three random bytes per call);
* otherwise an element is dropped when a uniform 24-bit integer is below ``ceil(p * 2**24)``:
  exactly the event ``torch.rand() < p`` (``torch.rand`` float32 values are 24-bit multiples),
  without the float conversion.

Masks come from PyTorch's generator, so ``torch.manual_seed`` keeps runs reproducible.
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


def bernoulli_mask(n, p, device=None):
    """Flat bool tensor of ``n`` independent draws with P(True) = ``p`` (24-bit resolution)."""
    if p == 0.5:  # every random byte gives eight fair bits
        packed = _random_bytes((n + 7) // 8, device)[:, None]
        return (packed >> _SHIFTS.to(device)).bitwise_and_(1).view(-1)[:n].bool()
    draws = torch.randint(0, 1 << 24, (n, ), dtype=torch.int32, device=device)
    return draws < math.ceil(p * (1 << 24))


def drop_mask(shape, p, device=None):
    """Bool tensor of ``shape``, True where dropout with probability ``p`` zeroes an element."""
    n = math.prod(shape)
    return bernoulli_mask(n, p, device).view(shape)


def dropout(x, p, training=True):
    """Functional dropout; identity when ``not training`` or ``p == 0``."""
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0
    return torch.where(drop_mask(x.shape, p, x.device), 0.0, x).mul_(1.0 / (1.0 - p))


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
    return scaled_linear(torch.where(drop_mask(x.shape, p, x.device), 0.0, x), linear, 1 / (1 - p))
