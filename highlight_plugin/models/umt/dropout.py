"""Dropout with cheaper masks and the same distribution as ``F.dropout``.

Every element is kept independently with probability ``1 - p`` and scaled by ``1 / (1 - p)``,
exactly as ``F.dropout``; only the way the random mask is drawn differs:

* ``p = 0.5`` (UMT's input dropout, the largest tensors): every random byte gives eight
  independent fair bits, so the mask needs one eighth of the random draws;
* otherwise one uniform float per element is compared with ``p`` (``bernoulli_`` plus the two
  extra passes of ``F.dropout`` are slower on the CPU).

Masks come from PyTorch's generator, so ``torch.manual_seed`` keeps runs reproducible.
"""
import torch

_SHIFTS = torch.arange(8, dtype=torch.uint8)


def _fair_bits(shape, device):
    """Bool tensor of ``shape`` with independent P(True) = 1/2."""
    n = 1
    for s in shape:
        n *= s
    packed = torch.randint(0, 256, ((n + 7) // 8, 1), dtype=torch.uint8, device=device)
    bits = (packed >> _SHIFTS.to(device)).bitwise_and_(1).view(-1)[:n]
    return bits.view(shape).bool()


def dropout(x, p, training=True):
    """Functional dropout; identity when ``not training`` or ``p == 0``."""
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0
    keep = _fair_bits(x.shape, x.device) if p == 0.5 else torch.rand(
        x.shape, dtype=x.dtype, device=x.device) >= p
    return torch.where(keep, x, 0).mul_(1.0 / (1.0 - p))
