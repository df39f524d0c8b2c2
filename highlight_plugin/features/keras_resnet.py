"""Keras ResNet-152 **v1** in torch, and SoccerNet's ``*_ResNET_TF2_PCA512.npy`` extractor on it (docs/parity.md §5).

Keras' ``ResNet152`` (``keras.applications.resnet``, weights ``resnet152_weights_tf_dim_ordering_tf_kernels.h5``,
ported from Caffe) differs from torchvision's v1.5: the stride of a downsampling block sits on its first 1x1
convolution (and its 1x1 shortcut), every convolution has a bias, BatchNorm uses eps 1.001e-5, and the input is
Caffe-style (BGR minus per-channel means, no scaling). SoccerNet took the 2048-d ``avg_pool`` output of frames read
by OpenCV (BGR) and passed through ``preprocess_input``, which flips channels and subtracts the BGR means: the
network sees **RGB in its BGR slots**. That quirk is reproduced by default (``fix_channel_order=True`` feeds BGR).

Weights: the published Keras ``.h5`` read as data (h5py), or a state dict converted once by
``tools/convert_weights.py keras-resnet152 resnet152_weights_tf_dim_ordering_tf_kernels.h5 --out X.safetensors``.
BatchNorm is folded into the convolutions when loaded (outputs equal to fp32 rounding).
"""
from pathlib import Path
from typing import Dict, Optional

import numpy as np
import torch
from torch import nn

from highlight_plugin.engine.device import fp32_context
from highlight_plugin.engine.errors import CheckpointError, ConfigError
from ..media.specs import FrameSpec
from ..weights import WEIGHT_CONVERTERS, save_tensors
from ..weights.keras_h5 import keras_layer, read_keras_h5
from .base import EXTRACTORS, BaseExtractor, load_state_dict
from .pca import PCA

HOW_TO_GET = ('Pass --resnet-checkpoint keras-resnet152-imagenet (Keras\' '
              'resnet152_weights_tf_dim_ordering_tf_kernels.h5, fetched and converted once from the zoo), a file of it '
              'or of its conversion by '
              'tools/convert_weights.py keras-resnet152, or "none" for random weights.')
CAFFE_BGR_MEAN = (103.939, 116.779, 123.68)  # keras.applications.imagenet_utils, mode 'caffe'
BN_EPS = 1.001e-5
RESNET152_BLOCKS = (3, 8, 36, 3)
STAGE_WIDTHS = (64, 128, 256, 512)
SIZE = 224
FPS = 2.0


def _fused_conv():
    """oneDNN's convolution with fused post-ops (what torch.compile emits on the CPU), None where unavailable."""
    try:
        return torch.ops.mkldnn._convolution_pointwise if torch.backends.mkldnn.is_available() else None
    except (AttributeError, RuntimeError):
        return None


FUSED_CONV = _fused_conv()


