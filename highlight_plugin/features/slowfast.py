"""SlowFast R50 clip features from mmaction2's own ``ResNet3dSlowFast`` backbone."""
from typing import Optional

import numpy as np
import torch

from .base import EXTRACTORS, BaseExtractor, FrameSpec, load_weights

HOW_TO_GET_SLOWFAST = (
    'Download the mmaction2 Kinetics-400 SlowFast R50 4x16x1 checkpoint '
    '(slowfast_r50_8xb8-4x16x1-256e_kinetics400-rgb_20220901-701b0f6f.pth, linked from '
    'mmaction2 configs/recognition/slowfast/README.md) and pass --slowfast-checkpoint PATH, '
    'or "none" for random weights.')
KINETICS_MEAN = (123.675, 116.28, 103.53)
KINETICS_STD = (58.395, 57.12, 57.375)


def build_slowfast(checkpoint: Optional[str] = None) -> torch.nn.Module:
    """mmaction2's SlowFast R50 backbone as in ``slowfast_r50_8xb8-4x16x1`` (tau 8, alpha 8,
    beta_inv 8). A recognizer checkpoint loads its ``backbone.*`` weights."""
    from mmaction.registry import MODELS
    from mmaction.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = dict(
        type='ResNet3dSlowFast', pretrained=None, resample_rate=8, speed_ratio=8, channel_ratio=8,
        slow_pathway=dict(type='resnet3d', depth=50, pretrained=None, lateral=True, conv1_kernel=(1, 7, 7),
                          dilations=(1, 1, 1, 1), conv1_stride_t=1, pool1_stride_t=1, inflate=(0, 0, 1, 1),
                          norm_eval=False),
        fast_pathway=dict(type='resnet3d', depth=50, pretrained=None, lateral=False, base_channels=8,
                          conv1_kernel=(5, 7, 7), conv1_stride_t=1, pool1_stride_t=1, norm_eval=False))
    model = MODELS.build(cfg)
    if checkpoint is None or str(checkpoint).lower() == 'none':
        model.init_weights()
        return model.eval()
    return load_weights(model, checkpoint, 'SlowFast R50', HOW_TO_GET_SLOWFAST, prefixes=('backbone.',)).eval()


@EXTRACTORS.register_module()
class SlowFastExtractor(BaseExtractor):
    """2304-d per clip: ``frames_per_clip`` frames sampled uniformly over the clip (each at
    the centre of its sub-interval), slow (2048) and fast (256) pathway outputs
    global-average-pooled and concatenated."""
    name = 'slowfast'
    dim = 2304

    def __init__(self, clip_len: float, device: str = 'cpu', batch_size: int = 4,
                 checkpoint: Optional[str] = None, frames_per_clip: int = 32, size: int = 224, model=None):
        super().__init__(clip_len, device, batch_size)
        self.frames_per_clip = int(frames_per_clip)
        self.size = int(size)
        self.model = (model or build_slowfast(checkpoint)).to(self.device).eval()
        self.mean = torch.tensor(KINETICS_MEAN, device=self.device).view(1, 3, 1, 1, 1)
        self.std = torch.tensor(KINETICS_STD, device=self.device).view(1, 3, 1, 1, 1)

    @property
    def spec(self):
        return FrameSpec(fps=self.frames_per_clip / self.clip_len, size=self.size)

    @property
    def units_per_row(self):
        return self.frames_per_clip

    @torch.inference_mode()
    def forward_rows(self, rows):
        x = torch.from_numpy(np.ascontiguousarray(rows)).to(self.device)  # (B, T, H, W, 3)
        x = (x.permute(0, 4, 1, 2, 3).float() - self.mean) / self.std
        slow, fast = self.model(x)
        return torch.cat([slow.mean(dim=(2, 3, 4)), fast.mean(dim=(2, 3, 4))], 1).float().cpu().numpy()
