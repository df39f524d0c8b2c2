"""Cross-modal gated attention (Jiang & Ji 2022), audio -> video direction (docs/soccer.md §3.5)."""
import math

import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from torch import nn

from .base import BaseFusion
from .utils import apply_mask, split_dims


def _attend(q, k, v, mask, dropout, training):
    """softmax(q k^T / sqrt(d)) v with padded keys masked out; q, k, v: (..., N, d)."""
    logits = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    if mask is not None:
        key_mask = mask[:, None, :] if logits.dim() == 3 else mask[:, None, None, :]
        logits = logits.masked_fill(key_mask == 0, float('-inf'))
    weights = F.dropout(torch.softmax(logits, dim=-1), dropout, training)
    return weights @ v


@MODELS.register_module()
class CMGAFusion(BaseFusion):
    """Video (z_i) gated by an audio-queried (z_j) cross-attention, then multi-head self-attention.

    Steps: [., K_i, V_i] = z_i W_i; [Q_j, ., .] = z_j W_j; A = Dropout(softmax(Q_j K_i^T / sqrt(D))) V_i;
    F = sigmoid(W_f [A; z_j] + b_f); H = ReLU(z_i + (W_m A + b_m) * F); out = Dropout(Proj(MHSA(H))).
    Works on frame sequences (fusion before pooling) and on pooled vectors as N = 1 sequences.

    Args:
        dims (int | tuple[int, int]): (Dv, Da); the output has Dv channels.
        num_heads (int): heads of the fusion self-attention. dropout (float): attention and output dropout.
    """

    def __init__(self, dims=512, num_heads=8, dropout=0.2):
        super().__init__()
        dv, da = split_dims(dims)
        if dv % num_heads:
            raise ValueError(f'video dims {dv} not divisible by num_heads {num_heads}')
        self.num_heads, self.dropout, self.out_channels = num_heads, dropout, dv
        self.video_qkv = nn.Linear(dv, 3 * dv, bias=False)   # W_i (its Q part is unused, as in the paper)
        self.audio_qkv = nn.Linear(da, 3 * dv, bias=False)   # W_j (only Q_j is used)
        self.forget_gate = nn.Linear(dv + da, dv)            # W_f
        self.message = nn.Linear(dv, dv)                     # W_m
        self.fusion_qkv = nn.Linear(dv, 3 * dv, bias=False)
        self.fusion_proj = nn.Linear(dv, dv)
        for layer in (self.video_qkv, self.audio_qkv, self.forget_gate, self.message, self.fusion_qkv,
                      self.fusion_proj):
            nn.init.xavier_uniform_(layer.weight)
        nn.init.zeros_(self.fusion_proj.bias)

    def forward(self, video, audio, mask=None):
        _, k_i, v_i = self.video_qkv(video).chunk(3, dim=-1)
        q_j = self.audio_qkv(audio)[..., :self.out_channels]
        cross = _attend(q_j, k_i, v_i, mask, self.dropout, self.training)
        gate = torch.sigmoid(self.forget_gate(torch.cat([cross, audio], dim=-1)))
        h = F.relu(video + self.message(cross) * gate)

        b, n, d = h.shape
        q, k, v = self.fusion_qkv(h).reshape(b, n, 3, self.num_heads, d // self.num_heads).permute(2, 0, 3, 1, 4)
        out = _attend(q, k, v, mask, self.dropout, self.training).transpose(1, 2).reshape(b, n, d)
        out = F.dropout(self.fusion_proj(out), self.dropout, self.training)
        return apply_mask(out, mask)
