"""Feature recipes: the published extraction pipelines, as data, in one place.

A model only works on a new video if its features come from the pipeline its training
features came from (docs/parity.md). A :class:`Recipe` says, per feature, which
extractor, frame sampling / audio reading, clip length, network variant, precision, stored
dtype and tail rule reproduce that pipeline; the layouts name their default recipe
(``Layout.recipe``), model configs name the recipe they were trained on
(``inference_cfg.recipe``), and every extraction records it (``provenance.py``).

=====================  ==============================================================================
``hero_qvhighlights``  QVHighlights release and every public UMT checkpoint: HERO's CLIP ViT-B/32
                       (``clip/extract.py``: 0.5 fps, fp16, stored float16), HERO's SlowFast 8x8 R50
                       (``slowfast/extract_feature``: 30-fps decode, PySlowFast SLOWFAST_8x8_R50 in fp32,
                       stored float16), UMT#22's PANNs (librosa 32 kHz, 2-s windows, remainder dropped), and
                       Moment-DETR's CLIP text features (tokens capped at 32, projected EOT pooler).
``hero_qvhighlights_mmaction``  the same with mmaction2's own SlowFast R50 4x16 (its model-zoo weights,
                       ImageNet normalisation, 32 frames at the clip's sub-interval centres): for
                       models trained from scratch on those features.
``univtg_hotstar``     the Hotstar models: UniVTG ``vid2clip(clip_len=1)`` (HERO's CLIP loader at 1 fps,
                       fp16 on the GPU, stored float32) and the fork's PANNs script (librosa, 2-s windows,
                       remainder dropped), audio track en > hin > hi.
``soccernet_tf2_vandd`` SoccerNet's ``*_ResNET_TF2_PCA512.npy`` (FrameCV frames at 2 fps, Keras ResNet-152 v1
                       with the channel-order quirk, the published average and PCA) and V&D's VGGish rows
                       (per-chunk resampling, conv4_2 + GAP, their row handling), stored float64.
=====================  ==============================================================================

Deliberate deviations from the references (all documented in the README):
CLIP runs in fp16 on CUDA, as the references did, but in fp32 on the CPU (fp16 on the CPU is
slow and does not round like a GPU either; HERO's SlowFast and PANNs ran in fp32 everywhere); HERO reads the video
stream's duration where this reads the container's (the row count of SlowFast and HERO's
short-video rule); PySlowFast skipped Caffe2 blobs it could not match silently, the converter
refuses them.
"""
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple

from highlight_plugin.engine.errors import ConfigError
from ..media.specs import AudioSpec, FrameSpec

CUSTOM = 'custom'  # features built from options that match no recipe


@dataclass(frozen=True)
class FeatureRecipe:
    """How one feature is computed.

    Args:
        extractor: registered extractor name ('clip', 'slowfast', 'panns').
        clip_len: seconds per row.
        options: constructor arguments of the extractor that define the recipe (network variant,
            frame sampling / audio method, normalisation, precision, tail rule, ...).
        dtype: stored dtype of the rows.
        drop_partial: the trailing partial clip is dropped (else the extractor's tail rule applies).
        stream: the :class:`~.base.FrameSpec` / :class:`~.base.AudioSpec` the recipe reads (its extractor's
            ``spec``), known before the network is built: a video's decode can start while it is
            (:class:`highlight_plugin.apis.extract.ReadAhead`).
    """
    extractor: str
    clip_len: float
    options: Dict[str, object] = field(default_factory=dict)
    dtype: str = 'float32'
    drop_partial: bool = False
    stream: Optional[object] = None


@dataclass(frozen=True)
class Recipe:
    name: str
    layout: str
    features: Dict[str, FeatureRecipe]
    text: Optional[Dict[str, object]] = None  # CLIPTextEncoder options of the query features
    audio_languages: Tuple[str, ...] = ()
    reference: str = ''

    @property
    def default_features(self) -> Tuple[str, ...]:
        return tuple(self.features)


# OpenAI CLIP ViT-B/32 as HERO runs it: /255, CLIP mean / (std + 1e-8), QuickGELU, fp16 on the GPU
_HERO_CLIP = dict(model_name='ViT-B-32-quickgelu', sampling='hero', normalise='hero', precision='fp16_cuda')
_LIBROSA_PANNS = dict(method='librosa')
_PANNS_AUDIO = AudioSpec(32000, 'librosa')


