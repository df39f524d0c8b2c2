"""Query generator and query decoder of UMT (docs/umt.md §3 steps 4-5)."""
from mmaction.registry import MODELS
from torch import nn

from .attention import LearnablePositionalEncoding, MultiHeadAttention
from .blocks import DecoderLayer
from .dropout import input_dropout_linear


@MODELS.register_module()
class UMTQueryGenerator(nn.Module):
    """Text-conditioned moment queries: every clip attends to the text tokens.

    ``e = LN(Linear_nobias(Dropout(query)))``; ``q = MHA(r, e, e, query_mask)`` (no residual,
    no positional encoding): one query per clip.

    Args:
        in_channels (int): Text token feature size (512 for CLIP). dims (int): Hidden size.
        heads (int), p (float): Attention heads and attention dropout.
        input_dropout (float): Dropout on the raw text features (0.3 in the original).
    """

    def __init__(self, in_channels=512, dims=256, heads=8, p=0.1, input_dropout=0.3):
        super().__init__()
        self.in_channels, self.input_dropout = in_channels, input_dropout
        self.proj = nn.Linear(in_channels, dims, bias=False)
        self.proj_norm = nn.LayerNorm(dims)
        self.attn = MultiHeadAttention(dims, heads, p)

    def forward(self, r, query, query_mask=None):
        """``r`` (B,T,D) clips, ``query`` (B,L,in_channels) zero-padded, ``query_mask`` (B,L)."""
        if query_mask is not None and query_mask.dtype.is_floating_point:
            query_mask = query_mask > 0
        e = self.proj_norm(input_dropout_linear(query, self.proj, self.input_dropout,
                                                self.training))
        return self.attn(r, e, e, mask=query_mask)


@MODELS.register_module()
class UMTQueryDecoder(nn.Module):
    """Pre-norm transformer decoder over the moment queries with the fused clips as memory.

    Two learnable positional encodings (queries, keys) are drawn once per forward and shared
    by all layers; each layer consumes the un-normalised output of the previous one and the
    shared final LayerNorm is applied to the output the heads read (the last layer's).

    Args:
        num_layers (int): 3 for UMT-B, 1 for UMT-S. dims, heads, ratio, p, max_len: as elsewhere.
        use_mask (bool): Pass the clip padding mask to the decoder's attention. The original
            passes none (docs/umt.md §11.1), so padded clips act as keys in batched runs; default
            False reproduces it.
    """

    def __init__(self, num_layers=3, dims=256, heads=8, ratio=4, p=0.1, max_len=5000,
                 use_mask=False):
        super().__init__()
        self.num_layers, self.use_mask = num_layers, use_mask
        self.pos_enc_q = LearnablePositionalEncoding(dims, max_len, p)
        self.pos_enc_k = LearnablePositionalEncoding(dims, max_len, p)
        self.layers = nn.ModuleList(DecoderLayer(dims, heads, ratio, p) for _ in range(num_layers))
        self.norm = nn.LayerNorm(dims)

    def forward(self, q, mem, mask=None):
        """``q``, ``mem`` (B,T,D); ``mask`` (B,T) bool or None -> (B,T,D)."""
        q_pe, k_pe = self.pos_enc_q(q), self.pos_enc_k(q)
        mask = mask if self.use_mask else None
        for layer in self.layers:
            q = layer(q, mem, q_pe=q_pe, k_pe=k_pe, mask=mask)
        return self.norm(q)
