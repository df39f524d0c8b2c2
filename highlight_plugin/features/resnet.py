"""ResNet-152 (torchvision v1.5, ImageNet) frame features, optionally reduced by a PCA fitted on them.

Not SoccerNet's features: those come from Keras' ResNet-152 v1 (``keras_resnet.SoccerNetResNetExtractor``, the
soccernet layout's 'resnet')."""
from typing import Optional

import numpy as np
import torch

from highlight_plugin.engine.device import fp32_context
from .base import EXTRACTORS, CentreFrameExtractor, load_weights
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
class ResNetExtractor(CentreFrameExtractor):
    """Pooled ResNet-152 features of the frame at the centre of each clip (``clip_len``
    0.5 s = 2 fps for SoccerNet); with ``pca`` (an ``.npz`` path, see :class:`PCA`) the
    features are projected, e.g. to 512-d (a PCA fitted on these features: ``--fit-pca`` with this
    extractor). ``arch`` picks another torchvision ResNet."""
    name = 'resnet'

    def __init__(self, clip_len: float, device: str = 'cpu', batch_size: int = 32,
                 checkpoint: Optional[str] = None, pca: Optional[str] = None, size: int = 224,
                 arch: str = 'resnet152', model=None):
        super().__init__(clip_len, device, batch_size)
        self.checkpoint, self.pca_file = checkpoint, pca  # provenance
        self.model = (model or build_resnet(checkpoint, arch)).to(self.device).eval()
        self.set_input(size, IMAGENET_MEAN, IMAGENET_STD)
        self.feature_tag = 'torchvision-resnet'  # what a PCA fitted on these rows records
        self.pca = PCA.load(pca, self.feature_tag) if pca else None
        self.dim = self.pca.out_dim if self.pca else self.model.out_channels

    @fp32_context()
    @torch.inference_mode()
    def forward_rows(self, rows):
        feats = self.model(self.normalised(rows)).float().cpu().numpy()
        return self.pca(feats).astype(np.float32) if self.pca else feats
