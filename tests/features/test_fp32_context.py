"""Every extractor runs its network in full fp32: TF32 off for cuDNN convolutions and RNNs and for CUDA matrix
products (Ampere and later GPUs default cuDNN to TF32, 10-bit mantissas: the parity fixtures would drift by 1e-3),
whatever the process set before, and the process's setting is back afterwards. The flags are read inside the
networks' forward passes (a global module hook), on the CPU: they are the same flags a GPU reads."""
import numpy as np
import pytest
import torch

from highlight_plugin.features import CLIPExtractor, PANNsExtractor, ResNetExtractor, SlowFastExtractor, VGGishExtractor
from highlight_plugin.features.base import EXTRACTORS
from highlight_plugin.features.keras_resnet import KerasResNetV1, SoccerNetResNetExtractor

KNOBS = ((torch.backends.cudnn, 'conv'), (torch.backends.cudnn, 'rnn'), (torch.backends.cuda, 'matmul'))


def tf32_allowed():
    """Per knob, whether TF32 is allowed (torch >= 2.9's fp32_precision, else the legacy allow_tf32 flags)."""
    if hasattr(torch.backends.cudnn.conv, 'fp32_precision'):
        return [getattr(b, n).fp32_precision == 'tf32' for b, n in KNOBS]
    return [torch.backends.cudnn.allow_tf32, torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32]


def allow_tf32():
    if hasattr(torch.backends.cudnn.conv, 'fp32_precision'):
        for b, n in KNOBS:
            getattr(b, n).fp32_precision = 'tf32'
    else:
        torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = True


@pytest.fixture(autouse=True)
def _keep_process_flags():
    """The TF32 settings of the process as they were before the test."""
    new_api = hasattr(torch.backends.cudnn.conv, 'fp32_precision')
    saved = ([getattr(b, n).fp32_precision for b, n in KNOBS] if new_api
             else (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32))
    yield
    if new_api:
        for (b, n), value in zip(KNOBS, saved):
            getattr(b, n).fp32_precision = value
    else:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


def _rows(ex, rng, rows=2):
    if ex.modality == 'audio':
        return rng.standard_normal((rows, ex.units_per_row)).astype(np.float32)
    size = ex.spec.size
    return rng.integers(0, 256, (rows, ex.units_per_row, size, size, 3), dtype=np.uint8)


@pytest.fixture(scope='module')
def extractors(tiny_clip_model, panns_model):
    torch.manual_seed(0)
    return dict(
        CLIPExtractor=CLIPExtractor(2.0, model=tiny_clip_model),
        PANNsExtractor=PANNsExtractor(2.0, model=panns_model),
        ResNetExtractor=ResNetExtractor(0.5, size=32, arch='resnet18'),
        SlowFastExtractor=SlowFastExtractor(2.0, frames_per_clip=8, size=32),
        VGGishExtractor=VGGishExtractor(0.96),
        SoccerNetResNetExtractor=SoccerNetResNetExtractor(model=KerasResNetV1((1, 1, 1, 1))))


def test_every_extractor_runs_its_network_without_tf32(extractors):
    assert set(extractors) == set(EXTRACTORS.module_dict), 'a new extractor: add it here'
    seen = []
    hook = torch.nn.modules.module.register_module_forward_pre_hook(lambda m, a: seen.append(tf32_allowed()))
    try:
        for name, ex in extractors.items():
            allow_tf32()
            seen.clear()
            ex.forward_rows(_rows(ex, np.random.default_rng(0)))
            assert seen, name
            assert not any(any(flags) for flags in seen), f'{name} ran a network with TF32 allowed'
            assert tf32_allowed() == [True, True, True], f'{name} did not restore the process setting'
    finally:
        hook.remove()


def test_clip_text_encoder_runs_without_tf32(tiny_clip_model, tiny_clip_name):
    from highlight_plugin.features.clip import CLIPTextEncoder
    enc = CLIPTextEncoder(tiny_clip_name, model=tiny_clip_model)
    seen = []
    hook = torch.nn.modules.module.register_module_forward_pre_hook(lambda m, a: seen.append(tf32_allowed()))
    try:
        allow_tf32()
        enc(['a goal'])
    finally:
        hook.remove()
    assert seen and not any(any(flags) for flags in seen)
    assert tf32_allowed() == [True, True, True]
