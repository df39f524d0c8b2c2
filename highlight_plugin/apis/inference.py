"""Python surface for using a trained clip model (UMT) on features of any length.

``init_model`` builds a model from a config and a checkpoint; ``predict_saliency`` scores every clip of a
video. Videos longer than the model's training length run on overlapping windows no longer than that length,
and the clip scores of overlapping windows are averaged (docs/umt.md §12: positional-encoding rows past the training
length were never trained).
"""
import re

import numpy as np
import torch
from mmaction.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.utils import import_modules_from_strings

from ..datasets import highlight_collate
from ..datasets.transforms import PackHighlightInputs
from ..engine.errors import CheckpointError, ConfigError

DEFAULT_INFERENCE = dict(window=75, stride=None, batch_size=16)


def init_model(config, checkpoint=None, device='cpu', cfg_options=None, strict=False):
    """Build the model of ``config`` (a path or Config), load ``checkpoint`` safely, and put it in eval mode.

    With a checkpoint the model is built without initialising its weights (on the meta device) and takes the
    checkpoint's tensors, read through a memory map: no random init, so a 270 M-parameter soccer spotter starts
    in about a second instead of five.
    ``strict``: a checkpoint that lacks weights of the model, or holds weights it has not (e.g. another fusion
    head), is a :class:`CheckpointError` naming both files (else mmengine's warning).
    """
    cfg = Config.fromfile(config) if isinstance(config, str) else config.copy()
    if cfg_options:
        from ..engine.config import check_cfg_options
        check_cfg_options(cfg, cfg_options)
        cfg.merge_from_dict(cfg_options)
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg.custom_imports)
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    if checkpoint is None:
        model = MODELS.build(cfg.model)
    else:
        model = _build_from_checkpoint(cfg, checkpoint, strict, config if isinstance(config, str) else 'the config')
    model.cfg = cfg
    return model.to(device).eval()


def _build_from_checkpoint(cfg, checkpoint, strict, config_name):
    from ..engine.checkpoint import check_state_dict, load_state_dict_checked, read_checkpoint
    ckpt = read_checkpoint(checkpoint, mmap=True)
    state = {re.sub(r'^module\.', '', k): v for k, v in ckpt.get('state_dict', ckpt).items()}
    try:
        with torch.device('meta'):
            model, on_meta = MODELS.build(cfg.model), True
    except Exception:  # noqa: BLE001 - a module whose __init__ needs real tensors: build it the usual way
        model, on_meta = MODELS.build(cfg.model), False
    own = model.state_dict()
    missing, unexpected = [k for k in own if k not in state], [k for k in state if k not in own]
    if strict and (missing or unexpected):
        raise CheckpointError(f'{checkpoint} does not fit {config_name}: ' + '; '.join(
            f'{what} {len(keys)} weight(s), e.g. {", ".join(keys[:3])}'
            for what, keys in (('it lacks', missing), ('it has', unexpected)) if keys)
            + ' (a checkpoint of another model or fusion head?)')
    if on_meta and not missing:
        check_state_dict(model, state, checkpoint)
        # the mapped tensors themselves (copy-on-write): no copy of the weights; the products run on them within
        # a few % of the speed of copies in anonymous memory
        model.load_state_dict({k: v.to(own[k].dtype) for k, v in state.items() if k in own}, strict=False,
                              assign=True)
        if not _has_meta_tensors(model):
            return model
    if on_meta:  # weights the checkpoint lacks need their initialisation: random init, then copy
        model = MODELS.build(cfg.model)
    load_state_dict_checked(model, ckpt, checkpoint)
    return model


def _has_meta_tensors(model):
    """Whether a parameter, buffer or plain tensor attribute of ``model`` was left on the meta device."""
    return any(t.is_meta for t in (*model.parameters(), *model.buffers())) or any(
        isinstance(v, torch.Tensor) and v.is_meta for m in model.modules() for v in vars(m).values())


def window_starts(num_clips, window, stride):
    """Start clips of windows covering ``num_clips``; the last window is aligned to the end."""
    if num_clips <= window:
        return [0]
    starts = list(range(0, num_clips - window, stride))
    return starts + [num_clips - window]


@torch.inference_mode()
def predict_saliency(model, video, audio=None, query=None, clip_len=2.0, window=None, stride=None, batch_size=None):
    """Saliency score per clip for a whole video.

    Args:
        video (ndarray): (T, Dv) features; ``audio`` (T', Da) is truncated to the common length.
        query (ndarray | None): (L, Dq) text-token features for query-conditioned models.
        window, stride (int): window length and hop in clips (default: the config's ``inference_cfg``, else 75
            and half a window).

    Returns:
        ndarray: (T,) scores.
    """
    opts = {**DEFAULT_INFERENCE, **(getattr(model, 'cfg', None) or {}).get('inference_cfg', {})}
    window = window or opts['window']
    stride = stride or opts['stride'] or max(1, window // 2)
    batch_size = batch_size or opts['batch_size']
    if window < 1 or stride < 1:
        raise ConfigError(f'inference window and stride must be positive, got {window}, {stride}')

    feats = dict(video=np.asarray(video, np.float32))
    if audio is not None:
        feats['audio'] = np.asarray(audio, np.float32)
    num_clips = min(len(f) for f in feats.values())
    feats = {k: torch.from_numpy(np.ascontiguousarray(f[:num_clips])) for k, f in feats.items()}
    query = None if query is None else torch.from_numpy(np.asarray(query, np.float32))

    starts = window_starts(num_clips, window, stride)
    total = np.zeros(num_clips)
    counts = np.zeros(num_clips)
    pack = PackHighlightInputs()
    for i in range(0, len(starts), batch_size):
        items = []
        for s in starts[i:i + batch_size]:
            n = min(window, num_clips - s)
            results = {k: f[s:s + n].numpy() for k, f in feats.items()}
            if query is not None:
                results['query'] = query.numpy()
            results.update(num_clips=n, clip_len=clip_len, duration=n * clip_len,
                           gt_saliency=np.ones(n, np.float32))
            items.append(pack(results))
        for s, sample in zip(starts[i:i + batch_size], model.test_step(highlight_collate(items))):
            scores = sample.pred_saliency.float().cpu().numpy()
            total[s:s + len(scores)] += scores
            counts[s:s + len(scores)] += 1
    return total / np.maximum(counts, 1)
