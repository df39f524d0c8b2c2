"""The feature-extractor interface and its registry.

An extractor turns a stream of decoded media into one feature row per clip. It declares
the stream it needs (:class:`FrameSpec` or :class:`AudioSpec`) and how many stream units
(frames or samples) make one row; the pipeline decodes the stream once per distinct spec,
cuts it into rows and calls :meth:`BaseExtractor.forward_rows` on batches of rows. The
network is built once in ``__init__`` and reused for every video.
"""
from pathlib import Path
from typing import Optional

import numpy as np
import torch
from mmengine.registry import Registry

from highlight_plugin.engine.errors import CheckpointError
from highlight_plugin.media.specs import AudioSpec, FrameSpec  # noqa: F401  (the streams an extractor reads)

EXTRACTORS = Registry('highlight feature extractor')


class BaseExtractor:
    """Base class of the feature extractors.

    Args:
        clip_len (float): seconds covered by one output row.
        device (str): torch device of the network.
        batch_size (int): rows per forward pass.

    Subclasses set ``name`` (registry key and default output name), ``dim`` (feature
    size), build their network in ``__init__`` and implement :attr:`spec`,
    :attr:`units_per_row` and :meth:`forward_rows`.
    """
    name = ''
    dim = 0

    def __init__(self, clip_len: float, device: str = 'cpu', batch_size: int = 32):
        self.clip_len = float(clip_len)
        self.device = torch.device(device)
        self.batch_size = int(batch_size)

    @property
    def spec(self):
        """The :class:`FrameSpec` or :class:`AudioSpec` this extractor consumes."""
        raise NotImplementedError

    @property
    def units_per_row(self) -> int:
        """Frames (video) or samples (audio) that make one row."""
        raise NotImplementedError

    @property
    def modality(self) -> str:
        return 'audio' if isinstance(self.spec, AudioSpec) else 'video'

    def forward_rows(self, rows: np.ndarray) -> np.ndarray:
        """Features ``(B, dim)`` float32 of a batch of rows: ``(B, units, H, W, 3)`` uint8
        frames or ``(B, units)`` float32 samples."""
        raise NotImplementedError

    def prepare(self, info) -> None:
        """Called with the :class:`~.media.MediaInfo` of each video before its rows (recipes whose frame
        picking depends on the source, e.g. its frame rate)."""

    def tail_row(self, rest: np.ndarray) -> Optional[np.ndarray]:
        """The last row made of the ``rest`` (fewer than :attr:`units_per_row`) units at the end of a video,
        or None to drop them. Default: kept when more than half a row, padded by repeating the last frame
        (video) or with silence (audio)."""
        if 2 * len(rest) <= self.units_per_row:
            return None
        if self.modality == 'video':
            return np.concatenate([rest, np.repeat(rest[-1:], self.units_per_row - len(rest), axis=0)])
        return np.concatenate([rest, np.zeros((self.units_per_row - len(rest),) + rest.shape[1:], rest.dtype)])

    def max_rows(self, info) -> Optional[int]:
        """At most this many rows for the video of ``info`` (None: no limit)."""
        return None

    @property
    def network(self) -> str:
        """The network's name, as recorded with the features (provenance)."""
        return type(getattr(self, 'model', self)).__name__

    def finish_rows(self, rows: np.ndarray, video_rows: Optional[int] = None) -> np.ndarray:
        """All the rows of a video, once extracted; ``video_rows``: how many rows the video features extracted
        with them have (None without). A recipe that post-processes whole videos overrides this."""
        return rows

    def __repr__(self):
        return f'{type(self).__name__}(clip_len={self.clip_len}, device={self.device})'


class CentreFrameExtractor(BaseExtractor):
    """An image network applied to the one frame at the centre of each clip.

    Subclasses build ``self.model``, then call :meth:`set_input` with the square input size and the
    per-channel normalisation (in [0, 1] units) their network was trained with. ``sampling`` names
    the frame rule (``FrameSpec.sampling``).
    """
    sampling = 'centre'

    def set_input(self, size: int, mean, std):
        self.size = int(size)
        self.mean = torch.tensor(mean, device=self.device).view(1, 3, 1, 1) * 255
        self.std = torch.tensor(std, device=self.device).view(1, 3, 1, 1) * 255

    @property
    def spec(self):
        return FrameSpec(fps=1.0 / self.clip_len, size=self.size, sampling=self.sampling)

    @property
    def units_per_row(self):
        return 1

    def normalised(self, rows: np.ndarray) -> torch.Tensor:
        """(B, 1, H, W, 3) uint8 frames -> (B, 3, H, W) normalised float tensor."""
        x = torch.from_numpy(np.ascontiguousarray(rows[:, 0])).to(self.device)
        return (x.permute(0, 3, 1, 2).float() - self.mean) / self.std


