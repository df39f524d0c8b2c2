import sys

import numpy as np
import pytest
import torch

from highlight_plugin.engine.errors import CheckpointError
from highlight_plugin.features import CLIPExtractor, build_clip, build_cnn14


def test_clip_checkpoint_roundtrip(tmp_path, tiny_clip_name, tiny_clip_model):
    ckpt = tmp_path / 'clip.pth'
    # a wrapped, DDP-prefixed state dict, as training scripts save them
    torch.save(dict(state_dict={f'module.{k}': v for k, v in tiny_clip_model.state_dict().items()}), ckpt)
    loaded = build_clip(tiny_clip_name, str(ckpt))
    for k, v in tiny_clip_model.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[k], v)
    frames = np.random.default_rng(0).integers(0, 255, (3, 1, 32, 32, 3), dtype=np.uint8)
    np.testing.assert_array_equal(CLIPExtractor(2.0, model=loaded).forward_rows(frames),
                                  CLIPExtractor(2.0, model=tiny_clip_model).forward_rows(frames))
    random = build_clip(tiny_clip_name, 'none')
    assert not torch.equal(random.visual.conv1.weight, tiny_clip_model.visual.conv1.weight)


def test_bad_checkpoints(tmp_path, tiny_clip_name, tiny_clip_model):
    with pytest.raises(CheckpointError, match='not found.*timm/vit_base_patch32_clip_224.openai'):
        build_clip(tiny_clip_name, str(tmp_path / 'missing.pth'))
    with pytest.raises(CheckpointError, match='zenodo'):
        build_cnn14(str(tmp_path / 'Cnn14_mAP=0.431.pth'))
    bad = tmp_path / 'bad.pth'
    state = dict(tiny_clip_model.state_dict())
    state['visual.conv1.weight'] = torch.zeros(3)
    torch.save(state, bad)
    with pytest.raises(CheckpointError, match='does not match'):
        build_clip(tiny_clip_name, str(bad))
    state.pop('visual.conv1.weight')
    torch.save(state, bad)
    with pytest.raises(CheckpointError, match='missing'):
        build_clip(tiny_clip_name, str(bad))
    (tmp_path / 'garbage.pth').write_bytes(b'not a checkpoint')
    with pytest.raises(CheckpointError, match='cannot load'):
        build_clip(tiny_clip_name, str(tmp_path / 'garbage.pth'))


def test_panns_import_downloads_nothing(panns_model):
    # the network class comes without running panns_inference/__init__ (which wgets a CSV)
    assert 'panns_inference' not in sys.modules and 'panns_inference.config' not in sys.modules
    assert type(panns_model).__name__ == 'Cnn14'
    with torch.inference_mode():
        out = panns_model(torch.zeros(1, 32000))['embedding']
    assert out.shape == (1, 2048)


def test_checkpoint_url_is_cached(tmp_path, monkeypatch, tiny_clip_name, tiny_clip_model):
    """A URL is fetched once into torch's hub cache, then loaded like a local file."""
    from highlight_plugin.features.base import resolve_checkpoint
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path / 'hub'))
    calls = []

    def fake_download(url, dst, progress=True):
        calls.append(url)
        torch.save(tiny_clip_model.state_dict(), dst)

    monkeypatch.setattr(torch.hub, 'download_url_to_file', fake_download)
    url = 'https://example.org/files/clip%3Dtiny.pth'
    model = build_clip(tiny_clip_name, url)
    local = tmp_path / 'hub' / 'checkpoints' / 'clip=tiny.pth'
    assert local.is_file() and calls == [url]
    assert resolve_checkpoint(url) == local and len(calls) == 1  # cached
    torch.testing.assert_close(model.visual.conv1.weight, tiny_clip_model.visual.conv1.weight)


def test_panns_batchnorm_folded_keeps_outputs(panns_model):
    """The extractor folds each ConvBlock's BatchNorm (trained statistics, not the identity of a fresh model) into
    its convolution: the embedding is the network's to fp32 rounding, and the caller's model is left as it was."""
    from highlight_plugin.features import PANNsExtractor
    gen = torch.Generator().manual_seed(1)
    for m in panns_model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.rand(m.num_features, generator=gen) * 0.2 - 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
    x = np.random.RandomState(0).randn(3, 32000).astype(np.float32) * 0.1
    with torch.inference_mode():
        ref = panns_model(torch.from_numpy(x))['embedding'].numpy()
    extractor = PANNsExtractor(1.0, model=panns_model)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) and m is not extractor.model.bn0
                   for m in extractor.model.modules())
    assert isinstance(panns_model.conv_block1.bn1, torch.nn.BatchNorm2d)
    np.testing.assert_allclose(extractor.forward_rows(x), ref, rtol=1e-5, atol=1e-5 * np.abs(ref).max())
