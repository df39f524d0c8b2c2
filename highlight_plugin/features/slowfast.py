"""SlowFast R50 clip features (2304-d = slow 2048 || fast 256, global-average-pooled), on mmaction2's
``ResNet3dSlowFast`` backbone, in two variants:

``pyslowfast_8x8`` (the QVHighlights recipe, HERO's ``slowfast/extract_feature``)
    PySlowFast's SLOWFAST_8x8_R50: alpha 4, beta_inv 8, fusion kernel 7, lateral conv + BN + ReLU
    (mmaction2 options ``speed_ratio=4, channel_ratio=8, fusion_kernel=7, lateral_norm=True``). Frames
    from a 30-fps decode with HERO's geometry (``media/branches.py`` 'hero_dense'); per 2-s clip of 60 frames the
    fast pathway takes 32 at ``linspace(0, 64 * fps_src / 30 - 1, 32)`` clamped to 59 (``fps_src`` =
    floor of the source frame rate) and the slow pathway 8 of those at ``linspace(0, 31, 8)``: indices
    mmaction2's own forward (nearest interpolation, [0, 4, ..., 28]) cannot express, so
    :class:`SlowFastPathways` takes both pathways' frames explicitly. /255, mean 0.45, std 0.225 + 1e-8.
    The last clip follows HERO's padding (the last frame repeated to a whole second, then the last second
    repeated to a whole clip) and the rows stop at ``ceil(duration / 2)``. Weights: PySlowFast's Caffe2
    ``SLOWFAST_8x8_R50.pkl`` (converted once, ``tools/convert_weights.py slowfast-caffe2``, or read directly).
``mmaction_4x16``
    mmaction2's ``slowfast_r50_8xb8-4x16x1`` (tau 16 / alpha 8, fusion kernel 5, lateral conv only) with its
    model-zoo weights and ImageNet normalisation; 32 frames at the centres of the clip's sub-intervals.
"""
import math
import re
from typing import Dict, Optional

import numpy as np
import torch

from highlight_plugin.engine.device import fp32_context
from highlight_plugin.engine.errors import CheckpointError, ConfigError
from ..media.specs import FrameSpec
from ..weights import WEIGHT_CONVERTERS, load_pickle, save_tensors
from .base import EXTRACTORS, BaseExtractor, load_weights

HOW_TO_GET_SLOWFAST = {
    'pyslowfast_8x8': 'pass --slowfast-checkpoint pyslowfast-slowfast-8x8-r50 (PySlowFast\'s SLOWFAST_8x8_R50.pkl, '
                      'Kinetics-400, fetched and converted once from the zoo), a file of it or of its conversion '
                      '(tools/convert_weights.py slowfast-caffe2), or "none" for random weights.',
    'mmaction_4x16': 'pass --slowfast-checkpoint mmaction2-slowfast-r50-4x16x1-k400 (mmaction2\'s Kinetics-400 '
                     'SlowFast R50 4x16x1, fetched once from the zoo), a file of it, or "none" for random weights.',
}
KINETICS_MEAN = (123.675, 116.28, 103.53)
KINETICS_STD = (58.395, 57.12, 57.375)
PYSLOWFAST_MEAN, PYSLOWFAST_STD = 0.45, 0.225
HERO_FPS = 30  # HERO's --target_framerate
# mmaction2 ResNet3dSlowFast settings of each variant
VARIANTS = {
    'mmaction_4x16': dict(resample_rate=8, speed_ratio=8, channel_ratio=8, fusion_kernel=5, lateral_norm=False),
    'pyslowfast_8x8': dict(resample_rate=4, speed_ratio=4, channel_ratio=8, fusion_kernel=7, lateral_norm=True),
}


def _backbone_cfg(variant: str) -> dict:
    v = VARIANTS[variant]
    return dict(
        pretrained=None, resample_rate=v['resample_rate'], speed_ratio=v['speed_ratio'],
        channel_ratio=v['channel_ratio'],
        slow_pathway=dict(type='resnet3d', depth=50, pretrained=None, lateral=True, conv1_kernel=(1, 7, 7),
                          dilations=(1, 1, 1, 1), conv1_stride_t=1, pool1_stride_t=1, inflate=(0, 0, 1, 1),
                          norm_eval=False, fusion_kernel=v['fusion_kernel'], lateral_norm=v['lateral_norm']),
        fast_pathway=dict(type='resnet3d', depth=50, pretrained=None, lateral=False, base_channels=8,
                          conv1_kernel=(5, 7, 7), conv1_stride_t=1, pool1_stride_t=1, norm_eval=False))


