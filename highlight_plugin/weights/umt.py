"""Convert checkpoints of the original UMT (TencentARC/UMT, nncore) to this port (docs/umt.md §10).

API: :func:`convert_checkpoint` (file to file, optionally checked against a model), :func:`convert_state_dict`
(a state dict), :func:`map_key` (one key); registered as the ``umt-original`` weight converter (the zoo's UMT
checkpoints name it) and run by ``tools/convert_umt_checkpoint.py``.

The key map is explicit: a key is renamed by the first rule of :data:`KEY_RULES` whose pattern
matches it in full; a key no rule matches is *unexpected*. Against a target model, keys it has
that the checkpoint lacks are *missing*, and tensors of another shape are *mis-shaped*; all three
lists go into one :class:`CheckpointError`. Optimizer state and other container entries are
dropped; PE tables keep their 5000 rows.
"""
import os.path as osp
import re

import torch

from highlight_plugin.engine.errors import CheckpointError
from highlight_plugin.engine.fileio import atomic_path
from . import WEIGHT_CONVERTERS

_ENC = r'(video_enc|audio_enc)\.encoder\.(?:(\d+)\.)?'  # one layer: no index in the original
_LIN = r'\.(weight|bias)'

# (original key pattern, port key template); templates use re.sub group references.
KEY_RULES = [
    # uni-modal encoders
    (r'(video_enc|audio_enc)\.mapping\.linear' + _LIN, r'\1.input_proj.\2'),
    (r'(video_enc|audio_enc)\.pos_enc\.pe', r'\1.pos_enc.pe'),
    (_ENC + r'att\.(q|k|v|m)' + _LIN, r'\1.layers.\2.attn.\3.\4'),
    (_ENC + r'ffn\.mapping\.0' + _LIN, r'\1.layers.\2.ffn.fc1.\3'),
    (_ENC + r'ffn\.mapping\.3' + _LIN, r'\1.layers.\2.ffn.fc2.\3'),
    (_ENC + r'norm(1|2)' + _LIN, r'\1.layers.\2.norm\3.\4'),
    # cross-modal (bottleneck) encoder
    (r'cross_enc\.pos_enc\.pe', r'cross_enc.pos_enc.pe'),
    (r'cross_enc\.encoder\.token', r'cross_enc.tokens'),
    (r'cross_enc\.encoder\.encoder\.(\d+)\.att1\.(q|k|v|m)' + _LIN, r'cross_enc.layers.\1.attn_tv.\2.\3'),
    (r'cross_enc\.encoder\.encoder\.(\d+)\.att2\.(q|k|v|m)' + _LIN, r'cross_enc.layers.\1.attn_ta.\2.\3'),
    (r'cross_enc\.encoder\.encoder\.(\d+)\.att3\.(q|k|v|m)' + _LIN, r'cross_enc.layers.\1.attn_vt.\2.\3'),
    (r'cross_enc\.encoder\.encoder\.(\d+)\.att4\.(q|k|v|m)' + _LIN, r'cross_enc.layers.\1.attn_at.\2.\3'),
    (r'cross_enc\.encoder\.encoder\.(\d+)\.ffn1\.mapping\.0' + _LIN, r'cross_enc.layers.\1.ffn_v.fc1.\2'),
    (r'cross_enc\.encoder\.encoder\.(\d+)\.ffn1\.mapping\.3' + _LIN, r'cross_enc.layers.\1.ffn_v.fc2.\2'),
    (r'cross_enc\.encoder\.encoder\.(\d+)\.ffn2\.mapping\.0' + _LIN, r'cross_enc.layers.\1.ffn_a.fc1.\2'),
    (r'cross_enc\.encoder\.encoder\.(\d+)\.ffn2\.mapping\.3' + _LIN, r'cross_enc.layers.\1.ffn_a.fc2.\2'),
    (r'cross_enc\.encoder\.encoder\.(\d+)\.norm1' + _LIN, r'cross_enc.layers.\1.norm_v.\2'),
    (r'cross_enc\.encoder\.encoder\.(\d+)\.norm2' + _LIN, r'cross_enc.layers.\1.norm_a.\2'),
    (r'cross_enc\.encoder\.encoder\.(\d+)\.norm3' + _LIN, r'cross_enc.layers.\1.norm_t.\2'),
    (r'cross_enc\.encoder\.encoder\.(\d+)\.norm4' + _LIN, r'cross_enc.layers.\1.norm_t2.\2'),
    (r'cross_enc\.encoder\.encoder\.(\d+)\.norm5' + _LIN, r'cross_enc.layers.\1.norm_ffn_v.\2'),
    (r'cross_enc\.encoder\.encoder\.(\d+)\.norm6' + _LIN, r'cross_enc.layers.\1.norm_ffn_a.\2'),
    (r'cross_enc\.mapping\.linear' + _LIN, r'cross_enc.concat_proj.\1'),
    (r'cross_enc\.norm' + _LIN, r'cross_enc.norm.\1'),
    # query generator
    (r'query_gen\.mapping\.linear\.weight', r'query_gen.proj.weight'),
    (r'query_gen\.mapping\.norm' + _LIN, r'query_gen.proj_norm.\1'),
    (r'query_gen\.encoder\.(q|k|v|m)' + _LIN, r'query_gen.attn.\1.\2'),
    # query decoder
    (r'query_dec\.q_pos_enc\.pe', r'query_dec.pos_enc_q.pe'),
    (r'query_dec\.k_pos_enc\.pe', r'query_dec.pos_enc_k.pe'),
    (r'query_dec\.decoder\.(\d+)\.att1\.(q|k|v|m)' + _LIN, r'query_dec.layers.\1.self_attn.\2.\3'),
    (r'query_dec\.decoder\.(\d+)\.att2\.(q|k|v|m)' + _LIN, r'query_dec.layers.\1.cross_attn.\2.\3'),
    (r'query_dec\.decoder\.(\d+)\.ffn\.mapping\.0' + _LIN, r'query_dec.layers.\1.ffn.fc1.\2'),
    (r'query_dec\.decoder\.(\d+)\.ffn\.mapping\.3' + _LIN, r'query_dec.layers.\1.ffn.fc2.\2'),
    (r'query_dec\.decoder\.(\d+)\.norm(1|2|3)' + _LIN, r'query_dec.layers.\1.norm\2.\3'),
    (r'query_dec\.norm' + _LIN, r'query_dec.norm.\1'),
    # heads: the index in pred_head depends on the config; the sub-module name does not
    (r'pred_head\.\d+\.saliency_pred\.linear' + _LIN, r'saliency_head.fc.\1'),
    (r'pred_head\.\d+\.(center|window|offset)_pred\.linear' + _LIN, r'boundary_head.\1_fc.\2'),
]
_COMPILED = [(re.compile(pattern), template) for pattern, template in KEY_RULES]


