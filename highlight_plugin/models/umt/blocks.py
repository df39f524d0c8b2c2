"""Pre-norm transformer encoder and decoder layers (docs/umt.md §2.3, §2.4).

Positional encodings are added to queries and keys only, never to values (DETR style).
"""
from torch import nn

from .attention import FeedForward, MultiHeadAttention


class EncoderLayer(nn.Module):
    """``u = LN1(x); x += MHA(u+pe, u+pe, u, mask); x += FFN(LN2(x))``."""

    def __init__(self, dims=256, heads=8, ratio=4, p=0.1):
        super().__init__()
        self.attn = MultiHeadAttention(dims, heads, p)
        self.ffn = FeedForward(dims, ratio, p)
        self.norm1 = nn.LayerNorm(dims)
        self.norm2 = nn.LayerNorm(dims)

    def forward(self, x, pe=None, mask=None):
        u = self.norm1(x)
        qk = u if pe is None else u + pe
        x = x + self.attn(qk, qk, u, mask=mask)
        return x + self.ffn(self.norm2(x))


class DecoderLayer(nn.Module):
    """Self-attention over the queries, cross-attention to ``mem`` (not normalised here), FFN."""

    def __init__(self, dims=256, heads=8, ratio=4, p=0.1):
        super().__init__()
        self.self_attn = MultiHeadAttention(dims, heads, p)
        self.cross_attn = MultiHeadAttention(dims, heads, p)
        self.ffn = FeedForward(dims, ratio, p)
        self.norm1 = nn.LayerNorm(dims)
        self.norm2 = nn.LayerNorm(dims)
        self.norm3 = nn.LayerNorm(dims)

    def forward(self, x, mem, q_pe=None, k_pe=None, mask=None):
        u = self.norm1(x)
        qk = u if q_pe is None else u + q_pe
        x = x + self.self_attn(qk, qk, u, mask=mask)
        q = self.norm2(x)
        q = q if q_pe is None else q + q_pe
        k = mem if k_pe is None else mem + k_pe
        x = x + self.cross_attn(q, k, mem, mask=mask)
        return x + self.ffn(self.norm3(x))
