"""UMT's cross-modal encoder: bottleneck-token fusion (docs/umt.md §3 step 3)."""
import torch
from mmaction.registry import MODELS
from torch import nn

from highlight_plugin.engine.errors import ConfigError
from ..fusion.base import BaseFusion
from .attention import FeedForward, LearnablePositionalEncoding, MultiHeadAttention


class BottleneckLayer(nn.Module):
    """One bottleneck layer: the modalities exchange information only through the tokens.

    ``norm_v, norm_a, norm_t`` / ``attn_tv, attn_ta`` / ``norm_t2`` / ``attn_vt, attn_at`` /
    ``norm_ffn_v, norm_ffn_a`` / ``ffn_v, ffn_a`` are the original's ``norm1..3`` / ``att1, att2`` /
    ``norm4`` / ``att3, att4`` / ``norm5, norm6`` / ``ffn1, ffn2``.
    """

    def __init__(self, dims=256, heads=8, ratio=4, p=0.1):
        super().__init__()
        self.attn_tv = MultiHeadAttention(dims, heads, p)  # tokens read video
        self.attn_ta = MultiHeadAttention(dims, heads, p)  # tokens read audio
        self.attn_vt = MultiHeadAttention(dims, heads, p)  # video reads tokens
        self.attn_at = MultiHeadAttention(dims, heads, p)  # audio reads tokens
        self.ffn_v = FeedForward(dims, ratio, p)
        self.ffn_a = FeedForward(dims, ratio, p)
        for name in ('norm_v', 'norm_a', 'norm_t', 'norm_t2', 'norm_ffn_v', 'norm_ffn_a'):
            setattr(self, name, nn.LayerNorm(dims))

    def forward(self, v, a, t, pe=None, mask=None):
        dv, da, dt = self.norm_v(v), self.norm_a(a), self.norm_t(t)
        kv = dv if pe is None else dv + pe
        ka = da if pe is None else da + pe
        t = t + self.attn_tv(dt, kv, dv, mask=mask) + self.attn_ta(dt, ka, da, mask=mask)
        dt = self.norm_t2(t)
        # The queries reuse the normalised inputs from the start of the layer; no mask.
        v = v + self.attn_vt(kv, dt, dt)
        a = a + self.attn_at(ka, dt, dt)
        v = v + self.ffn_v(self.norm_ffn_v(v))
        a = a + self.ffn_a(self.norm_ffn_a(a))
        return v, a, t


@MODELS.register_module()
class UMTBottleneckFusion(BaseFusion):
    """Bottleneck transformer fusion of two aligned sequences, then ``LN(v + a)``.

    Implements :class:`BaseFusion`: ``forward(video, audio, mask) -> (B, N, dims)``. Both
    inputs must already have ``dims`` channels (UMT feeds it the uni-modal encoder outputs).
    Includes the cross-encoder positional encoding (taken from the video length), the
    bottleneck layers and the final LayerNorm of the fused sum.

    Args:
        dims (int): Channels of both inputs and of the output (256 in UMT, 512 works too).
        num_tokens (int): Bottleneck tokens (4). num_layers (int): Layers (1).
        fusion_type (str): ``'sum'`` (original), ``'mean'`` or ``'concat'`` (Linear(2D, D)).
        heads, ratio, p, max_len: as in the other UMT blocks.
    """

    def __init__(self, dims=256, num_tokens=4, num_layers=1, fusion_type='sum', heads=8,
                 ratio=4, p=0.1, max_len=5000):
        super().__init__()
        if fusion_type not in ('sum', 'mean', 'concat'):
            raise ConfigError(f"UMTBottleneckFusion: fusion_type must be 'sum', 'mean' or "
                              f"'concat', got {fusion_type!r}")
        self.out_channels, self.fusion_type = dims, fusion_type
        self.pos_enc = LearnablePositionalEncoding(dims, max_len, p)
        self.tokens = nn.Parameter(torch.randn(num_tokens, dims) / dims**0.5)
        self.layers = nn.ModuleList(
            BottleneckLayer(dims, heads, ratio, p) for _ in range(num_layers))
        self.concat_proj = nn.Linear(2 * dims, dims) if fusion_type == 'concat' else None
        self.norm = nn.LayerNorm(dims)

    def forward(self, video, audio, mask=None):
        if mask is not None and mask.dtype != torch.bool:
            mask = mask > 0
        pe = self.pos_enc(video)
        v, a = video, audio
        t = self.tokens.expand(v.size(0), -1, -1)
        for layer in self.layers:
            v, a, t = layer(v, a, t, pe=pe, mask=mask)
        if self.fusion_type == 'concat':
            x = self.concat_proj(torch.cat((v, a), dim=-1))
        else:
            x = v + a if self.fusion_type == 'sum' else (v + a) / 2
        return self.norm(x)