def map_key(key):
    """Port name of an original state-dict key, or None when no rule matches."""
    for pattern, template in _COMPILED:
        match = pattern.fullmatch(key)
        if match:
            # a single encoder layer has no index in the original: it is layer 0
            groups = [g if g is not None else '0' for g in match.groups()]
            return re.sub(r'\\(\d)', lambda m: groups[int(m.group(1)) - 1], template)
    return None


def extract_state_dict(obj, source='checkpoint'):
    """The state dict of an original checkpoint: under ``state_dict`` or ``model``, or bare;
    a ``module.`` prefix (DataParallel) is stripped."""
    if not isinstance(obj, dict):
        raise CheckpointError(f'{source}: expected a dict, got {type(obj).__name__}')
    for name in ('state_dict', 'model'):
        if isinstance(obj.get(name), dict):
            obj = obj[name]
            break
    bad = [k for k, v in obj.items() if not torch.is_tensor(v)]
    if bad:
        raise CheckpointError(f'{source}: no state dict found (non-tensor entries: '
                              f'{", ".join(map(str, bad[:10]))})')
    return {k[len('module.'):] if k.startswith('module.') else k: v for k, v in obj.items()}


def convert_state_dict(state_dict, target=None, source='checkpoint'):
    """Rename an original state dict; check it against ``target`` (name -> tensor) if given.

    Raises:
        CheckpointError: naming every unexpected, missing and mis-shaped key.
    """
    converted, unexpected = {}, []
    for key, value in state_dict.items():
        new_key = map_key(key)
        if new_key is None or (target is not None and new_key not in target):
            unexpected.append(key)
        else:
            converted[new_key] = value
    missing, mis_shaped = [], []
    if target is not None:
        missing = [k for k in target if k not in converted]
        mis_shaped = [f'{k} {tuple(v.shape)} (model expects {tuple(target[k].shape)})'
                      for k, v in converted.items() if v.shape != target[k].shape]
    problems = [f'{name}: {", ".join(keys)}' for name, keys in (
        ('unexpected keys', unexpected), ('missing keys', missing), ('mis-shaped keys', mis_shaped))
        if keys]
    if problems:
        raise CheckpointError(f'{source} does not match the UMT model: ' + '; '.join(problems))
    return converted


