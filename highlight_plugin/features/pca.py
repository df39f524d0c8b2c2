"""A PCA fitted once (on training videos), saved as ``.npz`` and re-applied to every video.

File keys: ``mean`` (D,), ``components`` (K, D) and optional ``average`` (K,) subtracted
after the projection (the SoccerNet ``average_512_TF2`` convention). Plain arrays, so no
pickle is ever loaded.
"""
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
from tqdm import tqdm

from highlight_plugin.engine.errors import CheckpointError, ConfigError, DataError
from .layouts import save_array


class MomentAccumulator:
    """Running count, sum and sum of outer products of feature rows (float64), so a PCA is
    fitted on every row of every training video in O(D^2) memory."""

    def __init__(self):
        self.n, self.sum, self.outer = 0, None, None

    def update(self, x: np.ndarray):
        x = np.asarray(x, np.float64)
        if self.sum is None:
            self.sum, self.outer = np.zeros(x.shape[1]), np.zeros((x.shape[1], x.shape[1]))
        self.n += len(x)
        self.sum += x.sum(0)
        self.outer += x.T @ x

    def pca(self, n_components: int = 512) -> 'PCA':
        """Principal axes of the covariance, largest variance first; each axis signed so its
        largest-magnitude coefficient is positive (deterministic, like scikit-learn's)."""
        if self.n <= n_components:
            raise DataError(f'PCA to {n_components} dimensions needs more than {n_components} feature rows, '
                            f'got {self.n}; extract more training videos')
        mean = self.sum / self.n
        cov = (self.outer - self.n * np.outer(mean, mean)) / (self.n - 1)
        values, vectors = np.linalg.eigh(cov)
        components = vectors[:, np.argsort(values)[::-1][:n_components]].T
        signs = np.sign(components[np.arange(n_components), np.abs(components).argmax(1)])
        return PCA(mean, components * signs[:, None])


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
    def fit(cls, features: np.ndarray, n_components: int = 512) -> 'PCA':
        """Fit on ``(N, D)`` features (see :class:`MomentAccumulator` for streaming)."""
        acc = MomentAccumulator()
        acc.update(features)
        return acc.pca(n_components)

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
                      device: str = 'cpu', checkpoint: Optional[str] = None, random_init: bool = False,
                      batch_size: int = 32, clip_len: float = 0.5, extractor=None,
                      backend: str = 'ffmpeg') -> PCA:
    """Extract raw ResNet-152 features of ``videos`` (training videos), fit the PCA on all
    their rows (streaming moments) and save it to ``out_path``.
    ``extractor``: an already built :class:`ResNetExtractor` without PCA (else one is built);
    ``backend``: the frame decoder ('ffmpeg' or 'decord')."""
    from .pipeline import extract
    from .resnet import ResNetExtractor
    if not out_path:
        raise ConfigError('--fit-pca needs --pca PATH to save the fitted PCA')
    if extractor is None and checkpoint is None and not random_init:
        raise CheckpointError('--fit-pca needs --resnet-checkpoint (or --random-init)')
    ex = extractor or ResNetExtractor(clip_len, device=device, batch_size=batch_size, checkpoint=checkpoint)
    if ex.pca is not None:
        raise ConfigError('fit the PCA on raw features: the extractor already applies a PCA')
    acc = MomentAccumulator()
    for v in tqdm(videos, desc='PCA videos', unit='video'):
        acc.update(extract(str(v), dict(resnet=ex), backend=backend).features['resnet'])
    pca = acc.pca(n_components)
    pca.save(out_path)
    return pca