def _slowfast_class():
    from mmaction.models.backbones.resnet3d_slowfast import ResNet3dSlowFast

    class SlowFastPathways(ResNet3dSlowFast):
        """mmaction2's ``ResNet3dSlowFast`` fed each pathway's own frames: ``forward((x_slow, x_fast))``
        (PySlowFast's ``pack_pathway_output``); a single tensor keeps mmaction2's own temporal sampling."""

        def forward(self, x):
            if isinstance(x, torch.Tensor):
                return super().forward(x)
            x_slow, x_fast = x
            x_slow = self.slow_path.maxpool(self.slow_path.conv1(x_slow))
            x_fast = self.fast_path.maxpool(self.fast_path.conv1(x_fast))
            x_slow = torch.cat((x_slow, self.slow_path.conv1_lateral(x_fast)), dim=1)
            for i, name in enumerate(self.slow_path.res_layers):
                x_slow = getattr(self.slow_path, name)(x_slow)
                x_fast = getattr(self.fast_path, name)(x_fast)
                if i != len(self.slow_path.res_layers) - 1:
                    x_slow = torch.cat((x_slow, getattr(self.slow_path, self.slow_path.lateral_connections[i])(x_fast)),
                                       dim=1)
            return x_slow, x_fast

    return SlowFastPathways


def build_slowfast(checkpoint: Optional[str] = None, variant: str = 'mmaction_4x16') -> torch.nn.Module:
    """The SlowFast R50 backbone of ``variant`` (:data:`VARIANTS`). ``checkpoint``: an mmaction2 recognizer
    checkpoint (its ``backbone.*`` weights), a converted ``.safetensors``/``.pth`` state dict, or (8x8) the
    Caffe2 ``SLOWFAST_8x8_R50.pkl`` itself; None/'none': random init."""
    if variant not in VARIANTS:
        raise ConfigError(f'unknown SlowFast variant {variant!r} (choose from {", ".join(VARIANTS)})')
    from mmaction.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    model = _slowfast_class()(**_backbone_cfg(variant))
    how = HOW_TO_GET_SLOWFAST[variant]
    if checkpoint is None or str(checkpoint).lower() == 'none':
        model.init_weights()
        return model.eval()
    if str(checkpoint).endswith('.pkl'):
        state = caffe2_slowfast_state(str(checkpoint), model.state_dict())
        model.load_state_dict(state)
        return model.eval()
    return load_weights(model, checkpoint, f'SlowFast R50 {variant}', how, prefixes=('backbone.',)).eval()


