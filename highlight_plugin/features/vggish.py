"""VGGish conv4_2 audio features (512-d per 0.5 s), the Vanderplaetse & Dupont SoccerNet
recipe (docs/datasets.md §7.2, docs/parity.md §6): mono 16 kHz, log-mel (25 ms window, 10 ms hop, 64 bands
125-7500 Hz, log offset 0.01), a 46x64 patch per 0.5-s chunk, the VGGish conv stack up to
``conv4/conv4_2`` and global average pooling. Not the 128-d VGGish embedding.

V&D's Keras model pools with ``MaxPooling2D(padding='same')``, which rounds up: 46x64 -> 23x32 -> 12x16 -> 6x8
at conv4_2 (``ceil_mode`` here). With ``audio_method='vandd'`` (the soccernet layout) the audio is read as
V&D's ``extract_features.py`` reads it (``media.soccernet.read_audio_vandd``: native rate, / 32768, channel mean,
each 0.5-s chunk resampled on its own, a partial last chunk dropped), and :meth:`VGGishExtractor.finish_rows`
reproduces what their loop does with the rows (``reference_quirks``, on in the soccernet layout):

* 45 minutes kept when the video has 5,400 rows, and the rows cut to the video's (not a defect);
* audio shorter than 30 s (1-59 chunks) raises: their last batch of 60 does not fit the array
  (``reference_quirks=False``: the rows are kept);
* with 60k + r chunks (k >= 1, 0 < r < 60) their last batch is written at rows 60(k-1)+r onward: the r last
  real rows land there, overwriting correct ones, and the embedding of an all-zero patch fills the 60-r rows
  after them (``reference_quirks=False``: every row in place).

Weights: V&D's Keras ``vggish_audioset_weights_without_fc2.h5`` (read with h5py, or converted once by
``tools/convert_weights.py keras-vggish``) or torchvggish's ``vggish-10086976.pth`` (same AudioSet weights).
"""
from typing import Optional

import numpy as np
import torch
from torch import nn

from highlight_plugin.engine.device import fp32_context
from highlight_plugin.engine.errors import CheckpointError, ConfigError, DataError
from ..media.specs import AudioSpec
from ..weights import WEIGHT_CONVERTERS, save_tensors
from ..weights.keras_h5 import keras_layer, read_keras_h5
from .base import EXTRACTORS, BaseExtractor, load_weights

HOW_TO_GET_VGGISH = (
    'Pass --vggish-checkpoint with a PyTorch state dict of the VGGish conv layers named '
    'features.{0,3,6,8,11,13}.{weight,bias} (e.g. vggish-10086976.pth of harritaylor/torchvggish, '
    'converted from the AudioSet TF release; its "embeddings.*" keys are ignored), V&D\'s Keras '
    'vggish_audioset_weights_without_fc2.h5 (or its conversion by tools/convert_weights.py keras-vggish), or "none".')
# Keras layer of each conv in VGGishConv.features (V&D's vggish.py names)
KERAS_LAYERS = {'conv1': 0, 'conv2': 3, 'conv3/conv3_1': 6, 'conv3/conv3_2': 8, 'conv4/conv4_1': 11,
                'conv4/conv4_2': 13}
# V&D's extract_features.py
VANDD_BATCH = 60  # chunks per predict() call
VANDD_MIN_ROWS = 60  # fewer chunks (30 s) raise there
VANDD_FULL_HALF = 5400  # video rows of a 45-minute half: the audio is cut to 45 minutes
SAMPLE_RATE = 16000
WINDOW, HOP, N_FFT = 400, 160, 512
N_MELS, FMIN, FMAX, LOG_OFFSET = 64, 125.0, 7500.0, 0.01


def _hz_to_mel(hz):
    return 1127.0 * np.log1p(np.asarray(hz, np.float64) / 700.0)  # HTK mel scale


