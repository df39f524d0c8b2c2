"""Attention, feed-forward and positional-encoding blocks of UMT (docs/umt.md §2.1, §2.2, §2.5).

Numerics follow the original (nncore 0.3.6) blocks; the implementation is faster:

* attention runs through ``F.scaled_dot_product_attention`` whenever no dropout is drawn
  (eval mode); in training the attention probabilities are dropped out explicitly, because
  PyTorch's CPU kernel with ``dropout_p > 0`` falls back to a slower path than this one;
* when queries and keys are the same tensor (self-attention), their two projections are
  one matrix product;
* dropout masks come from :mod:`.dropout` (cheaper draws, same distribution), and the
  ``1 / (1 - p)`` dropout scales are folded into the neighbouring linear layers' weights
  (small) instead of passing over the activations (large).
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

from .dropout import relu_zero_dropped, scaled_linear, zero_dropped


class MultiHeadAttention(nn.Module):
    """Multi-head attention with dropout on the probabilities and on the output.

    Args:
        dims (int): Feature size of queries, keys, values and output.
        heads (int): Number of heads.
        p (float): Dropout probability (attention probabilities and output).
    """

    def __init__(self, dims=256, heads=8, p=0.1):
        super().__init__()
        self.dims, self.heads, self.p = dims, heads, p
        self.q = nn.Linear(dims, dims)
        self.k = nn.Linear(dims, dims)
        self.v = nn.Linear(dims, dims)
        self.m = nn.Linear(dims, dims)

    def _split(self, x):
        b, t, _ = x.shape
        return x.view(b, t, self.heads, -1).transpose(1, 2)

    def forward(self, q, k=None, v=None, mask=None):
        """``q`` (B,Tq,D); ``k``/``v`` (B,Tk,D) default as in the original (v = k if given
        else q, k = q); ``mask`` (B,Tk) bool, True for keys that may be attended, or None."""
        v = v if v is not None else (k if k is not None else q)
        k = q if k is None else k
        b, tq, _ = q.shape
        training = self.training and self.p > 0
        # training: the 1/sqrt(d) logit scale goes into the query projection (a weight-sized
        # product instead of a logit-sized one); eval: the fused kernel applies it
        q_scale = 1.0 / math.sqrt(self.dims // self.heads) if training else 1.0
        if k is q:  # self-attention: one product for both projections
            w = torch.cat((self.q.weight * q_scale, self.k.weight))
            bias = torch.cat((self.q.bias * q_scale, self.k.bias))
            qh, kh = F.linear(q, w, bias).chunk(2, dim=-1)
        else:
            qh, kh = scaled_linear(q, self.q, q_scale, q_scale), self.k(k)
        qh, kh, vh = self._split(qh), self._split(kh), self._split(self.v(v))
        attn_mask = None if mask is None else mask[:, None, None, :]
        if not training:
            out = F.scaled_dot_product_attention(qh, kh, vh, attn_mask=attn_mask)
            return self.m(out.transpose(1, 2).reshape(b, tq, self.dims))
        # Training: explicit probabilities (PyTorch's CPU kernel with dropout_p > 0 is slower).
        # Both dropout scales go into the output projection:
        # m(drop(P) V) dropped = mask * ((s^2 W_m)(mask' * P) V + s b_m), s = 1 / (1 - p).
        logits = qh @ kh.transpose(-2, -1)
        if attn_mask is not None:
            logits = logits.masked_fill(~attn_mask, float('-inf'))
        out = zero_dropped(logits.softmax(-1), self.p) @ vh
        scale = 1.0 / (1.0 - self.p)
        out = scaled_linear(out.transpose(1, 2).reshape(b * tq, self.dims), self.m,
                            scale * scale, scale)  # 2-D: a fresh tensor for in-place dropout
        return zero_dropped(out, self.p, inplace=True).view(b, tq, self.dims)


class FeedForward(nn.Module):
    """``Linear(D, ratio*D) -> ReLU -> Dropout -> Linear(ratio*D, D) -> Dropout``."""

    def __init__(self, dims=256, ratio=4, p=0.1):
        super().__init__()
        self.p = p
        self.fc1 = nn.Linear(dims, int(dims * ratio))
        self.fc2 = nn.Linear(int(dims * ratio), dims)

    def forward(self, x):
        if not (self.training and self.p > 0):
            return self.fc2(F.relu(self.fc1(x)))
        scale = 1.0 / (1.0 - self.p)  # both dropout scales folded into fc2
        # 2-D products: their outputs are fresh tensors (not views), so dropout goes in place
        h = relu_zero_dropped(self.fc1(x.reshape(-1, x.size(-1))), self.p)
        out = zero_dropped(scaled_linear(h, self.fc2, scale * scale, scale), self.p, inplace=True)
        return out.view(*x.shape[:-1], -1)


class LearnablePositionalEncoding(nn.Module):
    """Learnable table of ``max_len`` positions; returns the dropped-out first T rows.

    As in the original, dropout acts on the encoding itself with an independent draw for
    every batch element (the original repeats the table over the batch, then drops out).
    In eval mode the (1,T,D) slice is returned and broadcast by the caller: no copy.
    """

    def __init__(self, dims=256, max_len=5000, p=0.1):
        super().__init__()
        self.p, self.max_len = p, max_len
        self.pe = nn.Parameter(torch.randn(1, max_len, dims) / dims**0.5)

    def forward(self, x):
        pe = self.pe[:, :x.size(1)]
        if self.training and self.p > 0:  # scale the (T,D) slice, mask the (B,T,D) copy
            pe = zero_dropped((pe * (1.0 / (1.0 - self.p))).expand(x.size(0), -1, -1), self.p)
        return pe
