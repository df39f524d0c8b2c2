"""VGGish conv4_2 audio features (512-d per 0.5 s), the Vanderplaetse & Dupont SoccerNet
recipe (spec datasets.md §7.2): mono 16 kHz, log-mel (25 ms window, 10 ms hop, 64 bands
125-7500 Hz, log offset 0.01), a 46x64 patch per 0.5-s chunk, the VGGish conv stack up to
``conv4/conv4_2`` and global average pooling. Not the 128-d VGGish embedding.
"""
from typing import Optional

import numpy as np
import torch
from torch import nn

from .base import EXTRACTORS, AudioSpec, BaseExtractor, load_weights

HOW_TO_GET_VGGISH = (
    'Pass --vggish-checkpoint with a PyTorch state dict of the VGGish conv layers named '
    'features.{0,3,6,8,11,13}.{weight,bias} (e.g. vggish-10086976.pth of harritaylor/torchvggish, '
    'converted from the AudioSet TF release; its "embeddings.*" keys are ignored), or "none".')
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
    return m.astype(np.float32)


class VGGishConv(nn.Module):
    """VGGish convolutions up to conv4_2 (+ReLU); ``features`` indices match the common
    PyTorch port so its weights load unchanged."""

    def __init__(self):
        super().__init__()
        layers, c_in = [], 1
        for block in ((64,), (128,), (256, 256), (512, 512)):
            for c_out in block:
                layers += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(inplace=True)]
                c_in = c_out
            layers.append(nn.MaxPool2d(2, 2))
        self.features = nn.Sequential(*layers[:-1])  # no pool4: stop at conv4_2

    def forward(self, x):  # (B, 1, frames, mels) -> (B, 512)
        return self.features(x).mean(dim=(2, 3))


def build_vggish(checkpoint: Optional[str] = None) -> VGGishConv:
    return load_weights(VGGishConv(), checkpoint, 'VGGish', HOW_TO_GET_VGGISH,
                        ignore=('embeddings.', 'pproc.')).eval()


@EXTRACTORS.register_module()
class VGGishExtractor(BaseExtractor):
    """512-d VGGish conv4_2 features per ``clip_len`` (0.5 s) chunk of 16 kHz audio."""
    name = 'vggish'
    dim = 512

    def __init__(self, clip_len: float, device: str = 'cpu', batch_size: int = 64,
                 checkpoint: Optional[str] = None, patch_frames: int = 46, model=None):
        super().__init__(clip_len, device, batch_size)
        self.patch_frames = int(patch_frames)
        self.model = (model or build_vggish(checkpoint)).to(self.device).eval()
        self.window = torch.hann_window(WINDOW, periodic=True, device=self.device)
        self.mel = torch.from_numpy(mel_matrix()).to(self.device)

    @property
    def spec(self):
        return AudioSpec(SAMPLE_RATE)

    @property
    def units_per_row(self):
        return int(round(self.clip_len * SAMPLE_RATE))

    def log_mel(self, x: torch.Tensor) -> torch.Tensor:
        """(B, samples) -> (B, frames, 64) log-mel, frames = 1 + (samples - 400) // 160."""
        frames = x.unfold(1, WINDOW, HOP) * self.window  # (B, frames, 400), as VGGish frames
        spec = torch.fft.rfft(frames, n=N_FFT).abs()
        return torch.log(spec @ self.mel + LOG_OFFSET)

    @torch.inference_mode()
    def forward_rows(self, rows):
        x = torch.from_numpy(np.ascontiguousarray(rows, dtype=np.float32)).to(self.device)
        patch = self.log_mel(x)[:, :self.patch_frames]
        if patch.shape[1] < self.patch_frames:  # clip_len shorter than the patch
            patch = nn.functional.pad(patch, (0, 0, 0, self.patch_frames - patch.shape[1]))
        return self.model(patch[:, None]).float().cpu().numpy()
