"""Transformer fusion over [CLS, video, audio] tokens (the student port's ``LateFusionArchi``)."""
import torch
from mmaction.registry import MODELS
from torch import nn

from .base import BaseFusion
from .utils import apply_mask, split_dims


@MODELS.register_module()
class TransformerFusion(BaseFusion):
    """Per position, tokens [CLS, v + e_video, a + e_audio] -> post-norm encoder -> CLS output.

    On pooled vectors (N = 1) this is the spotter's late fusion; on sequences each position is fused on
    its own (three tokens per position).

    Args:
        dims (int | tuple[int, int]): (Dv, Da); inputs of another size than ``embed_dims`` are projected.
        embed_dims (int): model width d (default Dv). num_layers, num_heads, feedforward_channels, dropout:
            encoder settings (defaults 2, 8, 1024, 0.1, GELU).
    """

    def __init__(self, dims=512, embed_dims=None, num_layers=2, num_heads=8, feedforward_channels=1024,
                 dropout=0.1):
        super().__init__()
        dv, da = split_dims(dims)
        d = embed_dims or dv
        self.video_in = nn.Identity() if dv == d else nn.Linear(dv, d)
        self.audio_in = nn.Identity() if da == d else nn.Linear(da, d)
        self.cls_token = nn.Parameter(nn.init.trunc_normal_(torch.empty(1, 1, d), std=0.02))
        self.modality_embed = nn.Embedding(2, d)
        layer = nn.TransformerEncoderLayer(d, num_heads, feedforward_channels, dropout, activation='gelu',
                                           batch_first=True, norm_first=False)
        self.encoder = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.out_channels = d

    def forward(self, video, audio, mask=None):
        b, n, _ = video.shape
        v = self.video_in(video) + self.modality_embed.weight[0]
        a = self.audio_in(audio) + self.modality_embed.weight[1]
        tokens = torch.stack([self.cls_token.expand(b, n, -1), v, a], dim=2).reshape(b * n, 3, -1)
        out = self.encoder(tokens)[:, 0].reshape(b, n, -1)
        return apply_mask(out, mask)