def resolve_checkpoint(path: str) -> Path:
    """A local path as is; an ``http(s)://`` URL is downloaded once (explicitly asked for)
    into torch's hub cache (``$TORCH_HOME/hub/checkpoints``) and that file returned."""
    if not str(path).startswith(('http://', 'https://')):
        return Path(path)
    from urllib.parse import unquote, urlparse
    cache = Path(torch.hub.get_dir()) / 'checkpoints'
    local = cache / unquote(Path(urlparse(str(path)).path).name)
    if not local.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        try:
            torch.hub.download_url_to_file(str(path), str(local), progress=True)
        except Exception as e:  # noqa: BLE001 - offline, HTTP error, ...
            raise CheckpointError(f'cannot download {path} ({e}); download it by hand and pass the local path') from e
    return local


def numpy_safe_globals() -> list:
    """numpy arrays, dtypes and scalars for ``torch.load(weights_only=True)``: published checkpoints keep numpy
    side data (the PANNs trainer's ``sampler`` state, numpy scalars in mmaction2's ``meta``). They are data;
    everything else stays refused. Both numpy 1.x (``numpy.core``) and 2.x (``numpy._core``) names."""
    import numpy as np
    reconstruct, scalar = np.zeros(0).__reduce__()[0], np.float64(0).__reduce__()[0]
    names = [(fn, f'{core}.multiarray.{fn.__name__}') for fn in (reconstruct, scalar)
             for core in ('numpy.core', 'numpy._core')]
    dtypes = [getattr(np.dtypes, n) for n in dir(np.dtypes) if n.endswith('DType')] if hasattr(np, 'dtypes') else []
    return names + [np.ndarray, np.dtype] + dtypes


def load_state_dict(path: Optional[str], what: str, how_to_get: str, prefixes=()) -> dict:
    """Load a state dict from a local file (or a URL, see :func:`resolve_checkpoint`):
    ``.safetensors``, else ``torch.load(weights_only=True)``.

    Unwraps the usual containers (``state_dict``, ``model``, ``module``) and strips the
    first matching key prefix in ``prefixes``.

    Raises:
        CheckpointError: the file is missing (the message says how to get it) or unreadable.
    """
    p = resolve_checkpoint(path)
    if not p.is_file():
        raise CheckpointError(f'{what} weights not found at {p}. {how_to_get}')
    try:
        if p.suffix == '.safetensors':
            from safetensors.torch import load_file
            ckpt = load_file(str(p))
        else:
            with torch.serialization.safe_globals(numpy_safe_globals()):
                ckpt = torch.load(p, map_location='cpu', weights_only=True)
    except Exception as e:  # noqa: BLE001 - any unpickling failure is a bad checkpoint
        raise CheckpointError(f'{p}: cannot load {what} weights safely ({type(e).__name__}: {e})') from e
    for key in ('state_dict', 'model', 'module'):
        if isinstance(ckpt, dict) and isinstance(ckpt.get(key), dict):
            ckpt = ckpt[key]
    if not isinstance(ckpt, dict) or not all(isinstance(v, torch.Tensor) for v in ckpt.values()):
        raise CheckpointError(f'{p}: not a {what} state dict (expected a mapping of tensors)')
    for prefix in prefixes:
        if any(k.startswith(prefix) for k in ckpt):
            ckpt = {k[len(prefix):]: v for k, v in ckpt.items() if k.startswith(prefix)}
            break
    return ckpt


def load_weights(module: torch.nn.Module, path: Optional[str], what: str, how_to_get: str,
                 prefixes=(), strict: bool = True, ignore=()) -> torch.nn.Module:
    """Load ``path`` into ``module`` (see :func:`load_state_dict`); ``path`` None or
    ``'none'`` keeps the random initialisation. Mismatched keys raise CheckpointError."""
    if path is None or str(path).lower() == 'none':
        return module
    state = load_state_dict(path, what, how_to_get, prefixes)
    state = {k: v for k, v in state.items() if not any(k.startswith(i) for i in ignore)}
    try:
        missing, unexpected = module.load_state_dict(state, strict=False)
    except RuntimeError as e:  # shape mismatch
        raise CheckpointError(f'{path}: does not match the {what} network ({e})') from e
    if strict and (missing or unexpected):
        raise CheckpointError(f'{path}: does not match the {what} network '
                              f'(missing {missing[:5]}, unexpected {unexpected[:5]})')
    return module


def build_extractor(name: str, clip_len: float, **kwargs) -> BaseExtractor:
    """Build the registered extractor whose ``name`` attribute is ``name`` ('clip', 'panns',
    'slowfast', 'resnet', 'vggish'), or a registry type name ('CLIPExtractor')."""
    for type_name, cls in EXTRACTORS.module_dict.items():
        if name in (cls.name, type_name):
            return cls(clip_len=clip_len, **kwargs)
    from highlight_plugin.engine.errors import ConfigError
    known = sorted(cls.name for cls in EXTRACTORS.module_dict.values())
    raise ConfigError(f'unknown feature extractor {name!r} (known: {", ".join(known)})')
