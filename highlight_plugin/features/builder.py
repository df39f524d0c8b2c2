"""Build the extractors a layout needs, once, from command-line style options (weights by file or zoo name)."""
import os
from typing import Dict, Mapping, Optional, Sequence

from highlight_plugin.engine.errors import CheckpointError, ConfigError
from .base import BaseExtractor, build_extractor
from .layouts import Layout
from .provenance import describe
from .recipes import CUSTOM, get_recipe

# where to get the published weights of each extractor (shown when none is given); every name is a zoo entry
# (highlight_plugin/weights/zoo.json; tests/weights check they exist with that role)
WEIGHT_HINTS = {
    'clip': '--clip-checkpoint NAME or PATH (zoo: clip-vit-b-32-openai = OpenAI ViT-B-32.pt, or '
            'clip-vit-b-32-openai-safetensors = open_clip_model.safetensors of timm/vit_base_patch32_clip_224.openai; '
            'or an open_clip tag such as "openai")',
    'panns': '--panns-checkpoint NAME or PATH (zoo: panns-cnn14 = Cnn14_mAP=0.431.pth, Zenodo record 3987831)',
    'slowfast': '--slowfast-checkpoint NAME or PATH (zoo: pyslowfast-slowfast-8x8-r50 = PySlowFast '
                'SLOWFAST_8x8_R50.pkl, converted once; for the mmaction_4x16 variant '
                'mmaction2-slowfast-r50-4x16x1-k400)',
    'resnet': '--resnet-checkpoint NAME or PATH (soccernet: keras-resnet152-imagenet = Keras '
              'resnet152_weights_tf_dim_ordering_tf_kernels.h5, converted once; other layouts: torchvision resnet152 '
              'IMAGENET1K_V1 .pth or "torchvision")',
    'vggish': '--vggish-checkpoint NAME or PATH (zoo: vandd-vggish-keras = V&D\'s '
              'vggish_audioset_weights_without_fc2.h5, or torchvggish-vggish = vggish-10086976.pth)',
    'pca': '--pca NAME or PATH (zoo: soccernet-pca-512-tf2 = SoccerNet\'s pca_512_TF2.pkl + average_512_TF2.pkl, '
           'converted once)',
}
# what an extractor reads itself besides a file: a hub tag (open_clip's pretrained tags, torchvision's weights)
HUB_TAGS = {'resnet': ('torchvision', )}


def _hub_tags(feature: str):
    if feature == 'clip':
        import open_clip
        return {tag for _, tag in open_clip.list_pretrained()}
    return HUB_TAGS.get(feature, ())


def resolve_checkpoint_option(feature: str, value):
    """A ``--*-checkpoint`` (or ``--pca``) value as the extractor takes it: an existing file; 'none' (random
    weights), a URL or a hub tag the extractor reads itself; else a zoo name of that role, fetched, verified,
    converted and cached (:func:`highlight_plugin.weights.resolve_weights`: one line with close names otherwise)."""
    if value is None:
        return None
    text = str(value)
    if os.path.isfile(os.path.expanduser(text)) or text.lower() == 'none' or '://' in text:
        return value
    if feature == 'pca' and ',' in text:  # SoccerNet's two pickles, given as files
        return value
    if text in _hub_tags(feature):
        return value
    from highlight_plugin.weights.hub import resolve_weights
    return resolve_weights(text, role=feature)


