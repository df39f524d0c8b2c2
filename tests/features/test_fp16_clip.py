"""CLIP in fp16 (the recipes' precision on CUDA, as OpenAI's ``clip.load`` runs on a GPU: fp16 weights, fp32 layer
norms and embeddings) gives the fp32 rows within what fp16 rounding allows, for images and text. The fp16 side runs
on ``$HIGHLIGHT_TEST_DEVICE`` (default the CPU: torch has fp16 kernels there), the fp32 side on the CPU, both from a
weight file, as the recipes load it."""
import numpy as np
import pytest
import torch

from highlight_plugin.features.clip import CLIPExtractor, CLIPTextEncoder, clip_precision
from tests.helpers.device import FP16_TOLERANCE as TOLERANCE


@pytest.fixture(scope='module')
def weights(tiny_clip_model, tmp_path_factory):
    from safetensors.torch import save_file
    path = tmp_path_factory.mktemp('clip16') / 'open_clip_model.safetensors'
    save_file({k: v.contiguous() for k, v in tiny_clip_model.state_dict().items()}, str(path))
    return str(path)


def _relative_error(got, ref):
    return float(np.abs(got - ref).max() / np.abs(ref).max())


@pytest.mark.parametrize('normalise', ['clip', 'hero'])
def test_fp16_image_rows_equal_fp32_to_fp16_rounding(tiny_clip_name, weights, normalise, feature_device):
    rows = np.random.default_rng(0).integers(0, 256, (5, 1, 32, 32, 3), dtype=np.uint8)
    got = {p: CLIPExtractor(2.0, model_name=tiny_clip_name, checkpoint=weights, precision=p, normalise=normalise,
                            device=device) for p, device in (('fp16', feature_device), ('fp32', 'cpu'))}
    assert got['fp16'].model.visual.conv1.weight.dtype == torch.float16
    assert got['fp16'].model.ln_final.weight.dtype == torch.float32  # layer norms stay fp32, as OpenAI's
    half, full = (got[p].forward_rows(rows) for p in ('fp16', 'fp32'))
    assert half.dtype == full.dtype == np.float32
    err = _relative_error(half, full)
    assert 0 < err < TOLERANCE  # it did run in fp16, and within its rounding


def test_fp16_text_features_equal_fp32_to_fp16_rounding(tiny_clip_name, weights, feature_device):
    queries = ['a goal in the last minute', 'the crowd cheers', 'a red card!']
    half, full = (CLIPTextEncoder(tiny_clip_name, checkpoint=weights, precision=p, max_tokens=32, device=device)(
        queries) for p, device in (('fp16', feature_device), ('fp32', 'cpu')))
    for h, f in zip(half, full):
        assert h.keys() == f.keys()
        for key in f:
            assert h[key].shape == f[key].shape and h[key].dtype == np.float32
            assert 0 < _relative_error(h[key], f[key]) < TOLERANCE, key


def test_recipe_precision_is_fp16_on_cuda_only():
    assert clip_precision('fp16_cuda', 'cuda') == clip_precision('fp16_cuda', 'cuda:3') == 'fp16'
    assert clip_precision('fp16_cuda', 'cpu') == 'fp32' and clip_precision('fp32', 'cuda') == 'fp32'
