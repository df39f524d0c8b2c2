"""The feature networks (CLIP, PANNs, SlowFast, ResNet+PCA, VGGish) and the recipes of the published pipelines.

Build extractors once (:func:`build_extractors`, from a :class:`Recipe` of :data:`RECIPES` or a :class:`Layout` of
:data:`LAYOUTS`); :func:`highlight_plugin.apis.extract` runs them over a video's decode. Each extractor declares the
stream it reads (``highlight_plugin.media.FrameSpec`` / ``AudioSpec``).
"""
from .base import EXTRACTORS, BaseExtractor, build_extractor, load_weights
from .builder import build_extractors, build_text_encoder
from .clip import CLIPExtractor, CLIPTextEncoder, build_clip, read_clip_weights
from .keras_resnet import KerasResNetV1, SoccerNetResNetExtractor, build_keras_resnet
from .layouts import LAYOUTS, Layout, Output, get_layout, save_array
from .panns import PANNsExtractor, build_cnn14
from .pca import PCA
from .provenance import check_recipe, read_provenance, write_provenance
from .recipes import RECIPES, FeatureRecipe, Recipe, get_recipe
from .resnet import ResNetExtractor, build_resnet
from .slowfast import SlowFastExtractor, build_slowfast
from .vggish import VGGishConv, VGGishExtractor, build_vggish

__all__ = [
    'EXTRACTORS', 'BaseExtractor', 'build_extractor', 'build_extractors', 'build_text_encoder', 'load_weights',
    'CLIPExtractor', 'CLIPTextEncoder', 'build_clip', 'read_clip_weights', 'KerasResNetV1',
    'SoccerNetResNetExtractor', 'build_keras_resnet', 'LAYOUTS', 'Layout', 'Output', 'get_layout', 'save_array',
    'PANNsExtractor', 'build_cnn14', 'PCA', 'check_recipe', 'read_provenance', 'write_provenance', 'RECIPES',
    'FeatureRecipe', 'Recipe', 'get_recipe', 'ResNetExtractor', 'build_resnet', 'SlowFastExtractor',
    'build_slowfast', 'VGGishConv', 'VGGishExtractor', 'build_vggish'
]