def hero_frame_indices(fps_src: float, frames: int = 2 * HERO_FPS, num: int = 32, alpha: int = 4):
    """HERO's ``Preprocessing.__call__`` + ``pack_pathway_output`` frame picks within one clip of ``frames``
    decoded frames: ``(fast, slow)`` index tensors (slow indexes into the fast frames)."""
    size = num * 2 * int(fps_src) / HERO_FPS  # NUM_FRAMES * SAMPLING_RATE * fps / target_fps
    fast = torch.linspace(0, 0 + size - 1, num)  # get_start_end_idx(..., clip_idx=0, num_clips=1)
    fast = torch.clamp(fast, 0, frames - 1).long()
    slow = torch.linspace(0, num - 1, num // alpha).long()
    return fast, slow


@EXTRACTORS.register_module()
class SlowFastExtractor(BaseExtractor):
    """2304-d per clip: slow (2048) and fast (256) pathway outputs, global-average-pooled and
    concatenated (see the module doc for the two variants)."""
    name = 'slowfast'
    dim = 2304

    def __init__(self, clip_len: float, device: str = 'cpu', batch_size: int = 4,
                 checkpoint: Optional[str] = None, frames_per_clip: int = 32, size: int = 224, model=None,
                 variant: str = 'mmaction_4x16', sampling: Optional[str] = None):
        super().__init__(clip_len, device, batch_size)
        self.variant = variant
        self.frames_per_clip = int(frames_per_clip)
        self.size = int(size)
        self.checkpoint = checkpoint
        self.sampling = sampling or ('hero_dense' if variant == 'pyslowfast_8x8' else 'centre')
        self.model = (model or build_slowfast(checkpoint, variant)).to(self.device).eval()
        if variant == 'pyslowfast_8x8':
            self.mean = torch.full((1, 3, 1, 1, 1), PYSLOWFAST_MEAN, device=self.device)
            self.std = torch.full((1, 3, 1, 1, 1), PYSLOWFAST_STD + 1e-8, device=self.device)
        else:
            self.mean = torch.tensor(KINETICS_MEAN, device=self.device).view(1, 3, 1, 1, 1)
            self.std = torch.tensor(KINETICS_STD, device=self.device).view(1, 3, 1, 1, 1)
        self.fps_src = HERO_FPS

    @property
    def hero(self) -> bool:
        return self.variant == 'pyslowfast_8x8'

    @property
    def network(self):
        return f'SlowFast R50 {self.variant}'

    @property
    def spec(self):
        if self.hero:
            return FrameSpec(fps=HERO_FPS, size=self.size, sampling=self.sampling)
        return FrameSpec(fps=self.frames_per_clip / self.clip_len, size=self.size, sampling=self.sampling)

    @property
    def units_per_row(self):
        return int(round(self.clip_len * HERO_FPS)) if self.hero else self.frames_per_clip

    def prepare(self, info):
        self.fps_src = int(math.floor(info.fps)) if info is not None and info.fps else HERO_FPS

    def tail_row(self, rest):
        if not self.hero:
            return super().tail_row(rest)
        # HERO's _pad_frames (last frame to a whole second), then _pad_clips (last second to a whole clip)
        whole = -(-len(rest) // HERO_FPS) * HERO_FPS
        rest = np.concatenate([rest, np.repeat(rest[-1:], whole - len(rest), axis=0)])
        while len(rest) < self.units_per_row:
            rest = np.concatenate([rest, rest[-HERO_FPS:]])
        return rest[:self.units_per_row]

    def max_rows(self, info):
        if not self.hero or info is None or not info.duration or info.duration <= 0:
            return None
        return int(math.ceil(info.duration / self.clip_len))

    @fp32_context()
    @torch.inference_mode()
    def forward_rows(self, rows):
        x = torch.from_numpy(np.ascontiguousarray(rows)).to(self.device)  # (B, T, H, W, 3)
        if self.hero:
            fast_idx, slow_idx = hero_frame_indices(self.fps_src, rows.shape[1])
            x = x[:, fast_idx.to(self.device)].permute(0, 4, 1, 2, 3).float() / 255.0
            x = (x - self.mean) / self.std
            slow, fast = self.model((x[:, :, slow_idx.to(self.device)], x))
        else:
            x = (x.permute(0, 4, 1, 2, 3).float() - self.mean) / self.std
            slow, fast = self.model(x)
        return torch.cat([slow.mean(dim=(2, 3, 4)), fast.mean(dim=(2, 3, 4))], 1).float().cpu().numpy()


# ---- PySlowFast's Caffe2 checkpoint (SLOWFAST_8x8_R50.pkl: {'blobs': {caffe2 name: ndarray}}) ----
_BN = dict(s='weight', b='bias', rm='running_mean', riv='running_var')
_C2_RULES = [  # caffe2 blob name -> mmaction2 ResNet3dSlowFast key (fast pathway blobs start with t_)
    (r'^t_pool1_subsample_w$', 'slow_path.conv1_lateral.conv.weight'),
    (r'^t_pool1_subsample_bn_(s|b|rm|riv)$', 'slow_path.conv1_lateral.bn.{bn}'),
    (r'^t_res(\d)_\d+_branch2c_bn_subsample_w$', 'slow_path.layer{stage}_lateral.conv.weight'),
    (r'^t_res(\d)_\d+_branch2c_bn_subsample_bn_(s|b|rm|riv)$', 'slow_path.layer{stage}_lateral.bn.{bn}'),
    (r'^(t_)?conv1_w$', '{path}.conv1.conv.weight'),
    (r'^(t_)?res_conv1_bn_(s|b|rm|riv)$', '{path}.conv1.bn.{bn}'),
    (r'^(t_)?res(\d)_(\d+)_branch2([abc])_w$', '{path}.layer{stage}.{block}.conv{conv}.conv.weight'),
    (r'^(t_)?res(\d)_(\d+)_branch2([abc])_bn_(s|b|rm|riv)$', '{path}.layer{stage}.{block}.conv{conv}.bn.{bn}'),
    (r'^(t_)?res(\d)_(\d+)_branch1_w$', '{path}.layer{stage}.{block}.downsample.conv.weight'),
    (r'^(t_)?res(\d)_(\d+)_branch1_bn_(s|b|rm|riv)$', '{path}.layer{stage}.{block}.downsample.bn.{bn}'),
]
_C2_IGNORED = re.compile(r'(momentum|^lr$|^model_iter$|^pred_)')  # solver state and the classifier


def caffe2_to_mmaction(name: str) -> Optional[str]:
    """The mmaction2 key of a PySlowFast Caffe2 blob (None for solver state and the classifier head)."""
    if _C2_IGNORED.search(name):
        return None
    for pattern, target in _C2_RULES:
        m = re.match(pattern, name)
        if not m:
            continue
        g = list(m.groups())
        fields = {}
        if target.startswith('{path}'):
            fields['path'] = 'fast_path' if g.pop(0) else 'slow_path'
        if '{stage}' in target:
            fields['stage'] = int(g.pop(0)) - 1  # caffe2 res2..res5 = mmaction2 layer1..layer4
        if '{block}' in target:
            fields['block'] = int(g.pop(0))
        if '{conv}' in target:
            fields['conv'] = 'abc'.index(g.pop(0)) + 1
        if '{bn}' in target:
            fields['bn'] = _BN[g.pop(0)]
        return target.format(**fields)
    raise CheckpointError(f'unknown Caffe2 SlowFast blob {name!r}')


def caffe2_slowfast_state(path: str, own: Optional[Dict[str, torch.Tensor]] = None) -> Dict[str, torch.Tensor]:
    """The mmaction2 state dict of PySlowFast's Caffe2 ``SLOWFAST_8x8_R50.pkl``, read as data. Every tensor of
    the 8x8 network must be there with its shape (PySlowFast skipped missing or mismatched blobs silently)."""
    ckpt = load_pickle(path)
    blobs = ckpt.get('blobs') if isinstance(ckpt, dict) else None
    if not isinstance(blobs, dict):
        raise CheckpointError(f'{path}: not a Caffe2 checkpoint (expected a dict with "blobs")')
    if own is None:
        own = _slowfast_class()(**_backbone_cfg('pyslowfast_8x8')).state_dict()
    state = {}
    for name, value in blobs.items():
        key = caffe2_to_mmaction(str(name))
        if key is None:
            continue
        if key not in own:
            raise CheckpointError(f'{path}: blob {name} ({key}) is not part of SlowFast 8x8 R50')
        t = torch.from_numpy(np.ascontiguousarray(value)).to(own[key].dtype)
        if tuple(t.shape) != tuple(own[key].shape):
            raise CheckpointError(f'{path}: blob {name} has shape {tuple(t.shape)}, SlowFast 8x8 R50 expects '
                                  f'{tuple(own[key].shape)} for {key}')
        state[key] = t
    missing = [k for k in own if k not in state and not k.endswith('num_batches_tracked')]
    if missing:
        raise CheckpointError(f'{path}: no Caffe2 blob for {len(missing)} tensors of SlowFast 8x8 R50 '
                              f'(e.g. {missing[0]})')
    state.update({k: torch.zeros_like(v) for k, v in own.items() if k.endswith('num_batches_tracked')})
    return state


@WEIGHT_CONVERTERS.register_module(name='slowfast-caffe2')
def convert_slowfast_caffe2(inputs, out):
    """PySlowFast SLOWFAST_8x8_R50.pkl (Caffe2) -> mmaction2 SlowFast 8x8 state dict (--slowfast-checkpoint)."""
    if len(inputs) != 1:
        raise CheckpointError('slowfast-caffe2 takes one input file (SLOWFAST_8x8_R50.pkl)')
    return save_tensors(out, caffe2_slowfast_state(inputs[0]),
                        metadata=dict(source='PySlowFast SLOWFAST_8x8_R50 Caffe2', network='pyslowfast_8x8'))
