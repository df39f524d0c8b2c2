"""Gated multimodal unit (Arevalo et al. 2017), applied position by position."""
import torch
from mmaction.registry import MODELS
from torch import nn

from .base import BaseFusion
from .utils import apply_mask, split_dims


@MODELS.register_module()
class GMUFusion(BaseFusion):
    """h = z * tanh(W_v v + b_v) + (1 - z) * tanh(W_a a + b_a), z = sigmoid(W_z [v; a] + b_z).

    Args:
        dims (int | tuple[int, int]): input sizes (Dv, Da).
        hidden_channels (int | None): size of h (default Dv); also ``out_channels``.
    """

    def __init__(self, dims=512, hidden_channels=None):
        super().__init__()
        dv, da = split_dims(dims)
        hidden = hidden_channels or dv
        self.video_proj = nn.Linear(dv, hidden)
        self.audio_proj = nn.Linear(da, hidden)
        self.gate = nn.Linear(dv + da, hidden)
        self.out_channels = hidden
        for layer in (self.video_proj, self.audio_proj, self.gate):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, video, audio, mask=None):
        z = torch.sigmoid(self.gate(torch.cat([video, audio], dim=-1)))
        h = z * torch.tanh(self.video_proj(video)) + (1 - z) * torch.tanh(self.audio_proj(audio))
        return apply_mask(h, mask)
