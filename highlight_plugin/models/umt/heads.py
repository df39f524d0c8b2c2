"""Saliency and boundary heads of UMT (docs/umt.md §4, §5).

Heads see one (B,T,D) tensor (the last decoder output, or the fused clips ``r`` when there is
no decoder) and a float clip mask (B,T). Loss keys have no layer prefix here; the assembled
model adds the original's ``d{i}.`` prefix.
"""
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from torch import nn

from highlight_plugin.engine.errors import ConfigError


@MODELS.register_module()
class UMTSaliencyHead(nn.Module):
    """Per-clip saliency logit, BCE loss, ``sigmoid * mask`` prediction.

    Args:
        dims (int): Input size. loss_weight (float): 3.0 on QVHighlights, 1.0 elsewhere.
        valid_mean (bool): Average the BCE over valid clips only. The original averages over
            all B*T_pad entries (docs/umt.md §11.2); default False reproduces it.
    """

    def __init__(self, dims=256, loss_weight=1.0, valid_mean=False):
        super().__init__()
        self.loss_weight, self.valid_mean = loss_weight, valid_mean
        self.fc = nn.Linear(dims, 1)

    def forward(self, x):
        return self.fc(x).squeeze(-1)

    def loss(self, logits, target, mask):
        if self.valid_mean:
            loss = F.binary_cross_entropy_with_logits(logits, target, weight=mask, reduction='sum')
            loss = loss / mask.sum().clamp(min=1)
        else:
            loss = F.binary_cross_entropy_with_logits(logits, target, weight=mask)
        return dict(saliency_loss=loss * self.loss_weight)

    @staticmethod
    def predict(logits, mask):
        return logits.sigmoid() * mask


def gaussian_focal_loss(pred, target, alpha=2.0, gamma=4.0, eps=1e-12):
    """Element-wise focal loss for Gaussian heat-map targets (CenterNet / CornerNet)."""
    pos = -(pred + eps).log() * (1 - pred).pow(alpha) * target.eq(1)
    neg = -(1 - pred + eps).log() * pred.pow(alpha) * (1 - target).pow(gamma)
    return pos + neg


