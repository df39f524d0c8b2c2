"""``HighlightAmpOptimWrapper``: mmengine's ``AmpOptimWrapper`` that also trains on the CPU (``tools/train.py --amp``).

On a GPU it is mmengine's wrapper unchanged: autocast in fp16 with dynamic loss scaling (or ``dtype='bfloat16'``).
mmengine refuses the CPU outright; there autocast runs in bf16 (the one dtype mmengine's CPU autocast takes), with
loss scaling off: bf16 has fp32's exponent range, so gradients do not underflow.
"""
import torch
from mmaction.registry import OPTIM_WRAPPERS
from mmengine.device import get_device
from mmengine.optim import AmpOptimWrapper, OptimWrapper

from .errors import ConfigError


@OPTIM_WRAPPERS.register_module()
class HighlightAmpOptimWrapper(AmpOptimWrapper):
    """``AmpOptimWrapper`` (same arguments) that runs on the CPU too, in bf16 (see the module doc)."""

    def __init__(self, loss_scale='dynamic', dtype=None, use_fsdp: bool = False, **kwargs):
        if get_device() != 'cpu':
            super().__init__(loss_scale=loss_scale, dtype=dtype, use_fsdp=use_fsdp, **kwargs)
            return
        if dtype not in (None, 'bfloat16', torch.bfloat16):
            raise ConfigError(f'mixed precision on the CPU runs in bfloat16, not {dtype} (--amp or --amp bf16)')
        OptimWrapper.__init__(self, **kwargs)
        self._scale_update_param = None
        self.loss_scaler = torch.amp.GradScaler('cpu', enabled=False)  # scale/unscale/step/update pass through
        self.cast_dtype = torch.bfloat16

    def state_dict(self) -> dict:
        state = super().state_dict()
        if not self.loss_scaler.is_enabled():
            state.pop('loss_scaler', None)  # a disabled scaler has no state (and refuses to load an empty one)
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        if not self.loss_scaler.is_enabled() or not state_dict.get('loss_scaler', True):
            state_dict = {k: v for k, v in state_dict.items() if k != 'loss_scaler'}  # across CPU and GPU runs
        super().load_state_dict(state_dict)
