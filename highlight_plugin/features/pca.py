"""A PCA applied to every video's raw features: SoccerNet's published one, or one fitted once on training videos.

``transform(x) = (x - mean) @ components.T``, divided by ``scale`` when the PCA whitens.

* SoccerNet's published PCA (``Features/pca_512_TF2.pkl`` + ``average_512_TF2.pkl`` of sn-spotting, what every
  ``*_ResNET_TF2_PCA512.npy`` was made with) is ``pca.transform(x - average)`` with a scikit-learn ``PCA``:
  ``average`` is (2048,), subtracted **before** the projection, so ``mean = average + pca.mean_``. The pickles are
  read as data (never unpickled as code): pass them directly (``--pca pca_512_TF2.pkl,average_512_TF2.pkl``) or
  convert once (``tools/convert_weights.py soccernet-pca pca_512_TF2.pkl average_512_TF2.pkl --out pca512.npz``).
* ``--fit-pca`` fits one on the user's training videos instead (:func:`fit_pca_on_videos`): only for features
  nobody published a PCA for (e.g. with the channel-order fix); models trained on SoccerNet's features need the
  published PCA.

``.npz`` keys: ``mean`` (D,), ``components`` (K, D), optional ``scale`` (K,) and ``features`` (which raw features
the PCA was fitted on, checked against the extractor). Plain arrays, so no pickle is ever loaded. Files with an
``average`` key (K values subtracted *after* the projection: the old, wrong reading of SoccerNet's average) are
refused.
"""
from pathlib import Path
from typing import Optional

import numpy as np

from highlight_plugin.engine.errors import CheckpointError, ConfigError, DataError
from ..weights import WEIGHT_CONVERTERS, load_pickle
from .layouts import save_array

# raw features of SoccerNet's published PCA: Keras ResNet-152 v1 on RGB-in-BGR-slots frames
SOCCERNET_FEATURES = 'keras-resnet152-v1/caffe-rgb-quirk'
SKLEARN_PCA = 'sklearn.decomposition.'  # sklearn.decomposition._pca.PCA (>= 0.22) or .pca.PCA (older)


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

    def pca(self, n_components: int = 512, features: Optional[str] = None) -> 'PCA':
        """Principal axes of the covariance, largest variance first; each axis signed so its
        largest-magnitude coefficient is positive (deterministic, like scikit-learn's)."""
        if self.n <= n_components:
            raise DataError(f'PCA to {n_components} dimensions needs more than {n_components} feature rows, '
                            f'got {self.n}; extract more training videos')
        mean = self.sum / self.n
        cov = (self.outer - self.n * np.outer(mean, mean)) / (self.n - 1)
        from scipy.linalg import eigh
        d = len(cov)
        _, vectors = eigh(cov, subset_by_index=[d - n_components, d - 1])  # the largest only, ascending
        components = vectors[:, ::-1].T
        signs = np.sign(components[np.arange(n_components), np.abs(components).argmax(1)])
        return PCA(mean, components * signs[:, None], features=features)


