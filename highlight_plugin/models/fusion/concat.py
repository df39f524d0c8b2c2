"""Concatenation fusion: V&D Method 4 on pooled vectors, Methods 6/7 (early fusion) on frame features."""
import torch
from mmaction.registry import MODELS

from .base import BaseFusion
from .utils import split_dims


@MODELS.register_module()
class ConcatFusion(BaseFusion):
    """[video; audio] along the feature axis: (B, N, Dv), (B, N, Da) -> (B, N, Dv + Da). No parameters."""

    def __init__(self, dims=512):
        super().__init__()
        dv, da = split_dims(dims)
        self.out_channels = dv + da

    def forward(self, video, audio, mask=None):
        return torch.cat([video, audio], dim=-1)
