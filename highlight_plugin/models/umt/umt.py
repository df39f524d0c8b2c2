"""The assembled UMT model (Liu et al., CVPR 2022) as an mmengine ``BaseModel`` (docs/umt.md §3)."""
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.model import BaseModel
from torch import nn
from torch.nn.utils.rnn import pad_sequence

from highlight_plugin.engine.errors import ConfigError, DataError
from .attention import LearnablePositionalEncoding


def _build(cfg):
    return None if cfg is None else MODELS.build(cfg)


@MODELS.register_module()
class HighlightUMT(BaseModel):
    """Unified Multi-modal Transformer for highlight detection and moment retrieval.

    ``video_enc`` -> [``audio_enc`` + ``cross_enc`` fusion] -> r -> [``query_gen``] ->
    [``query_dec``] -> heads. Variants by config:

    * video only: ``audio_enc=None, cross_enc=None`` (heads/decoder read the video encoding);
    * no query (YouTube): ``query_gen=None`` with ``query_dec`` kept: the decoder runs on r;
    * Hotstar: ``query_gen=None, query_dec=None``: the heads read r.

    Inputs follow the data contract: ``inputs`` = dict(video, [audio], video_mask, [query,
    query_mask]); targets come from the data samples (``gt_saliency``, ``gt_windows``).
    Loss keys carry the original's decoder-layer prefix: ``d{N-1}.saliency_loss``,
    ``d{N-1}.center_loss``, ``d{N-1}.window_loss``, ``d{N-1}.offset_loss`` (N decoder layers;
    ``d0.`` without decoder). ``predict`` sets ``pred_saliency`` (T,) and ``pred_windows`` (K,3).
    """

    def __init__(self, video_enc, audio_enc=None, cross_enc=None, query_gen=None, query_dec=None,
                 saliency_head=None, boundary_head=None, data_preprocessor=None, init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if video_enc is None:
            raise ConfigError('HighlightUMT: model.video_enc is required')
        if (audio_enc is None) != (cross_enc is None):
            raise ConfigError('HighlightUMT: model.audio_enc and model.cross_enc must be given '
                              'together (both None for a video-only model)')
        if query_gen is not None and query_dec is None:
            raise ConfigError('HighlightUMT: model.query_gen needs model.query_dec')
        if saliency_head is None and boundary_head is None:
            raise ConfigError('HighlightUMT: give model.saliency_head and/or model.boundary_head')
        self.video_enc = _build(video_enc)
        self.audio_enc = _build(audio_enc)
        self.cross_enc = _build(cross_enc)
        self.query_gen = _build(query_gen)
        self.query_dec = _build(query_dec)
        self.saliency_head = _build(saliency_head)
        self.boundary_head = _build(boundary_head)
        num_layers = getattr(self.query_dec, 'num_layers', 1)
        self.loss_prefix = f'd{num_layers - 1}.'
        self.max_len = min(m.max_len for m in self.modules()
                           if isinstance(m, LearnablePositionalEncoding))
        self.reset_parameters()

    def reset_parameters(self):
        """docs/umt.md §2.7: Xavier-normal linears with zero bias; LN (1, 0); PE and tokens N(0,1)/sqrt(D)."""
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_normal_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, LearnablePositionalEncoding):
                nn.init.normal_(m.pe, std=m.pe.size(-1)**-0.5)
        tokens = getattr(self.cross_enc, 'tokens', None)
        if isinstance(tokens, nn.Parameter):
            nn.init.normal_(tokens, std=tokens.size(-1)**-0.5)

    # ------------------------------------------------------------------ network
    def _check_inputs(self, inputs):
        video = inputs.get('video')
        if video is None or video.dim() != 3:
            raise DataError("HighlightUMT: inputs['video'] must be a (B,T,D) tensor")
        if video.size(1) > self.max_len:
            raise ConfigError(
                f'HighlightUMT: {video.size(1)} clips exceed the positional-encoding length '
                f'{self.max_len}; run long videos in sliding windows (docs/umt.md §12)')
        if self.audio_enc is not None and 'audio' not in inputs:
            raise DataError("HighlightUMT: the model has an audio encoder but inputs has no 'audio'")
        if self.query_gen is not None and 'query' not in inputs:
            raise DataError("HighlightUMT: the model has a query generator but inputs has no 'query'")

    def _forward(self, inputs, data_samples=None):
        """Shared trunk: returns the tensor the heads read and the float clip mask (B,T)."""
        self._check_inputs(inputs)
        video = inputs['video']
        mask = inputs.get('video_mask')
        if mask is None:
            mask = video.new_ones(video.shape[:2])
        # all-valid batches skip masking altogether (same result, faster attention)
        key_mask = None if bool(mask.all()) else mask > 0
        r = self.video_enc(video, mask=key_mask)
        if self.audio_enc is not None:
            audio = self.audio_enc(inputs['audio'], mask=key_mask)
            r = self.cross_enc(r, audio, mask=key_mask)
        q = r
        if self.query_gen is not None:
            query_mask = inputs.get('query_mask')
            if query_mask is not None and bool(query_mask.all()):
                query_mask = None
            q = self.query_gen(r, inputs['query'], query_mask)
        h = self.query_dec(q, r, mask=key_mask) if self.query_dec is not None else q
        return h, mask

    def _heads(self, h, mask):
        out = {}
        if self.saliency_head is not None:
            out['saliency'] = self.saliency_head(h)
        if self.boundary_head is not None:
            out['center'], out['window'], out['offset'] = self.boundary_head(h, mask)
        return out

    def forward(self, inputs, data_samples=None, mode='tensor'):
        h, mask = self._forward(inputs, data_samples)
        out = self._heads(h, mask)
        if mode == 'tensor':
            return out
        if mode == 'loss':
            return self.loss(out, mask, data_samples)
        if mode == 'predict':
            return self.predict(out, mask, data_samples)
        raise ValueError(f'HighlightUMT: invalid mode {mode!r}')

    # ------------------------------------------------------------------ targets
    def _check_clip_len(self, data_samples):
        unit = self.boundary_head.unit
        for ds in data_samples:
            clip_len = ds.metainfo.get('clip_len')
            if clip_len is not None and abs(float(clip_len) - unit) > 1e-6:
                raise ConfigError(
                    f'HighlightUMT: sample {ds.metainfo.get("sample_idx")} has clip_len '
                    f'{clip_len} s but model.boundary_head.unit is {unit}')

    @staticmethod
    def _stack_saliency(data_samples, num_clips, ref):
        """(B,T) saliency targets, zero-padded (padded clips are masked out of the loss)."""
        target = pad_sequence([ds.gt_saliency.to(ref) for ds in data_samples], batch_first=True)
        return F.pad(target, (0, num_clips - target.size(1)))

    @staticmethod
    def _stack_windows(data_samples, ref):
        """(B,G,2) zero-padded GT windows in seconds and their (B,G) validity."""
        windows = [ds.gt_windows.to(ref).reshape(-1, 2) for ds in data_samples]
        counts = torch.tensor([w.size(0) for w in windows], device=ref.device)
        padded = pad_sequence(windows, batch_first=True)
        valid = torch.arange(padded.size(1), device=ref.device) < counts[:, None]
        return padded, valid

    def loss(self, out, mask, data_samples):
        if data_samples is None:
            raise DataError('HighlightUMT: mode="loss" needs data_samples with the targets')
        losses = {}
        if self.saliency_head is not None:
            target = self._stack_saliency(data_samples, mask.size(1), mask)
            losses.update(self.saliency_head.loss(out['saliency'], target, mask))
        if self.boundary_head is not None:
            self._check_clip_len(data_samples)
            windows, valid = self._stack_windows(data_samples, mask)
            preds = (out['center'], out['window'], out['offset'])
            losses.update(self.boundary_head.loss(preds, windows, valid, mask))
        return {self.loss_prefix + key: value for key, value in losses.items()}

    def predict(self, out, mask, data_samples):
        if data_samples is None:
            raise DataError('HighlightUMT: mode="predict" needs the data_samples to fill in')
        lengths = mask.sum(1).long().tolist()
        if self.saliency_head is not None:
            saliency = self.saliency_head.predict(out['saliency'], mask).detach().float().cpu()
            for ds, s, n in zip(data_samples, saliency, lengths):
                ds.pred_saliency = s[:n].clone()
        if self.boundary_head is not None:
            self._check_clip_len(data_samples)
            preds = (out['center'], out['window'], out['offset'])
            windows = self.boundary_head.decode(preds, mask)
            for ds, w in zip(data_samples, windows):
                ds.pred_windows = w.detach().float().cpu().clone()
        return data_samples
