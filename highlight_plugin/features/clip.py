"""CLIP image and text features (open_clip networks; ViT-B/32 gives 512-d).

OpenAI's ViT-B/32 was trained with QuickGELU: the recipes build ``ViT-B-32-quickgelu`` and
OpenAI's own archive always runs with QuickGELU, whatever model name is asked for. The weights
come in any of their published files (:func:`read_clip_weights`): OpenAI's TorchScript archive
``ViT-B-32.pt`` (read as data, never compiled), the Hugging Face open_clip files
``open_clip_pytorch_model.bin`` / ``open_clip_model.safetensors``, a timm ``vit_*_clip_*``
image tower, or an open_clip training checkpoint. A file that does not fit the network (other
architecture, missing or extra tensors) is an error.
"""
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch

from highlight_plugin.engine.device import fp32_context
from highlight_plugin.engine.errors import CheckpointError
from ..weights.torchscript import is_torchscript_archive, read_torchscript_tensors
from .base import EXTRACTORS, CentreFrameExtractor, load_state_dict, resolve_checkpoint

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
HOW_TO_GET_CLIP = (
    'Pass --clip-checkpoint with OpenAI\'s ViT-B-32.pt (the clip package\'s download, '
    'https://openaipublic.azureedge.net/clip/models/'
    '40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af/ViT-B-32.pt), '
    'or open_clip_model.safetensors / open_clip_pytorch_model.bin of the Hugging Face repo '
    'timm/vit_base_patch32_clip_224.openai, or a pretrained tag such as "openai" to let open_clip download it '
    'when online, or "none" for random weights.')
# tensors an OpenAI archive or an open_clip file may hold besides the network's state
_NOT_WEIGHTS = ('attn_mask', 'input_resolution', 'context_length', 'vocab_size')