def mel_matrix(n_mels: int = N_MELS, n_fft: int = N_FFT, sample_rate: int = SAMPLE_RATE,
               fmin: float = FMIN, fmax: float = FMAX) -> np.ndarray:
    """(n_fft // 2 + 1, n_mels) triangular filters, equally spaced on the HTK mel scale,
    with the DC bin zeroed (as VGGish's ``mel_features``)."""
    bins = _hz_to_mel(np.linspace(0, sample_rate / 2, n_fft // 2 + 1))
    edges = np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2)
    lower, centre, upper = edges[:-2], edges[1:-1], edges[2:]
    up = (bins[:, None] - lower) / (centre - lower)
    down = (upper - bins[:, None]) / (upper - centre)
    m = np.maximum(0.0, np.minimum(up, down))
    m[0] = 0.0
    return m


class VGGishConv(nn.Module):
    """VGGish convolutions up to conv4_2 (+ReLU); ``features`` indices match the common
    PyTorch port so its weights load unchanged. Pooling rounds up, as Keras' ``padding='same'``
    (the same as rounding down on torchvggish's 96x64 patches)."""

    def __init__(self):
        super().__init__()
        layers, c_in = [], 1
        for block in ((64,), (128,), (256, 256), (512, 512)):
            for c_out in block:
                layers += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(inplace=True)]
                c_in = c_out
            layers.append(nn.MaxPool2d(2, 2, ceil_mode=True))
        self.features = nn.Sequential(*layers[:-1])  # no pool4: stop at conv4_2

    def forward(self, x):  # (B, 1, frames, mels) -> (B, 512)
        return self.features(x).mean(dim=(2, 3))


def state_dict_from_keras(path: str) -> dict:
    """The :class:`VGGishConv` state dict of a Keras VGGish HDF5 weight file (other layers, e.g. fc1, ignored).
    Layers are found by V&D's names, else, as Keras' own ``load_weights`` does, by order: the file's six 3x3
    convolutions."""
    layers = read_keras_h5(path, 'Keras VGGish')
    names = list(KERAS_LAYERS)
    if any(n not in layers for n in names):
        convs = [n for n, w in layers.items() if getattr(w.get('kernel'), 'shape', ())[:2] == (3, 3)]
        names = convs if len(convs) == len(KERAS_LAYERS) else names  # else: the error names the missing layer
    state = {}
    for name, index in zip(names, KERAS_LAYERS.values()):
        conv = keras_layer(layers, name, ('kernel', 'bias'), path)
        state[f'features.{index}.weight'] = torch.from_numpy(np.ascontiguousarray(conv['kernel'].transpose(3, 2, 0, 1)))
        state[f'features.{index}.bias'] = torch.from_numpy(np.asarray(conv['bias']))
    return {k: v.float() for k, v in state.items()}


def build_vggish(checkpoint: Optional[str] = None) -> VGGishConv:
    """:class:`VGGishConv` with weights from a Keras ``.h5`` file or a PyTorch state dict (``None``/``'none'``:
    random weights)."""
    model = VGGishConv()
    if checkpoint is not None and str(checkpoint).endswith(('.h5', '.hdf5')):
        try:
            model.load_state_dict(state_dict_from_keras(checkpoint))
        except RuntimeError as e:
            raise CheckpointError(f'{checkpoint}: does not match the VGGish network ({e})') from e
        return model.eval()
    return load_weights(model, checkpoint, 'VGGish', HOW_TO_GET_VGGISH, ignore=('embeddings.', 'pproc.')).eval()


@WEIGHT_CONVERTERS.register_module(name='keras-vggish')
def convert_keras_vggish(inputs, out):
    """V&D's Keras vggish_audioset_weights_without_fc2.h5 -> VGGish conv state dict (features.*)"""
    if len(inputs) != 1:
        raise ConfigError('keras-vggish takes one input: the Keras .h5 weight file')
    return save_tensors(out, state_dict_from_keras(inputs[0]))


