"""Build the extractors a layout needs, once, from command-line style options."""
from typing import Dict, Mapping, Optional, Sequence

from highlight_plugin.engine.errors import CheckpointError, ConfigError
from .base import BaseExtractor, build_extractor
from .layouts import Layout
from .provenance import describe
from .recipes import CUSTOM, get_recipe

# where to get the published weights of each extractor (shown when none is given)
WEIGHT_HINTS = {
    'clip': '--clip-checkpoint PATH (OpenAI ViT-B-32.pt, or open_clip_model.safetensors of '
            'timm/vit_base_patch32_clip_224.openai) or "openai" (hub, online)',
    'panns': '--panns-checkpoint PATH (Cnn14_mAP=0.431.pth, https://zenodo.org/record/3987831)',
    'slowfast': '--slowfast-checkpoint PATH (SLOWFAST_8x8_R50.pkl converted once with tools/convert_weights.py '
                'slowfast-caffe2; for the mmaction_4x16 variant the mmaction2 slowfast_r50_8xb8-4x16x1 .pth)',
    'resnet': '--resnet-checkpoint PATH (soccernet: Keras resnet152_weights_tf_dim_ordering_tf_kernels.h5; '
              'other layouts: torchvision resnet152 IMAGENET1K_V1 .pth or "torchvision" (online))',
    'vggish': '--vggish-checkpoint PATH (V&D\'s vggish_audioset_weights_without_fc2.h5 or torchvggish '
              'vggish-10086976.pth)',
}


def build_extractors(layout: Layout, features: Optional[Sequence[str]] = None,
                     clip_len: Optional[float] = None, device: str = 'cpu', batch_size: int = 32,
                     checkpoints: Optional[Mapping[str, Optional[str]]] = None,
                     random_init: bool = False,
                     options: Optional[Mapping[str, dict]] = None,
                     recipe: Optional[str] = None) -> Dict[str, BaseExtractor]:
    """Extractors for ``features`` (default: the recipe's, else the layout's), each built once.

    Args:
        layout: gives the default recipe, features and each feature's clip length.
        clip_len: overrides the clip length for every feature (the features are then 'custom').
        checkpoints: feature -> weights path (or hub tag, or 'none' for random weights).
        random_init: random weights for every feature without a checkpoint (tests, benchmarks).
        options: feature -> extra constructor arguments (e.g. ``{'resnet': {'pca': path}}``); one that
            changes a recipe's setting makes that feature 'custom'.
        recipe: a name of ``recipes.RECIPES`` (default: ``layout.recipe``), or 'custom' for the layout's
            own settings.

    Every extractor returned carries ``recipe`` (its recipe's name, or 'custom'), ``dtype`` (stored
    precision), ``drop_partial`` and ``provenance`` (the record written beside its files).

    Raises:
        CheckpointError: a feature has no weights and ``random_init`` is False.
        ConfigError: a recipe of another layout.
    """
    name = recipe if recipe is not None else layout.recipe
    rec = get_recipe(name) if name not in (None, CUSTOM) else None
    if rec is not None and rec.layout != layout.name:
        raise ConfigError(f'recipe {rec.name!r} makes {rec.layout} features, not {layout.name}')
    features = list(features or (rec.default_features if rec else layout.default_features))
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
    for feat in features:
        fr = rec.features.get(feat) if rec else None
        extra = {k: v for k, v in options.get(feat, {}).items() if v is not None}
        if fr is not None and (clip_len not in (None, fr.clip_len)
                               or any(k in fr.options and fr.options[k] != v for k, v in extra.items())):
            fr = None  # the user changed what the recipe fixes
        if fr is not None:
            ex = build_extractor(fr.extractor, fr.clip_len, device=device, batch_size=batch_size,
                                 checkpoint=checkpoints.get(feat), **{**fr.options, **extra})
            ex.recipe, ex.dtype, ex.drop_partial = rec.name, fr.dtype, fr.drop_partial
        else:
            length = clip_len if clip_len is not None else layout.clip_len.get(feat, 2.0)
            cfg = dict(layout.extractors.get(feat, {}))
            ex = build_extractor(cfg.pop('type', feat), length, device=device, batch_size=batch_size,
                                 checkpoint=checkpoints.get(feat), **{**cfg, **extra})
            ex.recipe, ex.drop_partial = CUSTOM, feat in layout.drop_partial
            ex.dtype = layout.outputs[feat].dtype if feat in layout.outputs else 'float32'
        ex.provenance = dict(describe(ex, ex.recipe, ex.dtype), feature=feat)
        out[feat] = ex
    return out


def build_text_encoder(layout: Layout, clip=None, checkpoint: Optional[str] = None, device: str = 'cpu',
                       random_init: bool = False, recipe: Optional[str] = None, model_name: Optional[str] = None):
    """The CLIP text encoder of the recipe's query features (Moment-DETR's for hero_qvhighlights), sharing the
    image extractor's network, on its device, when ``clip`` (a :class:`CLIPExtractor`) is given. Carries
    ``provenance``."""
    from .clip import CLIPTextEncoder
    name = recipe if recipe is not None else layout.recipe
    rec = get_recipe(name) if name not in (None, CUSTOM) else None
    opts = dict(rec.text) if rec is not None and rec.text else dict(max_tokens=77, pooler='projected')
    custom = rec is None or not rec.text or (model_name not in (None, opts.get('model_name')))
    if model_name is not None:
        opts['model_name'] = model_name
    if clip is not None:
        custom = custom or clip.recipe != name
        checkpoint = clip.checkpoint
    elif checkpoint is None and not random_init:
        raise CheckpointError('no weights given for the CLIP text encoder; pass ' + WEIGHT_HINTS['clip']
                              + ' (or --random-init for random weights)')
    device = clip.device if clip is not None else device  # a shared network stays where the image side runs it
    encoder = CLIPTextEncoder(checkpoint=checkpoint, device=device, model=clip.model if clip else None, **opts)
    import highlight_plugin
    from .provenance import weights_sha256
    encoder.provenance = dict(
        recipe=CUSTOM if custom else name, extractor='clip_text', feature='text',
        network=getattr(encoder.model, 'network_name', opts.get('model_name')), max_tokens=encoder.max_tokens,
        pooler=encoder.pooler, weights=dict(file=str(checkpoint).rsplit('/', 1)[-1] if checkpoint else None,
                                            sha256=weights_sha256(checkpoint)),
        version=highlight_plugin.__version__)
    return encoder
