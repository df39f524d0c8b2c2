"""The one interface every audio-visual fusion module implements.

A fusion module maps two aligned sequences to one::

    fused = fusion(video, audio, mask)   # (B, N, Dv), (B, N, Da), (B, N) or None -> (B, N, out_channels)

``mask`` is 1.0 for valid positions and 0.0 for padding. Pooled vectors are passed as
length-1 sequences (N = 1). Because the interface is the same everywhere, a fusion head
registered in ``MODELS`` can replace UMT's cross-modal encoder (``model.cross_enc``) or sit
between the pooling and the classifier of the soccer spotter by a config change alone.
"""
from torch import nn


class BaseFusion(nn.Module):
    """Base class: subclasses set ``self.out_channels`` and implement :meth:`forward`."""

    out_channels: int

    def forward(self, video, audio, mask=None):  # pragma: no cover - interface
        raise NotImplementedError