def _plain(value):
    """Keep only plain Python values (so the result loads with ``weights_only=True``)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if _plain(v) is not _DROP}
    if isinstance(value, (list, tuple)):
        return [v for v in map(_plain, value) if v is not _DROP]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return _DROP


_DROP = object()


def load_original(path):
    """Load an original checkpoint safely (``weights_only=True``; never unsafe unpickling)."""
    if not osp.isfile(path):
        raise CheckpointError(f'{path}: no such file')
    try:
        return torch.load(path, map_location='cpu', weights_only=True)
    except Exception as exc:  # pickle errors come in many types
        raise CheckpointError(f'{path}: cannot be loaded safely (weights_only=True): {exc}') from exc


def convert_checkpoint(src, dst, model=None):
    """Convert the original checkpoint ``src`` and save ``dict(meta, state_dict)`` to ``dst``.

    Args:
        model (nn.Module | None): The target model (e.g. built from a config) whose state dict
            names and shapes are checked; None checks the key map only.
    Returns:
        dict: the saved checkpoint.
    """
    obj = load_original(src)
    state_dict = extract_state_dict(obj, source=src)
    target = None if model is None else model.state_dict()
    converted = convert_state_dict(state_dict, target, source=src)
    meta = dict(converted_from=osp.basename(src), converter='highlight_plugin.weights.umt')
    if isinstance(obj, dict) and isinstance(obj.get('meta'), dict):
        meta['original_meta'] = _plain(obj['meta'])
    checkpoint = dict(meta=meta, state_dict={k: v.detach().cpu().contiguous()
                                             for k, v in converted.items()})
    with atomic_path(dst) as tmp:
        torch.save(checkpoint, tmp)
    return checkpoint


@WEIGHT_CONVERTERS.register_module(name='umt-original')
def convert_umt_original(inputs, out):
    """A checkpoint of the original UMT (TencentARC/UMT, nncore) -> this port's checkpoint (key map checked)."""
    if len(inputs) != 1:
        raise CheckpointError(f'umt-original converts one checkpoint, got {len(inputs)} files')
    convert_checkpoint(inputs[0], out)
    return str(out)


def build_target_model(config):
    """Build the model named by ``config`` (a config file path or a Config/dict with ``model``)."""
    from mmaction.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import highlight_plugin  # noqa: F401  (registration)
    if isinstance(config, str):
        if not osp.isfile(config):
            raise CheckpointError(f'{config}: no such config file')
        config = Config.fromfile(config)
    if 'model' not in config:
        raise CheckpointError('the config has no `model` entry')
    init_default_scope('mmaction')
    return MODELS.build(config['model'])
