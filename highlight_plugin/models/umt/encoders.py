"""Uni-modal encoder of UMT (docs/umt.md §3 step 2)."""
from mmaction.registry import MODELS
from torch import nn

from .attention import LearnablePositionalEncoding
from .blocks import EncoderLayer
from .dropout import input_dropout_linear


@MODELS.register_module()
class UMTUniModalEncoder(nn.Module):
    """Dropout on the raw features, ``Linear(in_channels, dims)``, learnable PE, encoder layers.

    Args:
        in_channels (int): Feature size of the modality (e.g. 2816 for SlowFast+CLIP video).
        dims (int): Hidden size. Default 256.
        num_layers (int): Encoder layers (the original uses 1).
        heads, ratio, p: Attention heads, FFN ratio and dropout inside the layers.
        input_dropout (float): Dropout on the raw features (0.5 in the original).
        max_len (int): Rows of the positional-encoding table (5000 in the original).
    """

    def __init__(self, in_channels, dims=256, num_layers=1, heads=8, ratio=4, p=0.1,
                 input_dropout=0.5, max_len=5000):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, dims
        self.input_dropout = input_dropout
        self.input_proj = nn.Linear(in_channels, dims)
        self.pos_enc = LearnablePositionalEncoding(dims, max_len, p)
        self.layers = nn.ModuleList(EncoderLayer(dims, heads, ratio, p) for _ in range(num_layers))

    def forward(self, x, mask=None):
        """``x`` (B,T,in_channels), ``mask`` (B,T) bool or None -> (B,T,dims)."""
        x = input_dropout_linear(x, self.input_proj, self.input_dropout, self.training)
        pe = self.pos_enc(x)
        for layer in self.layers:
            x = layer(x, pe=pe, mask=mask)
        return x