class PCA:
    """``transform(x) = (x - mean) @ components.T [/ scale]``; ``features`` names the raw features it was fitted on."""

    def __init__(self, mean: np.ndarray, components: np.ndarray, scale: Optional[np.ndarray] = None,
                 features: Optional[str] = None):
        self.mean = np.asarray(mean, np.float64)
        self.components = np.asarray(components, np.float64)
        self.scale = None if scale is None else np.asarray(scale, np.float64)
        self.features = features

    @property
    def in_dim(self) -> int:
        return self.components.shape[1]

    @property
    def out_dim(self) -> int:
        return self.components.shape[0]

    @classmethod
    def fit(cls, rows: np.ndarray, n_components: int = 512, features: Optional[str] = None) -> 'PCA':
        """Fit on ``(N, D)`` rows of the raw ``features`` (see :class:`MomentAccumulator` for streaming)."""
        acc = MomentAccumulator()
        acc.update(rows)
        return acc.pca(n_components, features)

    @classmethod
    def from_sklearn(cls, pca_pickle: str, average_pickle: Optional[str] = None,
                     features: Optional[str] = SOCCERNET_FEATURES) -> 'PCA':
        """A scikit-learn ``PCA`` pickle (and SoccerNet's ``average`` pickle, subtracted before it), read as data."""
        rec = load_pickle(pca_pickle, records=(SKLEARN_PCA,))
        if not getattr(rec, 'pickled_class', '').startswith(SKLEARN_PCA) or not isinstance(rec.state, dict):
            raise CheckpointError(f'{pca_pickle}: not a scikit-learn PCA pickle (found {rec!r})')
        try:
            mean, components = np.asarray(rec['mean_'], np.float64), np.asarray(rec['components_'], np.float64)
            variance = rec.get('explained_variance_')
        except KeyError as e:
            raise CheckpointError(f'{pca_pickle}: the PCA has no {e} (was it fitted?)') from e
        scale = None
        if rec.get('whiten', False):
            scale = np.sqrt(np.asarray(variance, np.float64))
            scale[scale < np.finfo(np.float64).eps] = np.finfo(np.float64).eps  # as sklearn's transform
        if average_pickle:
            average = load_pickle(average_pickle)
            if not isinstance(average, np.ndarray) or average.shape != mean.shape:
                raise CheckpointError(f'{average_pickle}: expected a numpy array of shape {mean.shape} (the average '
                                      f'subtracted before the PCA), got {getattr(average, "shape", type(average))}')
            mean = mean + np.asarray(average, np.float64)
        elif np.abs(mean).max() < 1e-3 * max(1.0, float(np.abs(components).max())):
            raise CheckpointError(f'{pca_pickle}: this PCA was fitted on centred features (its mean_ is ~0): pass '
                                  f'the average subtracted before it too, e.g. --pca {pca_pickle},average_512_TF2.pkl')
        return cls(mean, components, scale, features)

    @classmethod
    def load(cls, path: str, features: Optional[str] = None) -> 'PCA':
        """A PCA file: ``.npz`` (:meth:`save`), or ``PCA.pkl[,AVERAGE.pkl]`` (scikit-learn pickles, read as data).

        ``features``: the extractor's raw features; a PCA recorded as fitted on other features is refused, and so
        is an unrecorded one (made by ``--fit-pca`` before the record existed: torchvision ResNet-152 features)
        unless ``features`` starts with 'torchvision'.
        """
        parts = [s for s in str(path).split(',') if s]
        for part in parts:
            if not Path(part).is_file():
                raise CheckpointError(
                    f'PCA file {part} not found; use SoccerNet\'s published pca_512_TF2.pkl and average_512_TF2.pkl '
                    f'(sn-spotting Features/), or fit one on training videos with tools/extract_features.py '
                    f'TRAIN_VIDEOS --layout soccernet --fit-pca --pca {part}')
        if parts and all(p.endswith('.pkl') for p in parts) and len(parts) <= 2:
            pca = cls.from_sklearn(*parts)
        elif len(parts) == 1:
            pca = cls._load_npz(Path(parts[0]))
        else:
            raise CheckpointError(f'--pca {path}: expected an .npz file or PCA.pkl[,AVERAGE.pkl]')
        if features is not None:
            if pca.features is None and not features.startswith('torchvision'):
                raise CheckpointError(
                    f'{path}: this PCA was fitted by an older --fit-pca on torchvision ResNet-152 features, not on '
                    f'{features}; use SoccerNet\'s published PCA or fit it again with --fit-pca')
            if pca.features is not None and pca.features != features:
                raise CheckpointError(f'{path}: this PCA was fitted on {pca.features} features, the extractor gives '
                                      f'{features}')
        return pca

    @classmethod
    def _load_npz(cls, p: Path) -> 'PCA':
        try:
            with np.load(p, allow_pickle=False) as z:
                if 'average' in z:
                    raise CheckpointError(
                        f'{p}: has an "average" of {z["average"].shape[0]} values subtracted after the projection '
                        f'(an old, wrong reading of SoccerNet\'s average_512_TF2, which is subtracted before it); '
                        f'convert SoccerNet\'s pickles again with tools/convert_weights.py soccernet-pca')
                pca = cls(z['mean'], z['components'], z['scale'] if 'scale' in z else None,
                          str(z['features']) if 'features' in z else None)
        except (KeyError, ValueError, OSError) as e:
            raise CheckpointError(f'{p}: not a PCA file (needs arrays "mean", "components"): {e}') from e
        if pca.components.ndim != 2 or pca.mean.shape != (pca.in_dim,):
            raise CheckpointError(f'{p}: mean {pca.mean.shape} does not match components {pca.components.shape}')
        if pca.scale is not None and pca.scale.shape != (pca.out_dim,):
            raise CheckpointError(f'{p}: scale {pca.scale.shape} does not match components {pca.components.shape}')
        return pca

    def save(self, path: str):
        arrays = dict(mean=self.mean, components=self.components)
        if self.scale is not None:
            arrays['scale'] = self.scale
        if self.features is not None:
            arrays['features'] = np.array(self.features)
        save_array(Path(path), arrays=arrays)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if x.shape[-1] != self.in_dim:
            raise ConfigError(f'PCA expects {self.in_dim}-d features, got {x.shape[-1]}-d')
        y = (np.asarray(x, np.float64) - self.mean) @ self.components.T
        return y / self.scale if self.scale is not None else y


@WEIGHT_CONVERTERS.register_module(name='soccernet-pca')
def convert_soccernet_pca(inputs, out):
    """SoccerNet's pca_512_TF2.pkl [average_512_TF2.pkl] (scikit-learn PCA + average, read as data) -> PCA .npz"""
    if not 1 <= len(inputs) <= 2:
        raise ConfigError('soccernet-pca takes the PCA pickle and, optionally, the average pickle')
    if not str(out).endswith('.npz'):
        raise ConfigError(f'--out {out}: the PCA is written as an .npz file')
    PCA.from_sklearn(*inputs).save(out)
    return str(out)
