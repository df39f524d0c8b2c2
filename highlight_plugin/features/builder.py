"""Build the extractors a layout needs, once, from command-line style options."""
from typing import Dict, Mapping, Optional, Sequence

from highlight_plugin.engine.errors import CheckpointError, ConfigError
from .base import BaseExtractor, build_extractor
from .layouts import Layout

# where to get the published weights of each extractor (shown when none is given)
WEIGHT_HINTS = {
    'clip': '--clip-checkpoint PATH (open_clip state dict of OpenAI ViT-B/32) or "openai" (hub, online)',
    'panns': '--panns-checkpoint PATH (Cnn14_mAP=0.431.pth, https://zenodo.org/record/3987831)',
    'slowfast': '--slowfast-checkpoint PATH (mmaction2 slowfast_r50_8xb8-4x16x1-256e_kinetics400-rgb .pth)',
    'resnet': '--resnet-checkpoint PATH (soccernet: Keras resnet152_weights_tf_dim_ordering_tf_kernels.h5; '
              'other layouts: torchvision resnet152 IMAGENET1K_V1 .pth or "torchvision" (online))',
    'vggish': '--vggish-checkpoint PATH (V&D\'s vggish_audioset_weights_without_fc2.h5 or torchvggish '
              'vggish-10086976.pth)',
}


def build_extractors(layout: Layout, features: Optional[Sequence[str]] = None,
                     clip_len: Optional[float] = None, device: str = 'cpu', batch_size: int = 32,
                     checkpoints: Optional[Mapping[str, Optional[str]]] = None,
                     random_init: bool = False,
                     options: Optional[Mapping[str, dict]] = None) -> Dict[str, BaseExtractor]:
    """Extractors for ``features`` (default: the layout's), each built once.

    Args:
        layout: gives the default features and each feature's clip length.
        clip_len: overrides the layout's clip length for every feature.
        checkpoints: feature -> weights path (or hub tag, or 'none' for random weights).
        random_init: random weights for every feature without a checkpoint (tests, benchmarks).
        options: feature -> extra constructor arguments (e.g. ``{'resnet': {'pca': path}}``).

    Raises:
        CheckpointError: a feature has no weights and ``random_init`` is False.
    """
    features = list(features or layout.default_features)
    checkpoints = dict(checkpoints or {})
    options = options or {}
    missing = [f for f in features if checkpoints.get(f) is None and not random_init]
    if missing:
        raise CheckpointError('no weights given for ' + ', '.join(missing) + '; pass ' + '; '.join(
            WEIGHT_HINTS.get(f, f'--{f}-checkpoint') for f in missing)
            + ' (or --random-init for random weights)')
    if 'resnet' in features and layout.name == 'soccernet' and not options.get('resnet', {}).get('pca'):
        raise ConfigError('the soccernet layout stores PCA-reduced ResNet features: pass --pca '
                          'pca_512_TF2.pkl,average_512_TF2.pkl (SoccerNet\'s, sn-spotting Features/) or their '
                          'conversion (tools/convert_weights.py soccernet-pca), or a PCA of your own (--fit-pca)')
    out = {}
    for name in features:
        length = clip_len if clip_len is not None else layout.clip_len.get(name, 2.0)
        cfg = dict(layout.extractors.get(name, {}))
        out[name] = build_extractor(cfg.pop('type', name), length, device=device, batch_size=batch_size,
                                    checkpoint=checkpoints.get(name), **{**cfg, **options.get(name, {})})
    return out