@MODELS.register_module()
class UMTBoundaryHead(nn.Module):
    """Centre-based moment localisation: centre heat map, window size and centre offset.

    Args:
        dims (int): Input size. unit (float): Seconds per clip (2 on QVHighlights).
        radius_factor, sigma_factor (float): Heat-map radius and spread (0.2, 0.2).
        kernel (int): Max-pool size of the peak filter at decoding. 1 (the original) keeps every
            clip as a candidate (docs/umt.md §11.3); an odd kernel > 1 suppresses non-maxima.
        max_num_moments (int): Top-k at decoding (100).
        center_loss_weight, window_loss_weight, offset_loss_weight (float): 1.0, 0.1, 1.0.
        alpha, gamma (float): Gaussian focal loss exponents (2, 4).
    """

    def __init__(self, dims=256, unit=2.0, radius_factor=0.2, sigma_factor=0.2, kernel=1,
                 max_num_moments=100, center_loss_weight=1.0, window_loss_weight=0.1,
                 offset_loss_weight=1.0, alpha=2.0, gamma=4.0):
        super().__init__()
        if kernel < 1 or kernel % 2 == 0:
            raise ConfigError(f'UMTBoundaryHead: kernel must be a positive odd number, got {kernel}')
        if unit <= 0:
            raise ConfigError(f'UMTBoundaryHead: unit must be positive, got {unit}')
        self.unit, self.radius_factor, self.sigma_factor = unit, radius_factor, sigma_factor
        self.kernel, self.max_num_moments = kernel, max_num_moments
        self.loss_weights = dict(center_loss=center_loss_weight, window_loss=window_loss_weight,
                                 offset_loss=offset_loss_weight)
        self.alpha, self.gamma = alpha, gamma
        self.center_fc = nn.Linear(dims, 1)
        self.window_fc = nn.Linear(dims, 1)
        self.offset_fc = nn.Linear(dims, 1)

    def forward(self, x, mask):
        """-> centre scores ``sigmoid * mask``, raw window sizes, raw offsets, each (B,T)."""
        center = self.center_fc(x).squeeze(-1).sigmoid() * mask
        return center, self.window_fc(x).squeeze(-1), self.offset_fc(x).squeeze(-1)

    def get_targets(self, windows, valid, num_clips):
        """Vectorised targets for a batch.

        Args:
            windows (Tensor): (B,G,2) GT windows [start, end] in seconds (rows may be padding).
            valid (Tensor): (B,G) bool, False for padding rows.
            num_clips (int): Padded length T of the batch.

        Returns:
            tuple: centre heat (B,T), window target (B,T), offset target (B,T), weight (B,T)
            and the number of GT windows (the losses' denominator).
        """
        u = self.unit
        start = windows[..., 0] / u
        last = (windows[..., 1] - u) / u  # index of the last clip
        center = ((start + last) / 2).clamp(max=num_clips - 0.5)
        width = last - start
        radius = (width * self.radius_factor).long()  # truncation, as int() in the original
        # sigma in double precision then one rounding, as the original's Python float
        denom = (2 * ((radius + 1).double() * self.sigma_factor)**2).float()
        k = center.long()

        delta = torch.arange(num_clips, device=windows.device) - k[..., None]  # (B,G,T)
        inside = (delta.abs() <= radius[..., None]) & valid[..., None]
        heat = (-(delta**2).float() / denom[..., None]).exp()
        heat = torch.where(inside, heat, heat.new_zeros(()))
        center_tgt = heat.amax(1) if windows.size(1) else windows.new_zeros(windows.size(0),
                                                                            num_clips)
        # window/offset targets sit at clip k; a later GT with the same k overwrites an earlier
        same_k = (k[:, :, None] == k[:, None, :]) & valid[:, None, :]
        later = torch.ones(k.size(1), k.size(1), dtype=torch.bool, device=k.device).triu(1)
        keep = valid & ~(same_k & later).any(-1)
        onehot = ((delta == 0) & keep[..., None]).to(windows.dtype)
        window_tgt = (onehot * width[..., None]).sum(1)
        offset_tgt = (onehot * (center - k)[..., None]).sum(1)
        weight = onehot.sum(1)
        return center_tgt, window_tgt, offset_tgt, weight, int(valid.sum())

    def loss(self, preds, windows, valid, mask):
        center, window, offset = preds
        center_tgt, window_tgt, offset_tgt, weight, num_gt = self.get_targets(
            windows, valid, center.size(1))
        if num_gt == 0:  # the original divides by zero here
            zero = (center.sum() + window.sum() + offset.sum()) * 0
            return {key: zero for key in self.loss_weights}
        focal = gaussian_focal_loss(center, center_tgt, self.alpha, self.gamma) * mask
        losses = dict(center_loss=focal.sum() / num_gt,
                      window_loss=((window - window_tgt).abs() * weight).sum() / num_gt,
                      offset_loss=((offset - offset_tgt).abs() * weight).sum() / num_gt)
        return {key: value * self.loss_weights[key] for key, value in losses.items()}

    def decode(self, preds, mask):
        """Top-k windows per sample: list of (K_i, 3) tensors [start_s, end_s, score].

        Each sample is decoded as the original decodes a batch of one: K_i = min(k, T_i),
        windows clamped to the sample's own clips.
        """
        center, window, offset = preds
        if self.kernel > 1:
            hmax = F.max_pool1d(center[:, None], self.kernel, 1, (self.kernel - 1) // 2)[:, 0]
            center = center * (hmax == center)
        valid = mask > 0
        lengths = valid.sum(1)
        topk = min(self.max_num_moments, center.size(1))
        # padded clips rank last, so the first min(k, T_i) rows are the sample's own clips
        _, inds = torch.topk(center.masked_fill(~valid, -1), topk)
        scores = center.gather(1, inds)
        mid = inds + offset.gather(1, inds).clamp(min=0)
        half = window.gather(1, inds).clamp(min=0) / 2
        bounds = torch.stack((mid - half, mid + half), dim=-1).clamp(min=0)
        bounds = torch.minimum(bounds, (lengths - 1)[:, None, None].to(bounds.dtype)) * self.unit
        bounds[..., 1] += self.unit
        out = torch.cat((bounds, scores[..., None]), dim=-1)
        return [out[i, :min(topk, int(n))] for i, n in enumerate(lengths)]
