"""Context gating (Miech et al., LOUPE): y <- y * sigmoid(BN(y W_g)), or a bias instead of the BN."""
import math

import torch
from mmaction.registry import MODELS
from torch import nn


@MODELS.register_module()
class ContextGating(nn.Module):
    """Learned per-feature gate of a (..., C) tensor.

    Args:
        channels (int): feature size C. use_bn (bool): BatchNorm on the gate logits (else a bias).
        bn_eps, bn_momentum (float): BatchNorm settings (defaults: TF slim's 1e-3 and decay 0.999).
    """

    def __init__(self, channels, use_bn=True, bn_eps=1e-3, bn_momentum=0.001):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(channels, channels) / math.sqrt(channels))
        if use_bn:
            self.bn = nn.BatchNorm1d(channels, eps=bn_eps, momentum=bn_momentum)
        else:
            self.bias = nn.Parameter(torch.randn(channels) / math.sqrt(channels))
        self.use_bn = use_bn

    def forward(self, x):
        gates = x @ self.weight
        if self.use_bn:
            gates = self.bn(gates.reshape(-1, gates.shape[-1])).reshape(gates.shape)
        else:
            gates = gates + self.bias
        return x * torch.sigmoid(gates)
