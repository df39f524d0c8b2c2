"""Fixtures of the feature-extraction tests: tiny media (``make_media``, tests/conftest.py) and
networks built once per session (random weights)."""
import json

import pytest


TINY_CLIP = 'HLTinyCLIP'  # a 2-layer open_clip config, fast to build and run


@pytest.fixture(scope='session')
def media_dir(tmp_path_factory, make_media):
    """Shared read-only test media."""
    d = tmp_path_factory.mktemp('media')
    make_media(d / 'good.mp4', seconds=5)
    make_media(d / 'ramp.mkv', seconds=5, gray_ramp=True)
    make_media(d / 'noaudio.mp4', seconds=3, audio=None)
    make_media(d / 'two_tracks.mkv', seconds=3, audio='two')
    (d / 'corrupt.mp4').write_bytes(b'\x00\x00\x00\x18ftypmp42' + bytes(range(256)) * 8)
    return d


@pytest.fixture(scope='session')
def tiny_clip_name(tmp_path_factory):
    import open_clip
    cfg = dict(embed_dim=32, vision_cfg=dict(image_size=32, layers=1, width=64, patch_size=16),
               text_cfg=dict(context_length=77, vocab_size=49408, width=32, heads=2, layers=1))
    path = tmp_path_factory.mktemp('clipcfg') / f'{TINY_CLIP}.json'
    path.write_text(json.dumps(cfg))
    open_clip.add_model_config(path)
    return TINY_CLIP


@pytest.fixture(scope='session')
def tiny_clip_model(tiny_clip_name):
    import torch

    from highlight_plugin.features import build_clip
    torch.manual_seed(0)
    return build_clip(tiny_clip_name, None)


@pytest.fixture(scope='session')
def panns_model():
    import torch

    from highlight_plugin.features import build_cnn14
    torch.manual_seed(0)
    return build_cnn14(None)


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Tiny tensors: one intra-op thread is as fast and avoids spin-wait slowdowns when
    the (2-core) machine is busy. Restored after each test."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