def timm_to_open_clip(state: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """A timm ``vit_*_clip_*`` image tower (``patch_embed.proj.weight``, ``blocks.N.attn.qkv``, ``head``)
    renamed to open_clip's ``visual.*`` keys."""
    out = {}
    simple = {'cls_token': 'class_embedding', 'pos_embed': 'positional_embedding', 'patch_embed.proj.weight':
              'conv1.weight', 'norm_pre.weight': 'ln_pre.weight', 'norm_pre.bias': 'ln_pre.bias',
              'norm.weight': 'ln_post.weight', 'norm.bias': 'ln_post.bias'}
    block = {'norm1': 'ln_1', 'norm2': 'ln_2', 'attn.qkv.weight': 'attn.in_proj_weight', 'attn.qkv.bias':
             'attn.in_proj_bias', 'attn.proj': 'attn.out_proj', 'mlp.fc1': 'mlp.c_fc', 'mlp.fc2': 'mlp.c_proj'}
    for k, v in state.items():
        if k in simple:
            out['visual.' + simple[k]] = v.reshape(-1) if k == 'cls_token' else (v[0] if k == 'pos_embed' else v)
        elif k == 'head.weight':
            out['visual.proj'] = v.t().contiguous()
        elif k.startswith('blocks.'):
            _, i, rest = k.split('.', 2)
            for a, b in block.items():
                if rest.startswith(a):
                    rest = b + rest[len(a):]
                    break
            out[f'visual.transformer.resblocks.{i}.{rest}'] = v
        else:
            out[k] = v  # left for the strict check to name
    return out


def read_clip_weights(path: str) -> Tuple[Dict[str, torch.Tensor], str]:
    """``(state dict in open_clip / OpenAI key names, format)`` of a published CLIP weight file; format is
    'openai-torchscript', 'timm' or 'open_clip'. Nothing in the file is executed.

    Raises:
        CheckpointError: missing or unreadable file.
    """
    p = resolve_checkpoint(path)
    if not p.is_file():
        raise CheckpointError(f'CLIP weights not found at {p}. {HOW_TO_GET_CLIP}')
    if is_torchscript_archive(p):
        return read_torchscript_tensors(p), 'openai-torchscript'
    state = load_state_dict(str(p), 'CLIP', HOW_TO_GET_CLIP, prefixes=('module.',))
    if 'patch_embed.proj.weight' in state:
        return timm_to_open_clip(state), 'timm'
    return state, 'open_clip'


def build_clip(model_name: str = 'ViT-B-32-quickgelu', checkpoint: Optional[str] = None, precision: str = 'fp32',
               device: str = 'cpu', image_only: bool = False):
    """An open_clip model in eval mode, with ``checkpoint``'s weights.

    ``checkpoint``: None/'none' random init; a path or URL: a published weight file
    (:func:`read_clip_weights`); anything else: an open_clip pretrained tag (downloads when online).
    OpenAI weights (their archive, or the 'openai' tag) always get QuickGELU. ``precision`` 'fp16'
    builds OpenAI's mixed fp16 model (fp16 weights, fp32 layer norms), as ``clip.load`` on a GPU does.
    ``image_only`` accepts a file without the text tower (a timm image tower).

    Raises:
        CheckpointError: no such file or tag, or weights that do not fit the network.
    """
    import open_clip
    local = checkpoint not in (None, 'none') and (
        Path(checkpoint).exists() or str(checkpoint).startswith(('http://', 'https://')))
    base = model_name[:-len('-quickgelu')] if model_name.endswith('-quickgelu') else model_name
    tags = open_clip.list_pretrained_tags_by_model(model_name) + open_clip.list_pretrained_tags_by_model(base)
    tag = checkpoint if not local and checkpoint in tags else None
    if checkpoint not in (None, 'none') and not local and tag is None:
        raise CheckpointError(f'CLIP weights not found at {checkpoint} (neither a file nor an '
                              f'open_clip tag of {model_name}). {HOW_TO_GET_CLIP}')
    state, fmt = read_clip_weights(checkpoint) if local else (None, None)
    openai = fmt == 'openai-torchscript' or tag == 'openai'
    try:
        model = open_clip.create_model(model_name, pretrained=tag, precision=precision, device=device,
                                       force_quick_gelu=openai)
    except RuntimeError as e:  # unknown model name, or the hub download failed
        raise CheckpointError(f'cannot build CLIP {model_name} ({e}). {HOW_TO_GET_CLIP}') from e
    model.network_name = model_name if not openai or model_name.endswith('-quickgelu') else f'{model_name}+quickgelu'
    if state is not None:
        load_clip_state(model, state, checkpoint, fmt, image_only)
    return model.eval()


def load_clip_state(model, state: Dict[str, torch.Tensor], path: str, fmt: str, image_only: bool = False):
    """Copy ``state`` into ``model``: every tensor of the network must be there with its shape, and nothing
    else (bar the masks and sizes OpenAI's archive stores)."""
    own = model.state_dict()
    state = {k: v for k, v in state.items() if k.split('.')[-1] not in _NOT_WEIGHTS}
    if fmt == 'timm' and not image_only:
        raise CheckpointError(f'{path}: a timm CLIP image tower has no text encoder; use the open_clip file '
                              f'of the same weights (open_clip_model.safetensors) for text features')
    # an image-only use accepts a file without the text tower (timm); the text encoder then refuses the model
    text_in_file = any(not k.startswith('visual.') for k in state)
    wanted = {k for k in own if k.startswith('visual.') or text_in_file or not image_only}
    model.text_loaded = wanted == set(own)
    missing = sorted(wanted - set(state))
    unexpected = sorted(set(state) - set(own))
    wrong = [f'{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}' for k in sorted(wanted & set(state))
             if state[k].shape != own[k].shape]
    if missing or unexpected or wrong:
        raise CheckpointError(f'{path}: does not match the CLIP {getattr(model, "network_name", "")} network '
                              f'(missing {missing[:3]}, unexpected {unexpected[:3]}, shapes {wrong[:2]})')
    model.load_state_dict({k: state[k] for k in wanted}, strict=False)


def _network_dtype(model) -> torch.dtype:
    return model.visual.conv1.weight.dtype


def clip_precision(precision: str, device) -> str:
    """'fp16_cuda': OpenAI's fp16 model on a GPU (as the references ran it), fp32 on the CPU."""
    if precision == 'fp16_cuda':
        return 'fp16' if torch.device(device).type == 'cuda' else 'fp32'
    return precision


@EXTRACTORS.register_module()
class CLIPExtractor(CentreFrameExtractor):
    """CLIP image embeddings (after the projection, not normalised) of one frame per clip.

    Args:
        sampling: which frame and geometry (``FrameSpec.sampling``): 'centre' (the frame at the clip
            centre, area-preserving resize) or 'hero' (HERO's loader; see ``media/branches.py``).
        normalise: 'clip' (``(x - 255 mean) / (255 std)``) or 'hero' (``(x / 255 - mean) / (std + 1e-8)``).
        precision: 'fp32', 'fp16' or 'fp16_cuda' (fp16 on a GPU, fp32 on the CPU).
    """
    name = 'clip'

    def __init__(self, clip_len: float, device: str = 'cpu', batch_size: int = 32,
                 model_name: str = 'ViT-B-32-quickgelu', checkpoint: Optional[str] = None, model=None,
                 sampling: str = 'centre', normalise: str = 'clip', precision: str = 'fp32'):
        super().__init__(clip_len, device, batch_size)
        self.model = (model or build_clip(model_name, checkpoint, clip_precision(precision, device),
                                          str(self.device), image_only=True)).to(self.device).eval()
        size = self.model.visual.image_size
        self.set_input(size[0] if isinstance(size, (tuple, list)) else size, CLIP_MEAN, CLIP_STD)
        self.dim = self.model.visual.output_dim
        self.sampling = sampling
        self.normalise = normalise
        self.checkpoint = checkpoint

    @property
    def network(self):
        return getattr(self.model, 'network_name', type(self.model).__name__)

    def normalised(self, rows):
        if self.normalise != 'hero':
            return super().normalised(rows)
        x = torch.from_numpy(np.ascontiguousarray(rows[:, 0])).to(self.device).permute(0, 3, 1, 2).float() / 255.0
        return (x - self.mean / 255) / (self.std / 255 + 1e-8)

    @fp32_context()
    @torch.inference_mode()
    def forward_rows(self, rows):
        x = self.normalised(rows).to(_network_dtype(self.model))
        return self.model.encode_image(x).float().cpu().numpy()


class CLIPTextEncoder:
    """Per-query CLIP text features in the QVHighlights layout (Moment-DETR's ``encode_text``).

    ``last_hidden_state`` (L, width): final-layer-norm token states of the tokens that are not 0 (the start
    token up to the end token; a '!' has id 0 and is not counted, as in the reference). ``pooler_output``
    (embed,): the end-token state after the text projection (``pooler='projected'``, Moment-DETR) or
    before it (``'eot'``, the project's earlier field). ``max_tokens`` caps the start token + text + end
    token (Moment-DETR: 32; open_clip: 77).
    """

    def __init__(self, model_name: str = 'ViT-B-32-quickgelu', checkpoint: Optional[str] = None,
                 device: str = 'cpu', model=None, max_tokens: int = 77, pooler: str = 'projected',
                 precision: str = 'fp32'):
        import open_clip
        self.device = torch.device(device)
        self.model = (model or build_clip(model_name, checkpoint, clip_precision(precision, device),
                                          str(self.device))).to(self.device).eval()
        if not getattr(self.model, 'text_loaded', True):
            raise CheckpointError(f'{checkpoint or "the CLIP weights"}: an image tower only (timm); text features '
                                  f'need the full CLIP file (open_clip_model.safetensors or ViT-B-32.pt)')
        self.tokenizer = open_clip.get_tokenizer(model_name)
        self.max_tokens = int(max_tokens)
        self.pooler = pooler

    def tokenize(self, queries: List[str]) -> torch.Tensor:
        t = self.tokenizer.tokenizer if hasattr(self.tokenizer, 'tokenizer') else self.tokenizer
        sot, eot = t.encoder['<start_of_text>'], t.encoder['<end_of_text>']
        context = self.model.positional_embedding.shape[0]
        out = torch.zeros(len(queries), context, dtype=torch.long)
        for i, q in enumerate(queries):
            ids = [sot] + t.encode(q)[:min(self.max_tokens, context) - 2] + [eot]
            out[i, :len(ids)] = torch.tensor(ids)
        return out

    @fp32_context()
    @torch.inference_mode()
    def __call__(self, queries: List[str]) -> List[dict]:
        m = self.model
        dtype = _network_dtype(m)
        tokens = self.tokenize(queries).to(self.device)
        x = m.token_embedding(tokens).to(dtype) + m.positional_embedding.to(dtype)
        x = m.ln_final(m.transformer(x, attn_mask=m.attn_mask)).to(dtype)
        ends = tokens.argmax(dim=-1)  # the end token has the largest id
        pooled = x[torch.arange(len(x)), ends]
        if self.pooler == 'projected':
            pooled = pooled @ m.text_projection
        x, pooled = x.float().cpu().numpy(), pooled.float().cpu().numpy()
        valid = (tokens != 0).sum(1).tolist()
        return [dict(last_hidden_state=x[i, :valid[i]].copy(), pooler_output=pooled[i].copy())
                for i in range(len(queries))]


__all__ = ['CLIPExtractor', 'CLIPTextEncoder', 'build_clip', 'read_clip_weights', 'timm_to_open_clip',
           'load_clip_state', 'clip_precision']
