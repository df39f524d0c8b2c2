"""ResNet-152 (torchvision, ImageNet) frame features, optionally reduced by a saved PCA
(SoccerNet: 2 fps, 2048 -> 512)."""
from typing import Optional

import numpy as np
import torch

from .base import EXTRACTORS, BaseExtractor, FrameSpec, load_weights
from .pca import PCA

HOW_TO_GET_RESNET = ('Pass --resnet-checkpoint with torchvision\'s resnet152-394f9c45.pth '
                     '(ResNet152_Weights.IMAGENET1K_V1), "torchvision" to download it when online, '
                     'or "none" for random weights.')
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def build_resnet(checkpoint: Optional[str] = None, arch: str = 'resnet152') -> torch.nn.Module:
    """A torchvision ResNet without its classifier (outputs the pooled features; 2048-d for
    ResNet-152); its ``out_channels`` attribute is the feature size."""
    import torchvision
    weights = 'IMAGENET1K_V1' if checkpoint == 'torchvision' else None
    model = getattr(torchvision.models, arch)(weights=weights)
    if checkpoint != 'torchvision':
        load_weights(model, checkpoint, arch, HOW_TO_GET_RESNET)
    model.out_channels = model.fc.in_features
    model.fc = torch.nn.Identity()
    return model.eval()


@EXTRACTORS.register_module()
class ResNetExtractor(BaseExtractor):
    """Pooled ResNet-152 features of the frame at the centre of each clip (``clip_len``
    0.5 s = 2 fps for SoccerNet); with ``pca`` (an ``.npz`` path, see :class:`PCA`) the
    features are projected, e.g. to 512-d. ``arch`` picks another torchvision ResNet."""
    name = 'resnet'

    def __init__(self, clip_len: float, device: str = 'cpu', batch_size: int = 32,
                 checkpoint: Optional[str] = None, pca: Optional[str] = None, size: int = 224,
                 arch: str = 'resnet152', model=None):
        super().__init__(clip_len, device, batch_size)
        self.size = int(size)
        self.model = (model or build_resnet(checkpoint, arch)).to(self.device).eval()
        self.pca = PCA.load(pca) if pca else None
        self.dim = self.pca.out_dim if self.pca else self.model.out_channels
        self.mean = torch.tensor(IMAGENET_MEAN, device=self.device).view(1, 3, 1, 1) * 255
        self.std = torch.tensor(IMAGENET_STD, device=self.device).view(1, 3, 1, 1) * 255

    @property
    def spec(self):
        return FrameSpec(fps=1.0 / self.clip_len, size=self.size)

    @property
    def units_per_row(self):
        return 1

    @torch.inference_mode()
    def forward_rows(self, rows):
        x = torch.from_numpy(np.ascontiguousarray(rows[:, 0])).to(self.device)
        x = (x.permute(0, 3, 1, 2).float() - self.mean) / self.std
        feats = self.model(x).float().cpu().numpy()
        return self.pca(feats).astype(np.float32) if self.pca else feats