def build_extractors(layout: Layout, features: Optional[Sequence[str]] = None, clip_len: Optional[float] = None,
                     device: str = 'cpu', checkpoints: Optional[Mapping[str, Optional[str]]] = None,
                     random_init: bool = False, options: Optional[Mapping[str, dict]] = None,
                     recipe: Optional[str] = None) -> Dict[str, BaseExtractor]:
    """Extractors for ``features`` (default: the recipe's, else the layout's), each built once.

    Args:
        layout: gives the default recipe, features and each feature's clip length.
        clip_len: overrides the clip length for every feature (the features are then 'custom').
        checkpoints: feature -> weights path, zoo name (fetched once), hub tag, or 'none' for random weights.
        random_init: random weights for every feature without a checkpoint (tests, benchmarks).
        options: feature (``'*'``: every feature) -> extra constructor arguments (e.g. ``{'resnet': {'pca': path}}``,
            ``{'*': {'batch_size': 64}}``: rows per forward pass, 32 by default); one that changes a recipe's setting
            makes that feature 'custom'.
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
    checkpoints, options = _resolve_weights(layout, features, checkpoints, options, random_init)
    out = {}
    for feat in features:
        fr = rec.features.get(feat) if rec else None
        extra = {k: v for k, v in {**options.get('*', {}), **options.get(feat, {})}.items() if v is not None}
        if fr is not None and (clip_len not in (None, fr.clip_len)
                               or any(k in fr.options and fr.options[k] != v for k, v in extra.items())):
            fr = None  # the user changed what the recipe fixes
        if fr is not None:
            ex = build_extractor(fr.extractor, fr.clip_len, device=device, checkpoint=checkpoints.get(feat),
                                 **{**fr.options, **extra})
            ex.recipe, ex.dtype, ex.drop_partial = rec.name, fr.dtype, fr.drop_partial
        else:
            length = clip_len if clip_len is not None else layout.clip_len.get(feat, 2.0)
            cfg = dict(layout.extractors.get(feat, {}))
            ex = build_extractor(cfg.pop('type', feat), length, device=device, checkpoint=checkpoints.get(feat),
                                 **{**cfg, **extra})
            ex.recipe, ex.drop_partial = CUSTOM, feat in layout.drop_partial
            ex.dtype = layout.outputs[feat].dtype if feat in layout.outputs else 'float32'
        ex.provenance = dict(describe(ex, ex.recipe, ex.dtype), feature=feat)
        out[feat] = ex
    return out


def _resolve_weights(layout: Layout, features, checkpoints, options, random_init: bool):
    """The checked ``checkpoints`` and ``options`` of ``features``, zoo names resolved to local files (fetched once)."""
    checkpoints = dict(checkpoints or {})
    options = {f: dict(o) for f, o in (options or {}).items()}
    missing = [f for f in features if checkpoints.get(f) is None and not random_init]
    if missing:
        raise CheckpointError('no weights given for ' + ', '.join(missing) + '; pass ' + '; '.join(
            WEIGHT_HINTS.get(f, f'--{f}-checkpoint') for f in missing)
            + ' (or --random-init for random weights)')
    if 'resnet' in features and layout.name == 'soccernet' and not options.get('resnet', {}).get('pca'):
        raise ConfigError('the soccernet layout stores PCA-reduced ResNet features: pass --pca soccernet-pca-512-tf2 '
                          '(the zoo name of SoccerNet\'s pca_512_TF2.pkl + average_512_TF2.pkl), the two pickles '
                          '(--pca pca_512_TF2.pkl,average_512_TF2.pkl) or their conversion, or a PCA of your own '
                          '(--fit-pca)')
    checkpoints = {f: resolve_checkpoint_option(f, v) for f, v in checkpoints.items() if f in features}
    if 'resnet' in features and options.get('resnet', {}).get('pca') is not None:
        options['resnet']['pca'] = resolve_checkpoint_option('pca', options['resnet']['pca'])
    return checkpoints, options


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
    else:
        checkpoint = resolve_checkpoint_option('clip', checkpoint)
    device = clip.device if clip is not None else device  # a shared network stays where the image side runs it
    encoder = CLIPTextEncoder(checkpoint=checkpoint, device=device, model=clip.model if clip else None, **opts)
    import highlight_plugin
    from .provenance import weights_record
    encoder.provenance = dict(
        recipe=CUSTOM if custom else name, extractor='clip_text', feature='text',
        network=getattr(encoder.model, 'network_name', opts.get('model_name')), max_tokens=encoder.max_tokens,
        pooler=encoder.pooler, weights=weights_record(checkpoint), version=highlight_plugin.__version__)
    return encoder
