"""Masked mean / max pooling over time (the mean-pool CMGA variant and simple baselines)."""
from mmaction.registry import MODELS
from torch import nn


@MODELS.register_module()
class TemporalPooling(nn.Module):
    """(B, N, D) -> (B, D) by ``mode='mean'`` or ``'max'`` over the valid frames."""

    def __init__(self, in_channels=512, mode='mean'):
        super().__init__()
        if mode not in ('mean', 'max'):
            raise ValueError(f"mode must be 'mean' or 'max', got {mode!r}")
        self.mode, self.out_channels = mode, in_channels

    def forward(self, x, mask=None):
        if mask is None:
            return x.mean(dim=1) if self.mode == 'mean' else x.amax(dim=1)
        m = mask[..., None].to(x.dtype)
        if self.mode == 'mean':
            return (x * m).sum(dim=1) / m.sum(dim=1).clamp(min=1)
        return x.masked_fill(m == 0, float('-inf')).amax(dim=1)
