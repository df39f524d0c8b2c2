"""CLIP image and text features (open_clip; ViT-B/32 gives 512-d)."""
from pathlib import Path
from typing import List, Optional

import torch

from highlight_plugin.engine.errors import CheckpointError
from .base import EXTRACTORS, CentreFrameExtractor, load_weights

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
HOW_TO_GET_CLIP = (
    'Pass --clip-checkpoint with a local open_clip state dict, e.g. open_clip_pytorch_model.bin of '
    'the Hugging Face repo timm/vit_base_patch32_clip_224.openai (OpenAI ViT-B/32), or a pretrained '
    'tag such as "openai" to let open_clip download it when online, or "none" for random weights.')


def build_clip(model_name: str = 'ViT-B-32', checkpoint: Optional[str] = None):
    """An open_clip model in eval mode.

    ``checkpoint``: None/'none' random init; a path: a local state dict, loaded with
    ``weights_only=True``; anything else: an open_clip pretrained tag (downloads when online).
    """
    import open_clip
    local = checkpoint not in (None, 'none') and (
        Path(checkpoint).exists() or str(checkpoint).startswith(('http://', 'https://')))
    tag = checkpoint if checkpoint in open_clip.list_pretrained_tags_by_model(model_name) else None
    if checkpoint not in (None, 'none') and not local and tag is None:
        raise CheckpointError(f'CLIP weights not found at {checkpoint} (neither a file nor an '
                              f'open_clip tag of {model_name}). {HOW_TO_GET_CLIP}')
    try:
        model = open_clip.create_model(model_name, pretrained=tag)
    except RuntimeError as e:  # unknown model name, or the hub download failed
        raise CheckpointError(f'cannot build CLIP {model_name} ({e}). {HOW_TO_GET_CLIP}') from e
    if local:
        load_weights(model, checkpoint, f'CLIP {model_name}', HOW_TO_GET_CLIP, prefixes=('module.',))
    return model.eval()


@EXTRACTORS.register_module()
class CLIPExtractor(CentreFrameExtractor):
    """CLIP image embeddings (after the projection, not normalised) of the frame at the
    centre of each clip, centre-cropped to the model's input size."""
    name = 'clip'

    def __init__(self, clip_len: float, device: str = 'cpu', batch_size: int = 32,
                 model_name: str = 'ViT-B-32', checkpoint: Optional[str] = None, model=None):
        super().__init__(clip_len, device, batch_size)
        self.model = (model or build_clip(model_name, checkpoint)).to(self.device).eval()
        size = self.model.visual.image_size
        self.set_input(size[0] if isinstance(size, (tuple, list)) else size, CLIP_MEAN, CLIP_STD)
        self.dim = self.model.visual.output_dim

    @torch.inference_mode()
    def forward_rows(self, rows):
        return self.model.encode_image(self.normalised(rows)).float().cpu().numpy()


class CLIPTextEncoder:
    """Per-query CLIP text features in the QVHighlights layout: ``last_hidden_state``
    (L, width) = final-layer-norm token states up to and including the end token, and
    ``pooler_output`` (width,) = the end-token state (before the text projection)."""

    def __init__(self, model_name: str = 'ViT-B-32', checkpoint: Optional[str] = None,
                 device: str = 'cpu', model=None):
        import open_clip
        self.device = torch.device(device)
        self.model = (model or build_clip(model_name, checkpoint)).to(self.device).eval()
        self.tokenizer = open_clip.get_tokenizer(model_name)

    @torch.inference_mode()
    def __call__(self, queries: List[str]) -> List[dict]:
        m = self.model
        tokens = self.tokenizer(queries).to(self.device)
        x = m.token_embedding(tokens) + m.positional_embedding
        x = m.ln_final(m.transformer(x, attn_mask=m.attn_mask)).float().cpu().numpy()
        ends = tokens.argmax(dim=-1).cpu().numpy()  # the end token has the largest id
        return [dict(last_hidden_state=x[i, :e + 1].copy(), pooler_output=x[i, e].copy())
                for i, e in enumerate(ends)]
