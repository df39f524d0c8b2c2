"""A PCA fitted once (on training videos), saved as ``.npz`` and re-applied to every video.

File keys: ``mean`` (D,), ``components`` (K, D) and optional ``average`` (K,) subtracted
after the projection (the SoccerNet ``average_512_TF2`` convention). Plain arrays, so no
pickle is ever loaded.
"""
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from highlight_plugin.engine.errors import CheckpointError, ConfigError, DataError
from .layouts import save_array


class PCA:
    """``transform(x) = (x - mean) @ components.T - average``."""

    def __init__(self, mean: np.ndarray, components: np.ndarray, average: Optional[np.ndarray] = None):
        self.mean = np.asarray(mean, np.float64)
        self.components = np.asarray(components, np.float64)
        self.average = None if average is None else np.asarray(average, np.float64)

    @property
    def in_dim(self) -> int:
        return self.components.shape[1]

    @property
    def out_dim(self) -> int:
        return self.components.shape[0]

    @classmethod
    def fit(cls, features: np.ndarray, n_components: int = 512, seed: int = 0) -> 'PCA':
        """Fit on ``(N, D)`` features (N >= n_components)."""
        from sklearn.decomposition import PCA as SkPCA
        if len(features) < n_components:
            raise DataError(f'PCA needs at least {n_components} feature rows, got {len(features)}; '
                            f'extract more training videos')
        sk = SkPCA(n_components, random_state=seed).fit(np.asarray(features, np.float64))
        return cls(sk.mean_, sk.components_)

    @classmethod
    def load(cls, path: str) -> 'PCA':
        p = Path(path)
        if not p.is_file():
            raise CheckpointError(f'PCA file {p} not found; fit one on training videos with '
                                  f'tools/extract_features.py TRAIN_VIDEOS --layout soccernet --fit-pca --pca {p}')
        try:
            with np.load(p, allow_pickle=False) as z:
                pca = cls(z['mean'], z['components'], z['average'] if 'average' in z else None)
        except (KeyError, ValueError, OSError) as e:
            raise CheckpointError(f'{p}: not a PCA file (needs arrays "mean", "components"): {e}') from e
        if pca.mean.shape != (pca.in_dim,):
            raise CheckpointError(f'{p}: mean {pca.mean.shape} does not match components {pca.components.shape}')
        return pca

    def save(self, path: str):
        arrays = dict(mean=self.mean, components=self.components)
        if self.average is not None:
            arrays['average'] = self.average
        save_array(Path(path), arrays=arrays)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if x.shape[-1] != self.in_dim:
            raise ConfigError(f'PCA expects {self.in_dim}-d features, got {x.shape[-1]}-d')
        y = (np.asarray(x, np.float64) - self.mean) @ self.components.T
        return y - self.average if self.average is not None else y


def fit_pca_on_videos(videos: Sequence[str], out_path: str, n_components: int = 512,
                      max_rows: int = 200_000, device: str = 'cpu', checkpoint: Optional[str] = None,
                      random_init: bool = False, batch_size: int = 32, clip_len: float = 0.5,
                      seed: int = 0, extractor=None) -> PCA:
    """Extract raw ResNet-152 features of ``videos`` (training videos), fit the PCA on at
    most ``max_rows`` rows (evenly subsampled per video) and save it to ``out_path``.
    ``extractor``: an already built :class:`ResNetExtractor` without PCA (else one is built)."""
    from .pipeline import extract
    from .resnet import ResNetExtractor
    if not out_path:
        raise ConfigError('--fit-pca needs --pca PATH to save the fitted PCA')
    if extractor is None and checkpoint is None and not random_init:
        raise CheckpointError('--fit-pca needs --resnet-checkpoint (or --random-init)')
    ex = extractor or ResNetExtractor(clip_len, device=device, batch_size=batch_size, checkpoint=checkpoint)
    if ex.pca is not None:
        raise ConfigError('fit the PCA on raw features: the extractor already applies a PCA')
    per_video = max(1, max_rows // max(1, len(videos)))
    rows = []
    for v in videos:
        feats = extract(str(v), dict(resnet=ex)).features['resnet']
        step = max(1, int(np.ceil(len(feats) / per_video)))
        rows.append(feats[::step])
    pca = PCA.fit(np.concatenate(rows), n_components, seed)
    pca.save(out_path)
    return pca
