"""Feature extraction from raw videos (CLIP, PANNs, SlowFast, ResNet+PCA, VGGish).

Python entry points: build extractors once (:func:`build_extractor`), then
:func:`extract` per video (-> one ``(T, D)`` array per feature) and a :class:`Layout`
(:data:`LAYOUTS`) to write the dataset's files; :func:`run_extraction` does a whole list
with skip-done, failures.jsonl and sharding (``tools/extract_features.py``).
"""
from .base import EXTRACTORS, AudioSpec, BaseExtractor, FrameSpec, build_extractor, load_weights
from .builder import build_extractors
from .clip import CLIPExtractor, CLIPTextEncoder, build_clip, read_clip_weights
from .decoder import FRAME_FILTERS, decode_frames, register_frame_filter
from .job import collect_videos, read_queries, run_extraction, run_text_extraction
from .keras_resnet import KerasResNetV1, SoccerNetResNetExtractor, build_keras_resnet
from .layouts import LAYOUTS, Layout, Output, get_layout, save_array
from .librosa_audio import read_audio_librosa
from .media import (MediaInfo, audio_reader, frame_reader, probe, read_audio, read_frames, register_audio_method,
                    register_frame_sampling, select_audio_stream)
from .panns import PANNsExtractor, build_cnn14
from .pca import PCA, fit_pca_on_videos
from .pipeline import VideoFeatures, expected_rows, extract
from .provenance import check_recipe, read_provenance, write_provenance
from .recipes import RECIPES, FeatureRecipe, Recipe, get_recipe
from .resnet import ResNetExtractor, build_resnet
from .slowfast import SlowFastExtractor, build_slowfast
from .soccernet_media import read_audio_vandd, read_frames_soccernet, resize_area
from .vggish import VGGishConv, VGGishExtractor, build_vggish
from .weights import WEIGHT_CONVERTERS, load_pickle, save_tensors

__all__ = [
    'EXTRACTORS', 'AudioSpec', 'BaseExtractor', 'FrameSpec', 'build_extractor', 'build_extractors',
    'load_weights',
    'CLIPExtractor', 'CLIPTextEncoder', 'build_clip', 'collect_videos', 'read_queries', 'KerasResNetV1',
    'SoccerNetResNetExtractor', 'build_keras_resnet', 'read_audio_vandd', 'read_frames_soccernet', 'resize_area',
    'run_extraction', 'run_text_extraction', 'LAYOUTS', 'Layout', 'Output', 'get_layout', 'save_array',
    'MediaInfo', 'audio_reader', 'frame_reader', 'probe', 'read_audio', 'read_frames',
    'register_audio_method', 'register_frame_sampling', 'select_audio_stream', 'PANNsExtractor',
    'build_cnn14', 'PCA', 'fit_pca_on_videos', 'VideoFeatures', 'expected_rows', 'extract',
    'ResNetExtractor', 'build_resnet', 'SlowFastExtractor', 'build_slowfast', 'VGGishConv',
    'VGGishExtractor', 'build_vggish', 'WEIGHT_CONVERTERS', 'load_pickle', 'save_tensors',
    'read_clip_weights', 'FRAME_FILTERS', 'decode_frames', 'register_frame_filter', 'read_audio_librosa',
    'check_recipe', 'read_provenance', 'write_provenance', 'RECIPES', 'FeatureRecipe', 'Recipe', 'get_recipe'
]