class ConvBN(nn.Module):
    """Keras ``Conv2D`` (with bias) + ``BatchNormalization``, then optionally ``+ add`` and a ReLU; :meth:`fold`
    merges the BatchNorm into the conv, after which CPU float32 inputs run as one oneDNN convolution with the
    addition and ReLU fused (memory-bound passes saved; equal to the separate ops to fp32 rounding)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1, padding: int = 0):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, kernel, stride, padding, bias=True)
        self.bn = nn.BatchNorm2d(c_out, eps=BN_EPS)

    def forward(self, x, add: Optional[torch.Tensor] = None, relu: bool = False):
        c = self.conv
        if FUSED_CONV is not None and isinstance(self.bn, nn.Identity) and x.device.type == 'cpu' \
                and x.dtype == torch.float32:
            args = (c.weight, c.bias, list(c.padding), list(c.stride), list(c.dilation), c.groups)
            if add is None:
                return FUSED_CONV(x, *args, 'relu' if relu else 'none', [], '')
            return FUSED_CONV.binary(x, add, *args, 'add', None, 'relu' if relu else None, [], None)
        y = self.bn(c(x))
        if add is not None:
            y = y.add_(add)
        return torch.relu_(y) if relu else y

    @torch.no_grad()
    def fold(self):
        if isinstance(self.bn, nn.Identity):
            return
        bn = self.bn
        scale = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
        self.conv.weight.copy_((self.conv.weight.double() * scale.view(-1, 1, 1, 1)).float())
        self.conv.bias.copy_(((self.conv.bias.double() - bn.running_mean.double()) * scale + bn.bias.double()).float())
        self.bn = nn.Identity()


class Bottleneck(nn.Module):
    """Keras ``block1``: 1x1 (stride) -> 3x3 -> 1x1 (4x width), 1x1 strided projection shortcut when asked."""

    def __init__(self, c_in: int, width: int, stride: int, project: bool):
        super().__init__()
        self.shortcut = ConvBN(c_in, 4 * width, 1, stride) if project else None
        self.conv1 = ConvBN(c_in, width, 1, stride)
        self.conv2 = ConvBN(width, width, 3, 1, 1)
        self.conv3 = ConvBN(width, 4 * width, 1)

    def forward(self, x):
        shortcut = x if self.shortcut is None else self.shortcut(x)
        y = self.conv2(self.conv1(x, relu=True), relu=True)
        return self.conv3(y, add=shortcut, relu=True)


class KerasResNetV1(nn.Module):
    """Keras ResNet v1 up to ``avg_pool``: ``(B, 3, H, W)`` Caffe-normalised input -> ``(B, 2048)``.
    ``blocks`` per stage: (3, 8, 36, 3) is ResNet-152, (3, 4, 6, 3) ResNet-50."""

    def __init__(self, blocks=RESNET152_BLOCKS):
        super().__init__()
        self.blocks = tuple(blocks)
        self.stem = ConvBN(3, 64, 7, 2, 3)  # conv1_pad (3) + conv1_conv + conv1_bn
        self.pool = nn.MaxPool2d(3, 2, 1)  # pool1_pad (zeros after a ReLU = -inf padding) + pool1_pool
        stages, c_in = [], 64
        for i, (n, width) in enumerate(zip(self.blocks, STAGE_WIDTHS)):
            stride = 1 if i == 0 else 2
            stage = [Bottleneck(c_in, width, stride, True)]
            stage += [Bottleneck(4 * width, width, 1, False) for _ in range(n - 1)]
            stages.append(nn.Sequential(*stage))
            c_in = 4 * width
        self.stages = nn.Sequential(*stages)
        self.out_channels = c_in

    def forward(self, x):
        x = self.pool(self.stem(x, relu=True))
        return self.stages(x).mean(dim=(2, 3))

    def fold_bn(self) -> 'KerasResNetV1':
        for m in self.modules():
            if isinstance(m, ConvBN):
                m.fold()
        return self


def keras_layer_names(blocks=RESNET152_BLOCKS) -> Dict[str, str]:
    """Keras layer prefix (``conv2_block1_1``) -> module path (``stages.0.0.conv1``) of every ConvBN."""
    names = {'conv1': 'stem'}
    parts = ('shortcut', 'conv1', 'conv2', 'conv3')
    for s, n in enumerate(blocks):
        for b in range(n):
            for i, part in enumerate(parts):
                if i or b == 0:
                    names[f'conv{s + 2}_block{b + 1}_{i}'] = f'stages.{s}.{b}.{part}'
    return names


def state_dict_from_keras(path: str, blocks=RESNET152_BLOCKS) -> Dict[str, torch.Tensor]:
    """The :class:`KerasResNetV1` state dict (BatchNorm not folded) of a Keras ResNet HDF5 weight file."""
    layers = read_keras_h5(path, 'Keras ResNet')
    state = {}
    for keras, module in keras_layer_names(blocks).items():
        conv = keras_layer(layers, f'{keras}_conv', ('kernel', 'bias'), path)
        bn = keras_layer(layers, f'{keras}_bn', ('gamma', 'beta', 'moving_mean', 'moving_variance'), path)
        state[f'{module}.conv.weight'] = torch.from_numpy(np.ascontiguousarray(conv['kernel'].transpose(3, 2, 0, 1)))
        state[f'{module}.conv.bias'] = torch.from_numpy(conv['bias'])
        for ours, theirs in (('weight', 'gamma'), ('bias', 'beta'), ('running_mean', 'moving_mean'),
                             ('running_var', 'moving_variance')):
            state[f'{module}.bn.{ours}'] = torch.from_numpy(np.asarray(bn[theirs]))
    return {k: v.float() for k, v in state.items()}


def build_keras_resnet(checkpoint: Optional[str] = None, blocks=RESNET152_BLOCKS, fold: bool = True) -> KerasResNetV1:
    """A :class:`KerasResNetV1` (eval mode, channels-last) with weights from a Keras ``.h5`` file or a converted
    state dict (``None``/``'none'``: random weights); BatchNorm folded unless ``fold=False``."""
    model = KerasResNetV1(blocks)
    if checkpoint is not None and str(checkpoint).lower() != 'none':
        if str(checkpoint).endswith(('.h5', '.hdf5')):
            state = state_dict_from_keras(checkpoint, blocks)
        else:
            state = load_state_dict(checkpoint, 'Keras ResNet', HOW_TO_GET)
            state = {k: v for k, v in state.items() if not k.endswith('num_batches_tracked')}
        ours = {k for k in model.state_dict() if not k.endswith('num_batches_tracked')}
        missing, unexpected = sorted(ours - set(state)), sorted(set(state) - ours)
        if missing or unexpected:
            raise CheckpointError(f'{checkpoint}: does not match Keras ResNet v1 {blocks} '
                                  f'(missing {missing[:3]}, unexpected {unexpected[:3]})')
        try:
            model.load_state_dict(state, strict=False)
        except RuntimeError as e:
            raise CheckpointError(f'{checkpoint}: does not match Keras ResNet v1 {blocks} ({e})') from e
    model.eval()
    if fold:
        model.fold_bn()
    return model.to(memory_format=torch.channels_last)


@WEIGHT_CONVERTERS.register_module(name='keras-resnet152')
def convert_keras_resnet152(inputs, out):
    """Keras resnet152_weights_tf_dim_ordering_tf_kernels.h5 (ResNet-152 v1) -> state dict of features.keras_resnet"""
    if len(inputs) != 1:
        raise ConfigError('keras-resnet152 takes one input: the Keras .h5 weight file')
    return save_tensors(out, state_dict_from_keras(inputs[0]), metadata=dict(source=Path(inputs[0]).name))


@EXTRACTORS.register_module()
class SoccerNetResNetExtractor(BaseExtractor):
    """SoccerNet's ``*_ResNET_TF2_PCA512.npy``: frames by the 'soccernet' sampling (2 fps, FrameCV's frame choice,
    height 224, centre crop), Keras ResNet-152 v1 ``avg_pool`` (2048-d), then SoccerNet's average and PCA.

    Args:
        clip_len: 0.5 (2 fps), the reference's rate; others follow the same rule at ``1 / clip_len`` fps.
        checkpoint: Keras ``.h5`` or converted state dict (see the module doc); ``'none'``: random weights.
        pca: a PCA (see :meth:`PCA.load`: SoccerNet's published pickles or an ``.npz``); None: raw 2048-d rows.
        fix_channel_order: feed the network BGR as it was trained (differs from every published feature file).
        model: an already built :class:`KerasResNetV1`.
    """
    name = 'soccernet_resnet'

    def __init__(self, clip_len: float = 1 / FPS, device: str = 'cpu', batch_size: int = 16,
                 checkpoint: Optional[str] = None, pca: Optional[str] = None, fix_channel_order: bool = False,
                 model: Optional[KerasResNetV1] = None):
        super().__init__(clip_len, device, batch_size)
        self.fix_channel_order = bool(fix_channel_order)
        self.checkpoint, self.pca_file = checkpoint, pca  # provenance
        self.model = (model or build_keras_resnet(checkpoint)).to(self.device).eval()
        self.mean = torch.tensor(CAFFE_BGR_MEAN, dtype=torch.float32, device=self.device)
        self.pca = PCA.load(pca, self.feature_tag) if pca else None
        self.dim = self.pca.out_dim if self.pca else self.model.out_channels

    @property
    def feature_tag(self) -> str:
        """What the raw rows are, as recorded in a PCA fitted on them."""
        return 'keras-resnet152-v1/caffe-' + ('bgr' if self.fix_channel_order else 'rgb-quirk')

    @property
    def spec(self):
        return FrameSpec(fps=1.0 / self.clip_len, size=SIZE, crop=True, sampling='soccernet')

    @property
    def units_per_row(self):
        return 1

    def normalised(self, rows: np.ndarray) -> torch.Tensor:
        """(B, 1, H, W, 3) uint8 RGB -> (B, 3, H, W) channels-last float, Caffe mode: minus the BGR means, in RGB
        order as the reference (``fix_channel_order``: in BGR order)."""
        x = torch.from_numpy(np.ascontiguousarray(rows[:, 0])).to(self.device)
        if self.fix_channel_order:
            x = x.flip(-1)
        return (x.float() - self.mean).permute(0, 3, 1, 2)  # NHWC memory = channels-last

    @fp32_context()
    @torch.inference_mode()
    def raw_features(self, rows: np.ndarray) -> np.ndarray:
        """(B, 2048) ``avg_pool`` features of a batch of rows (fp32 convolutions: no TF32 on CUDA, as the
        reference's TensorFlow 2.3)."""
        return self.model(self.normalised(rows)).float().cpu().numpy()

    def forward_rows(self, rows):
        feats = self.raw_features(rows)
        return self.pca(feats).astype(np.float32) if self.pca else feats


def raw_soccernet_extractor(checkpoint: Optional[str] = None, random_init: bool = False, device: str = 'cpu',
                            batch_size: int = 16, fix_channel_order: bool = False) -> SoccerNetResNetExtractor:
    """The soccernet layout's ResNet without a PCA (``--fit-pca``): weights from ``checkpoint`` (a file or a zoo
    name), or random with ``random_init``."""
    if checkpoint is None and not random_init:
        raise CheckpointError('--fit-pca needs --resnet-checkpoint (or --random-init)')
    if checkpoint is not None:
        from .builder import resolve_checkpoint_option
        checkpoint = resolve_checkpoint_option('resnet', checkpoint)
    return SoccerNetResNetExtractor(device=device, batch_size=batch_size, checkpoint=checkpoint,
                                    fix_channel_order=fix_channel_order)
