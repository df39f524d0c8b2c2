"""Window classifier for soccer action spotting: pool each modality, fuse, classify (docs/soccer.md §3).

Fusion placements:

* ``fusion_position='after_pool'`` (V&D Method 4, GMU, CMGA-after, Transformer): one pooling module per
  modality, the fusion head on the pooled vectors as length-1 sequences.
* ``fusion_position='before_pool'`` (Methods 6/7 early concat, CMGA-before, bottleneck): the fusion head on the
  frame sequences, then one pooling module on the fused sequence.
* ``fusion=None``: a single-modality baseline on ``inputs[modality]``.

Training and validation samples are windows (B, N, D). Test samples are whole halves: ``predict`` unfolds
the centred 1-s-stride windows of each half (rows padded at both ends by repeating the first/last row) and
classifies them in batched chunks, giving one score row per second (docs/datasets.md §7.5).
"""
import torch
from mmaction.registry import MODELS
from mmengine.model import BaseModel
from torch import nn

from ..engine.errors import ConfigError

POSITIONS = ('after_pool', 'before_pool')


def centred_windows(x, window_frames, fps):
    """(T, D) half -> (T // fps, window_frames, D) view: window i covers rows [fps*i - N/2, fps*i + N/2)."""
    half = window_frames // 2
    padded = torch.cat([x[:1].expand(half, -1), x, x[-1:].expand(window_frames - half, -1)])
    num = x.shape[0] // fps
    return padded.unfold(0, window_frames, fps)[:num].transpose(1, 2)


@MODELS.register_module()
class SoccerSpotter(BaseModel):
    """Multi-label window classifier over pooled (and fused) audio-visual features.

    Args:
        num_classes (int): C (background included when the dataset has it).
        video_pool (dict): pooling config (NetVLAD, NetRVLAD, TemporalPooling). With ``before_pool`` it is
            the one pooling module, applied to the fused sequence.
        audio_pool (dict | None): pooling of the audio stream (``after_pool`` only).
        fusion (dict | None): a ``BaseFusion`` config; None for a single modality.
        fusion_position (str): ``'after_pool'`` or ``'before_pool'``.
        modality (str): input key of a single-modality model.
        dropout (float): dropout before the classifier (V&D keep 0.6 -> 0.4; student port 0.5).
        loss (dict): loss config (``MultiLabelBCELoss``).
        window_size (int), fps (int): window length in seconds and feature rate, for test-time unfolding.
        test_chunk (int | None): windows per batched forward pass at test time (bounds memory at K = 512:
            about 1 MB per window and modality for the D x K residuals); None = all windows of a half at once.
    """

    def __init__(self, num_classes, video_pool, audio_pool=None, fusion=None, fusion_position='after_pool',
                 modality='video', dropout=0.4, loss=dict(type='MultiLabelBCELoss'), window_size=20, fps=2,
                 test_chunk=256, data_preprocessor=None, init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if fusion_position not in POSITIONS:
            raise ConfigError(f'fusion_position must be one of {POSITIONS}, got {fusion_position!r}')
        self.fusion_position, self.modality = fusion_position, modality
        self.window_frames, self.fps, self.test_chunk = window_size * fps, fps, test_chunk
        self.video_pool = MODELS.build(video_pool)
        self.fusion = MODELS.build(fusion) if fusion is not None else None
        late = self.fusion is not None and fusion_position == 'after_pool'
        if late and audio_pool is None:
            raise ConfigError('fusion after pooling needs audio_pool')
        if not late and audio_pool is not None:
            raise ConfigError('audio_pool is only used with fusion_position="after_pool" and a fusion head')
        self.audio_pool = MODELS.build(audio_pool) if late else None
        feat_channels = self.fusion.out_channels if late else self.video_pool.out_channels
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(feat_channels, num_classes)
        self.loss_fn = MODELS.build(loss)

    def extract_feat(self, video, audio=None, mask=None):
        """Windows (B, N, Dv), (B, N, Da) -> fused pooled vectors (B, F)."""
        if self.fusion is None:
            return self.video_pool(video, mask)
        if audio is None:
            raise ConfigError('this spotter fuses audio, but the inputs have no audio features')
        if self.fusion_position == 'before_pool':
            return self.video_pool(self.fusion(video, audio, mask), mask)
        v, a = self.video_pool(video, mask), self.audio_pool(audio, mask)
        return self.fusion(v[:, None], a[:, None])[:, 0]

    def _logits(self, inputs, mask=None):
        video = inputs[self.modality] if self.fusion is None else inputs['video']
        return self.classifier(self.dropout(self.extract_feat(video, inputs.get('audio'), mask)))

    def forward(self, inputs, data_samples=None, mode='tensor'):
        if mode == 'tensor':
            return self._logits(inputs)
        if mode == 'loss':
            targets = torch.stack([ds.gt_multilabel for ds in data_samples]).to(inputs['video'].device)
            return dict(loss_cls=self.loss_fn(self._logits(inputs), targets))
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise ValueError(f'unknown mode {mode!r}')

    @torch.no_grad()
    def predict(self, inputs, data_samples):
        """Windows: ``pred_multilabel`` (C,). Halves: ``pred_second_scores`` (T // fps, C), sigmoid."""
        if data_samples[0].metainfo.get('sample_mode') != 'half':
            scores = torch.sigmoid(self._logits(inputs))
            for ds, s in zip(data_samples, scores):
                ds.pred_multilabel = s.float().cpu()
            return data_samples
        mask = inputs.get('video_mask')
        for b, ds in enumerate(data_samples):
            length = int(mask[b].sum()) if mask is not None else inputs['video'].shape[1]
            ds.pred_second_scores = self.predict_half(
                {k: inputs[k][b, :length] for k in ('video', 'audio') if k in inputs}).cpu()
        return data_samples

    @torch.no_grad()
    def predict_half(self, half):
        """One half's rows ``{'video': (T, Dv), ['audio': (T, Da)]}`` -> per-second sigmoid scores (T // fps, C)."""
        windows = {k: centred_windows(x, self.window_frames, self.fps) for k, x in half.items()}
        num = next(iter(windows.values())).shape[0]
        chunk = self.test_chunk or max(num, 1)
        scores = [torch.sigmoid(self._logits({k: w[i:i + chunk] for k, w in windows.items()}))
                  for i in range(0, num, chunk)]
        return torch.cat(scores).float() if scores else half['video'].new_zeros((0, self.classifier.out_features))