@EXTRACTORS.register_module()
class VGGishExtractor(BaseExtractor):
    """512-d VGGish conv4_2 features per ``clip_len`` (0.5 s) chunk of 16 kHz audio.

    Args:
        audio_method: how the audio is read (``AudioSpec.method``): 'ffmpeg' (one resampling pass) or 'vandd'
            (V&D's per-chunk reading, 0.5-s rows only).
        reference_quirks: reproduce V&D's handling of the rows (module doc; 0.5-s rows only).
    """
    name = 'vggish'
    dim = 512

    def __init__(self, clip_len: float, device: str = 'cpu', batch_size: int = 64,
                 checkpoint: Optional[str] = None, patch_frames: int = 46, model=None,
                 audio_method: str = 'ffmpeg', reference_quirks: bool = False):
        super().__init__(clip_len, device, batch_size)
        if (audio_method == 'vandd' or reference_quirks) and abs(self.clip_len - 0.5) > 1e-9:
            raise ConfigError(f'V&D\'s VGGish recipe has 0.5-s rows, not {self.clip_len:g} s (--clip-len)')
        self.audio_method = audio_method
        self.reference_quirks = bool(reference_quirks)
        self.patch_frames = int(patch_frames)
        self.checkpoint = checkpoint  # provenance
        self.model = (model or build_vggish(checkpoint)).to(self.device).eval()
        self.window = torch.hann_window(WINDOW, periodic=True, dtype=torch.float64, device=self.device)
        self.mel = torch.from_numpy(mel_matrix()).to(self.device)

    @property
    def spec(self):
        return AudioSpec(SAMPLE_RATE, self.audio_method)

    @property
    def units_per_row(self):
        return int(round(self.clip_len * SAMPLE_RATE))

    def log_mel(self, x: torch.Tensor) -> torch.Tensor:
        """(B, samples) -> (B, frames, 64) float64 log-mel, frames = 1 + (samples - 400) // 160."""
        frames = x.to(self.device).double().unfold(1, WINDOW, HOP) * self.window  # (B, frames, 400), as VGGish's
        spec = torch.fft.rfft(frames, n=N_FFT).abs()
        return torch.log(spec @ self.mel + LOG_OFFSET)

    @fp32_context()
    @torch.inference_mode()
    def embed(self, patches: torch.Tensor) -> np.ndarray:
        """(B, frames, 64) patches (any device) -> (B, 512) float32 features."""
        return self.model(patches[:, None].to(self.device).float()).float().cpu().numpy()

    @fp32_context()
    @torch.inference_mode()
    def forward_rows(self, rows):
        x = torch.from_numpy(np.ascontiguousarray(rows, dtype=np.float32)).to(self.device)
        patch = self.log_mel(x)[:, :self.patch_frames]
        if patch.shape[1] < self.patch_frames:  # clip_len shorter than the patch
            patch = nn.functional.pad(patch, (0, 0, 0, self.patch_frames - patch.shape[1]))
        return self.embed(patch)

    @torch.inference_mode()
    def finish_rows(self, rows: np.ndarray, video_rows: Optional[int] = None) -> np.ndarray:
        """V&D's handling of a half's rows (module doc): with the 'vandd' reading, 45 minutes kept for a 5,400-row
        video and the rows cut to the video's; with ``reference_quirks``, their short-audio failure and last-batch
        misalignment."""
        if self.audio_method != 'vandd' and not self.reference_quirks:
            return rows
        if video_rows == VANDD_FULL_HALF:
            rows = rows[:VANDD_FULL_HALF]
        total = len(rows)
        if self.reference_quirks:
            if 0 < total < VANDD_MIN_ROWS:
                raise DataError(f'{total} half-second audio chunks: V&D\'s VGGish extraction fails under 30 s '
                                f'(reference_quirks=False keeps them)')
            k, r = divmod(total, VANDD_BATCH)
            if k and r:  # their last batch (r real chunks, then zeros) is written at rows total-60 .. total-1
                rows = rows.copy()
                zero = self.embed(torch.zeros(1, self.patch_frames, N_MELS, device=self.device))
                rows[total - VANDD_BATCH:total - VANDD_BATCH + r] = rows[total - r:]
                rows[total - VANDD_BATCH + r:] = zero
        return rows[:video_rows] if video_rows is not None else rows
