"""Multi-label sigmoid BCE for the soccer spotter, with optional per-class positive weights.

``pos_weight``: None, an explicit per-class list, or ``'auto'`` = N_neg / N_pos per class counted on the
training windows (>= 1 for rare classes). ``'auto'`` is resolved before training by
:class:`AutoPosWeightHook` (add ``custom_hooks=[dict(type='AutoPosWeightHook')]``), which reads
``train_dataloader.dataset.label_counts()``.
"""
import torch
import torch.nn.functional as F
from mmaction.registry import HOOKS, MODELS
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from torch import nn

from ..engine.errors import ConfigError

REDUCTIONS = ('mean', 'sum_mean', 'sum')


@MODELS.register_module()
class MultiLabelBCELoss(nn.Module):
    """Sigmoid BCE over (B, C) logits and multi-hot targets.

    Args:
        pos_weight (None | list[float] | 'auto'): weight of the positive term per class.
        reduction (str): ``'mean'`` over B x C (PyTorch), ``'sum_mean'`` = sum over classes, mean over the
            batch (V&D parity), or ``'sum'``.
        loss_weight (float): multiplier of the result.
    """

    def __init__(self, pos_weight=None, reduction='sum_mean', loss_weight=1.0):
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ConfigError(f'loss reduction must be one of {REDUCTIONS}, got {reduction!r}')
        if not (pos_weight is None or pos_weight == 'auto' or isinstance(pos_weight, (list, tuple))):
            raise ConfigError(f"pos_weight must be None, a list or 'auto', got {pos_weight!r}")
        self.auto = pos_weight == 'auto'
        self.reduction, self.loss_weight = reduction, loss_weight
        weight = None if pos_weight is None or self.auto else torch.tensor(pos_weight, dtype=torch.float32)
        self.register_buffer('pos_weight', weight, persistent=weight is not None)

    def set_class_counts(self, positives, total):
        """Resolve ``'auto'``: pos_weight_c = (total - N_pos,c) / N_pos,c (classes never positive get 1)."""
        pos = torch.as_tensor(positives, dtype=torch.float32)
        weight = torch.where(pos > 0, (total - pos) / pos.clamp(min=1), torch.ones_like(pos))
        self.pos_weight = weight.to(self.pos_weight.device if self.pos_weight is not None else 'cpu')
        return self.pos_weight

    def forward(self, logits, targets):
        if self.auto and self.pos_weight is None:
            raise ConfigError("pos_weight='auto' is unresolved: add custom_hooks=[dict(type='AutoPosWeightHook')] "
                              'or call set_class_counts()')
        weight = None if self.pos_weight is None else self.pos_weight.to(logits.device)
        if weight is not None and weight.numel() != logits.shape[-1]:
            raise ConfigError(f'pos_weight has {weight.numel()} entries for {logits.shape[-1]} classes')
        loss = F.binary_cross_entropy_with_logits(logits, targets.to(logits.dtype), pos_weight=weight,
                                                  reduction='none')
        if self.reduction == 'mean':
            loss = loss.mean()
        elif self.reduction == 'sum_mean':
            loss = loss.sum(dim=-1).mean()
        else:
            loss = loss.sum()
        return self.loss_weight * loss


@HOOKS.register_module()
class AutoPosWeightHook(Hook):
    """Before training, resolve every ``MultiLabelBCELoss(pos_weight='auto')`` from the training windows."""

    def before_train(self, runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        losses = [m for m in model.modules() if isinstance(m, MultiLabelBCELoss) and m.auto]
        if not losses:
            return
        dataset = runner.train_dataloader.dataset
        if not hasattr(dataset, 'label_counts'):
            raise ConfigError(f"pos_weight='auto' needs a training dataset with label_counts() (a "
                              f'SoccerNetWindowDataset), got {type(dataset).__name__}')
        positives, total = dataset.label_counts()
        for loss in losses:
            weight = loss.set_class_counts(positives, total)
        print_log(f'pos_weight (auto, from {total} training windows): {[round(w, 3) for w in weight.tolist()]}',
                  logger='current')
