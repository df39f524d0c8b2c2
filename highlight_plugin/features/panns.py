"""PANNs Cnn14 audio embeddings (2048-d) with the network class of ``panns_inference``.

``import panns_inference`` runs its ``config.py``, which shells out to ``wget`` to fetch
the AudioSet label CSV when ``~/panns_data/class_labels_indices.csv`` is missing (and
fails offline). We only need the network class, so :func:`panns_models` imports
``panns_inference/models.py`` (and its sibling ``pytorch_utils.py``) under a private
package name whose ``__init__`` is never executed: no download, no file written in the
user's home, and it keeps working if the CSV exists or the package was imported already.
"""
import copy
import importlib
import importlib.util
import sys
import types

import numpy as np
import torch
from torch.nn.utils.fusion import fuse_conv_bn_eval

from highlight_plugin.engine.device import fp32_context
from highlight_plugin.engine.errors import CheckpointError
from ..media.specs import AudioSpec
from .base import EXTRACTORS, BaseExtractor, load_weights

HOW_TO_GET_PANNS = ('Download Cnn14_mAP=0.431.pth from https://zenodo.org/record/3987831 '
                    '(PANNs, Kong et al.) and pass its path with --panns-checkpoint (or its URL, to '
                    'download it once into the torch hub cache), or "none" for random weights.')
_PRIVATE_PKG = '_highlight_panns_inference'


def panns_models() -> types.ModuleType:
    """``panns_inference.models`` imported without the package ``__init__`` (see module doc)."""
    name = _PRIVATE_PKG + '.models'
    if name not in sys.modules:
        spec = importlib.util.find_spec('panns_inference')  # locates, does not execute
        if spec is None or not spec.submodule_search_locations:
            raise CheckpointError('panns_inference is not installed (pip install panns_inference==0.1.1)')
        pkg = types.ModuleType(_PRIVATE_PKG)
        pkg.__path__ = list(spec.submodule_search_locations)
        sys.modules[_PRIVATE_PKG] = pkg
    return importlib.import_module(name)


def build_cnn14(checkpoint=None) -> torch.nn.Module:
    """Cnn14 as used by ``panns_inference.AudioTagging`` (32 kHz, 64 mels, 527 classes)."""
    model = panns_models().Cnn14(sample_rate=32000, window_size=1024, hop_size=320, mel_bins=64,
                                 fmin=50, fmax=14000, classes_num=527)
    return load_weights(model, checkpoint, 'PANNs Cnn14', HOW_TO_GET_PANNS).eval()


def fold_batchnorm(model: torch.nn.Module) -> torch.nn.Module:
    """``model`` (eval) with the BatchNorm of each ConvBlock folded into its convolution, in place: 6-10% faster on
    CPU, outputs equal to fp32 rounding (the log-mel ``bn0`` stays: it normalises a transposed input)."""
    for block in model.modules():
        if type(block).__name__ == 'ConvBlock' and isinstance(block.bn1, torch.nn.BatchNorm2d):
            block.conv1, block.bn1 = fuse_conv_bn_eval(block.conv1, block.bn1), torch.nn.Identity()
            block.conv2, block.bn2 = fuse_conv_bn_eval(block.conv2, block.bn2), torch.nn.Identity()
    return model


@EXTRACTORS.register_module()
class PANNsExtractor(BaseExtractor):
    """Cnn14 ``embedding`` output (2048-d) of non-overlapping ``clip_len`` windows of mono
    32 kHz audio (UMT's QVHighlights audio features and the Hotstar fork's). ``method`` 'librosa'
    reads the audio as their ``librosa.load`` did (``librosa_audio.py``). The checkpoint may carry the
    PANNs trainer's numpy side data (``{'iteration', 'model', 'sampler'}``): numpy arrays are data."""
    name = 'panns'
    dim = 2048
    sample_rate = 32000

    def __init__(self, clip_len: float, device: str = 'cpu', batch_size: int = 32,
                 checkpoint=None, model=None, method: str = 'ffmpeg'):
        super().__init__(clip_len, device, batch_size)
        self.method = method  # AudioSpec.method: 'ffmpeg' (one -ac 1 -ar pass) or 'librosa' (the references')
        self.checkpoint = checkpoint
        # BatchNorm folded (a copy of a given model); the default memory format: channels-last was 13% slower on
        # CPU with torch 2.14 / oneDNN 3.12 (benchmarks/reel_speed.py's machine)
        model = copy.deepcopy(model.eval()) if model is not None else build_cnn14(checkpoint)
        self.model = fold_batchnorm(model.to(self.device).eval())

    @property
    def spec(self):
        return AudioSpec(self.sample_rate, self.method)

    @property
    def units_per_row(self):
        return int(round(self.clip_len * self.sample_rate))

    @fp32_context()
    @torch.inference_mode()
    def forward_rows(self, rows):
        x = torch.from_numpy(np.ascontiguousarray(rows, dtype=np.float32)).to(self.device)
        return self.model(x)['embedding'].float().cpu().numpy()
