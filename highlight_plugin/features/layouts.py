"""Output layouts: where each feature of a video goes, under which key, at which clip length.

File names and keys: docs/datasets.md §2.2 (QVHighlights), §3.1 (Hotstar), §7.2 (SoccerNet).
Every file is written atomically (temporary file in the same directory,
then ``os.replace``), so a file that exists is complete and a rerun can skip it.
"""
import io
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Dict, Optional, Tuple

import numpy as np

from highlight_plugin.engine.errors import ConfigError
from highlight_plugin.engine.fileio import atomic_write


@dataclass(frozen=True)
class Output:
    """One feature file: ``pattern`` (relative path with ``{vid}``, ``{game}``, ``{half}``
    fields), the ``.npz`` key (None: a plain ``.npy``) and the stored dtype."""
    pattern: str
    key: Optional[str] = None
    dtype: str = 'float32'


@dataclass(frozen=True)
class Layout:
    """A dataset's feature layout and its extraction defaults."""
    name: str
    outputs: Dict[str, Output]
    clip_len: Dict[str, float]
    default_features: Tuple[str, ...]
    drop_partial: Tuple[str, ...] = ()
    audio_languages: Tuple[str, ...] = ()
    text: Optional[Output] = None  # per-query CLIP text features
    same_length: bool = False  # truncate every feature to the shortest (SoccerNet: audio to video rows)
    recipe: Optional[str] = None  # default feature recipe (recipes.RECIPES): how its published features were made
    # feature -> its extractor: registry type (default: the feature's name) and constructor defaults
    extractors: Dict[str, dict] = field(default_factory=dict)

    def fields(self, video: Path, root: Optional[Path] = None) -> Dict[str, str]:
        """Format fields of a video: ``vid`` = file stem, ``game`` = its directory relative
        to the input ``root`` (SoccerNet ``league/season/game``), ``half`` = the stem up to
        the first ``_`` (``1_224p.mkv`` -> ``1``)."""
        video = Path(video)
        parent = video.parent
        try:
            game = parent.relative_to(root).as_posix() if root is not None else '.'
        except ValueError:
            game = '.'
        game = parent.name if game == '.' else game
        return dict(vid=video.stem, game=game, half=video.stem.split('_')[0])

    def path(self, out_dir: Path, feature: str, fields: Dict[str, str]) -> Path:
        if feature not in self.outputs:
            raise ConfigError(f'layout {self.name!r} has no output for feature {feature!r} '
                              f'(known: {", ".join(self.outputs)})')
        return Path(out_dir) / self.outputs[feature].pattern.format(**fields)

    def write(self, out_dir: Path, feature: str, fields: Dict[str, str], array: np.ndarray,
              dtype: Optional[str] = None) -> Path:
        """Write one feature file; ``dtype`` (a recipe's stored precision) overrides the output's."""
        out = self.outputs[feature]
        path = self.path(out_dir, feature, fields)
        save_array(path, np.asarray(array, dtype=dtype or out.dtype), out.key)
        return path

    def with_patterns(self, patterns: Dict[str, str]) -> 'Layout':
        """A copy with some output patterns replaced (``{'resnet': '{game}/{half}_X.npy'}``)."""
        outputs = dict(self.outputs)
        for name, pattern in patterns.items():
            if name not in outputs:
                raise ConfigError(f'--output-pattern: unknown feature {name!r} for layout {self.name}')
            outputs[name] = replace(outputs[name], pattern=pattern,
                                    key=outputs[name].key if pattern.endswith('.npz') else None)
        return replace(self, outputs=outputs)


def save_array(path: Path, array=None, key: Optional[str] = None, arrays: Optional[dict] = None):
    """Write ``array`` as ``.npy`` (``key`` None) or as ``.npz`` member ``key`` (or the dict
    ``arrays``), atomically: temp file in the target directory, fsync, rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    if arrays is not None:
        np.savez(buf, **arrays)
    elif key is None:
        np.save(buf, array)
    else:
        np.savez(buf, **{key: array})
    with atomic_write(str(path)) as f:
        f.write(buf.getbuffer())


LAYOUTS = {
    'qvhighlights': Layout(
        'qvhighlights',
        outputs=dict(clip=Output('clip_features/{vid}.npz', 'features'),
                     slowfast=Output('slowfast_features/{vid}.npz', 'features'),
                     panns=Output('pann_features/{vid}.npy'),
                     resnet=Output('resnet_features/{vid}.npz', 'features'),
                     vggish=Output('vggish_features/{vid}.npy')),
        clip_len=dict(clip=2.0, slowfast=2.0, panns=2.0, resnet=2.0, vggish=2.0),
        default_features=('clip', 'slowfast', 'panns'),
        text=Output('clip_text_features/qid{qid}.npz'),
        recipe='hero_qvhighlights'),
    'hotstar': Layout(
        'hotstar',
        outputs=dict(clip=Output('clip_features/{vid}.npz', 'features'),
                     panns=Output('panns_features/{vid}.npz', 'arr_0')),
        clip_len=dict(clip=1.0, panns=2.0),
        default_features=('clip', 'panns'),
        drop_partial=('panns',),  # the fork drops the trailing remainder of the audio
        audio_languages=('en', 'eng', 'hin', 'hi'),
        recipe='univtg_hotstar'),
    'soccernet': Layout(
        'soccernet',
        outputs=dict(resnet=Output('{game}/{half}_ResNET_TF2_PCA512.npy'),
                     vggish=Output('{game}/{half}_VGGish.npy', dtype='float64'),
                     clip=Output('{game}/{half}_CLIP.npy'),
                     panns=Output('{game}/{half}_PANNs.npy')),
        clip_len=dict(resnet=0.5, vggish=0.5, clip=0.5, panns=0.5),
        default_features=('resnet', 'vggish'),
        same_length=True,
        recipe='soccernet_tf2_vandd',
        # the layout's own extractors (``--recipe custom``, or a recipe setting changed): SoccerNet's frames and
        # Keras ResNet-152 v1, V&D's audio reading with every VGGish row in place
        extractors=dict(resnet=dict(type='SoccerNetResNetExtractor'), vggish=dict(audio_method='vandd'))),
}


def get_layout(name: str) -> Layout:
    if name not in LAYOUTS:
        raise ConfigError(f'unknown layout {name!r} (choose from {", ".join(LAYOUTS)})')
    return LAYOUTS[name]