def _hero_frames(clip_len):
    return FrameSpec(1.0 / clip_len, 224, sampling='hero')  # HERO's 224-px frames, one per clip


RECIPES: Dict[str, Recipe] = {
    'hero_qvhighlights': Recipe(
        'hero_qvhighlights', 'qvhighlights',
        features=dict(
            clip=FeatureRecipe('clip', 2.0, dict(_HERO_CLIP), dtype='float16', stream=_hero_frames(2.0)),
            slowfast=FeatureRecipe('slowfast', 2.0, dict(variant='pyslowfast_8x8', sampling='hero_dense'),
                                   dtype='float16', stream=FrameSpec(30.0, 224, sampling='hero_dense')),
            panns=FeatureRecipe('panns', 2.0, dict(_LIBROSA_PANNS), drop_partial=True, stream=_PANNS_AUDIO)),
        text=dict(model_name='ViT-B-32-quickgelu', max_tokens=32, pooler='projected', precision='fp16_cuda'),
        reference='HERO_Video_Feature_Extractor clip/ + slowfast/ (per Moment-DETR), UMT#22 PANNs, '
                  'moment_detr run_on_video text'),
    'hero_qvhighlights_mmaction': Recipe(
        'hero_qvhighlights_mmaction', 'qvhighlights',
        features=dict(
            clip=FeatureRecipe('clip', 2.0, dict(_HERO_CLIP), dtype='float16', stream=_hero_frames(2.0)),
            slowfast=FeatureRecipe('slowfast', 2.0, dict(variant='mmaction_4x16', sampling='centre'),
                                   stream=FrameSpec(16.0, 224, sampling='centre')),
            panns=FeatureRecipe('panns', 2.0, dict(_LIBROSA_PANNS), drop_partial=True, stream=_PANNS_AUDIO)),
        text=dict(model_name='ViT-B-32-quickgelu', max_tokens=32, pooler='projected', precision='fp16_cuda'),
        reference='hero_qvhighlights with mmaction2 SlowFast R50 4x16x1 (Kinetics-400)'),
    'univtg_hotstar': Recipe(
        'univtg_hotstar', 'hotstar',
        features=dict(
            clip=FeatureRecipe('clip', 1.0, dict(_HERO_CLIP), stream=_hero_frames(1.0)),
            panns=FeatureRecipe('panns', 2.0, dict(_LIBROSA_PANNS), drop_partial=True, stream=_PANNS_AUDIO)),
        audio_languages=('en', 'eng', 'hin', 'hi'),
        reference='UniVTG run_on_video vid2clip(clip_len=1); MinliangLin/UMT audio/extract_audio_feature.py'),
    'soccernet_tf2_vandd': Recipe(
        'soccernet_tf2_vandd', 'soccernet',
        features=dict(
            resnet=FeatureRecipe('soccernet_resnet', 0.5, dict(fix_channel_order=False),
                                 stream=FrameSpec(2.0, 224, sampling='soccernet')),
            vggish=FeatureRecipe('vggish', 0.5, dict(audio_method='vandd', reference_quirks=True), dtype='float64',
                                 stream=AudioSpec(16000, 'vandd'))),
        reference='sn-spotting Features/ExtractResNET_TF2.py (FrameCV, Keras ResNet-152) + ReduceFeaturesPCA.py; '
                  'V&D audio-features-extraction extract_features.py (VGGish conv4_2)'),
}


# features models were trained on that no public code reproduces: such a model reads only the published files
UNREPRODUCIBLE = {
    'soccernet_v1_2018': "SoccerNet-v1's ResNET_PCA512.npy (the 2018 extraction: no public recipe or PCA)",
}


def get_recipe(name: str) -> Recipe:
    if name in UNREPRODUCIBLE:
        raise ConfigError(f'the model was trained on {UNREPRODUCIBLE[name]}, which no extractor reproduces: pass '
                          f'the published feature files with --features DIR')
    if name not in RECIPES:
        raise ConfigError(f'unknown feature recipe {name!r} (choose from {", ".join(RECIPES)})')
    return RECIPES[name]
