"""NetVLAD and NetRVLAD pooling (Arandjelović et al.; Miech et al.'s LOUPE, as used by Vanderplaetse & Dupont).

For frames x_t (t = 1..N) of size D and K clusters (docs/soccer.md §2):

    a_t    = softmax_k(BN(x_t W_c))                          W_c: D x K
    V[d,k] = sum_t a_tk x_td - c_dk sum_t a_tk               (NetVLAD; NetRVLAD drops the centre term)
    v      = l2(flatten_{d*K+k}(l2_over_d(V)))               intra- then global normalisation
    y      = v W_h                                           W_h: KD x O, no bias
    y      = y * sigmoid(BN(y W_g))                          optional context gating

The centre term keeps the D x K layout of V, so any K works (the student port transposed it).
"""
import math

import torch
from mmaction.registry import MODELS
from torch import nn

from .context_gating import ContextGating

EPS = 1e-12  # F.normalize's default


def _masked_bn(bn, rows, mask):
    """BatchNorm over the valid rows only (padding does not enter the batch statistics)."""
    if mask is None:
        return bn(rows)
    valid = mask.reshape(-1) > 0
    out = rows.new_zeros(rows.shape)
    out[valid] = bn(rows[valid])
    return out


@MODELS.register_module()
class NetVLAD(nn.Module):
    """NetVLAD pooling of a (B, N, D) sequence into a (B, out_channels) vector.

    Args:
        in_channels (int): frame feature size D.
        num_clusters (int): K (any value; V&D use 64 and 512).
        out_channels (int): projection size O.
        context_gating (bool): gate the projected vector (no gating parameters exist when False).
        use_bn (bool): BatchNorm on the assignment logits (else a cluster bias) and in the gating.
        residual (bool): subtract the cluster centres (NetVLAD); False gives NetRVLAD.
        bn_eps, bn_momentum (float): BatchNorm settings (TF slim defaults).
    """

    def __init__(self, in_channels=512, num_clusters=64, out_channels=512, context_gating=True, use_bn=True,
                 residual=True, bn_eps=1e-3, bn_momentum=0.001):
        super().__init__()
        d, k = in_channels, num_clusters
        self.in_channels, self.num_clusters, self.out_channels = d, k, out_channels
        self.residual, self.use_bn = residual, use_bn
        self.cluster_weights = nn.Parameter(torch.randn(d, k) / math.sqrt(d))
        if use_bn:
            self.cluster_bn = nn.BatchNorm1d(k, eps=bn_eps, momentum=bn_momentum)
        else:
            self.cluster_bias = nn.Parameter(torch.randn(k) / math.sqrt(d))
        if residual:
            self.centers = nn.Parameter(torch.randn(1, d, k) / math.sqrt(d))
        self.hidden_weights = nn.Parameter(torch.randn(k * d, out_channels) / math.sqrt(k))
        self.gating = (ContextGating(out_channels, use_bn, bn_eps, bn_momentum) if context_gating else None)

    def assignments(self, x, mask=None):
        """Soft assignments a (B, N, K); rows of padded positions are zero."""
        b, n, d = x.shape
        logits = x.reshape(b * n, d) @ self.cluster_weights
        logits = _masked_bn(self.cluster_bn, logits, mask) if self.use_bn else logits + self.cluster_bias
        a = torch.softmax(logits, dim=-1).reshape(b, n, -1)
        return a if mask is None else a * mask[..., None].to(a.dtype)

    def forward(self, x, mask=None):
        """x: (B, N, D); mask: (B, N) with 1 for valid frames, or None. Returns (B, out_channels)."""
        if x.dim() != 3:
            raise ValueError(f'{type(self).__name__} expects (B, N, D) input, got shape {tuple(x.shape)}')
        a = self.assignments(x, mask)
        vlad = torch.bmm(x.transpose(1, 2), a)  # (B, D, K)
        # Without autograd the (B, D, K) tensor (~1 MB per window at K = 512) is updated in place.
        inplace = not (torch.is_grad_enabled() and any(p.requires_grad for p in (vlad, *self.parameters())))
        if self.residual:  # - (B, 1, K) * (1, D, K)
            vlad = (vlad.addcmul_ if inplace else vlad.addcmul)(a.sum(dim=1, keepdim=True), self.centers, value=-1)
        # Intra-normalisation over D per cluster, flatten as d * K + k, then global L2, as one scale per (b, k):
        # the global norm of the intra-normalised clusters follows from their norms (F.normalize's eps rule).
        norms = torch.linalg.vector_norm(vlad, dim=1)  # (B, K)
        unit = torch.linalg.vector_norm(norms / norms.clamp_min(EPS), dim=1, keepdim=True)
        norms = norms.clamp_min(EPS)
        scale = (1.0 / (norms * unit.clamp_min(EPS)))[:, None, :]
        vlad = vlad.mul_(scale) if inplace else vlad * scale
        out = vlad.reshape(x.shape[0], -1) @ self.hidden_weights
        return self.gating(out) if self.gating is not None else out


@MODELS.register_module()
class NetRVLAD(NetVLAD):
    """NetRVLAD: NetVLAD without the cluster-centre (residual) term."""

    def __init__(self, **kwargs):
        kwargs.setdefault('residual', False)
        super().__init__(**kwargs)
