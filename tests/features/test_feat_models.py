"""SlowFast, ResNet-152 + PCA and VGGish on tiny inputs (random weights)."""
import copy

import numpy as np
import pytest
import torch

from highlight_plugin.apis.extract import extract
from highlight_plugin.apis.extract_catalogue import collect_videos, fit_pca_on_videos, run_extraction
from highlight_plugin.engine.errors import CheckpointError, ConfigError
from highlight_plugin.features import (PCA, ResNetExtractor, SlowFastExtractor, VGGishConv, VGGishExtractor,
                                       build_extractors, build_vggish, get_layout, load_weights)
from highlight_plugin.features.vggish import mel_matrix


@pytest.fixture(scope='module')
def resnet():
    torch.manual_seed(0)
    return ResNetExtractor(0.5, size=32, arch='resnet18')  # ResNet-152's code path, 512-d, fast


@pytest.fixture(scope='module')
def vggish():
    torch.manual_seed(0)
    return VGGishExtractor(0.5)


def test_slowfast_pooled_pathways_and_checkpoint(media_dir, tmp_path):
    torch.manual_seed(0)
    ex = SlowFastExtractor(2.0, frames_per_clip=8, size=32, batch_size=2)
    assert ex.spec.fps == 4.0 and ex.units_per_row == 8
    feats = extract(str(media_dir / 'good.mp4'), dict(slowfast=ex)).features['slowfast']
    assert feats.shape == (2, 2304) and np.isfinite(feats).all()
    # an mmaction2 recognizer checkpoint: backbone.* loaded, the head ignored
    ckpt = tmp_path / 'slowfast.pth'
    state = {f'backbone.{k}': v for k, v in ex.model.state_dict().items()}
    state['cls_head.fc_cls.weight'] = torch.zeros(400, 2304)
    torch.save(dict(meta=dict(epoch=1), state_dict=state), ckpt)
    loaded = copy.deepcopy(ex.model)
    for p in loaded.parameters():
        p.data.zero_()
    load_weights(loaded, str(ckpt), 'SlowFast', '', prefixes=('backbone.',))  # as build_slowfast(ckpt)
    rows = np.random.default_rng(0).integers(0, 255, (1, 8, 32, 32, 3), dtype=np.uint8)
    np.testing.assert_array_equal(SlowFastExtractor(2.0, frames_per_clip=8, model=loaded).forward_rows(rows),
                                  ex.forward_rows(rows))


def test_resnet_pca_fit_once_and_reapply(media_dir, tmp_path, resnet):
    raw = extract(str(media_dir / 'good.mp4'), dict(resnet=resnet)).features['resnet']
    assert raw.shape == (10, 512)  # 2 fps over 5 s
    path = tmp_path / 'pca.npz'
    pca = fit_pca_on_videos([media_dir / 'noaudio.mp4', media_dir / 'good.mp4'], str(path),
                            n_components=4, extractor=resnet)
    assert (pca.in_dim, pca.out_dim) == (512, 4)
    reduced = ResNetExtractor(0.5, size=32, pca=str(path), model=resnet.model)
    assert reduced.dim == 4
    out = extract(str(media_dir / 'good.mp4'), dict(resnet=reduced)).features['resnet']
    loaded = PCA.load(str(path))
    np.testing.assert_allclose(out, (raw - loaded.mean) @ loaded.components.T, rtol=1e-4, atol=1e-4)
    # the streaming fit equals an SVD of the stacked rows (up to each axis' sign)
    x = np.random.default_rng(0).standard_normal((50, 6)) @ np.diag([5, 4, 3, 2, 1, 0.5])
    _, _, vt = np.linalg.svd(x - x.mean(0))
    np.testing.assert_allclose(np.abs(PCA.fit(x, 3).components), np.abs(vt[:3]), atol=1e-8)
    with pytest.raises(CheckpointError, match='--fit-pca'):
        PCA.load(str(tmp_path / 'missing.npz'))
    with pytest.raises(ConfigError, match='--pca'):
        build_extractors(get_layout('soccernet'), ['resnet'], random_init=True)


def test_vggish_logmel_and_conv4_2(vggish, tmp_path):
    m = mel_matrix()
    assert m.shape == (257, 64) and m[0].sum() == 0
    centres = m.argmax(0)
    assert np.all(np.diff(centres) >= 0) and centres[0] * 31.25 >= 93 and centres[-1] * 31.25 <= 7500
    t = np.arange(8000) / 16000
    tone = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    lm = vggish.log_mel(torch.from_numpy(tone)[None])[0]
    assert lm.shape == (48, 64)
    peak_band = int(lm.mean(0).argmax())
    assert abs(centres[peak_band] * 31.25 - 1000) < 100
    out = vggish.forward_rows(np.stack([tone, tone * 0]))
    assert out.shape == (2, 512) and not np.allclose(out[0], out[1])
    # a torchvggish-style state dict: features.* loaded, embeddings.* ignored
    state = dict(vggish.model.state_dict(), **{'embeddings.0.weight': torch.zeros(8, 8)})
    torch.save(state, tmp_path / 'vggish.pth')
    loaded = VGGishExtractor(0.5, model=build_vggish(str(tmp_path / 'vggish.pth')))
    np.testing.assert_allclose(loaded.forward_rows(tone[None]), out[:1], rtol=1e-4, atol=1e-6)
    assert isinstance(loaded.model, VGGishConv)


def test_soccernet_layout(make_media, tmp_path, resnet, vggish):
    game = tmp_path / 'in' / 'england_epl' / '2014-2015' / '2015-02-21 - 18-00 Chelsea 1 - 1 Burnley'
    game.mkdir(parents=True)
    make_media(game / '1_224p.mkv', seconds=3)
    make_media(game / '2_224p.mkv', seconds=2)
    pca = tmp_path / 'pca.npz'
    PCA(np.zeros(512), np.eye(8, 512), features='torchvision-resnet').save(pca)
    ex = dict(resnet=ResNetExtractor(0.5, size=32, pca=str(pca), model=resnet.model), vggish=vggish)
    counts = run_extraction(collect_videos([tmp_path / 'in']), tmp_path / 'out', get_layout('soccernet'), ex,
                            progress=False)
    assert counts['done'] == 2
    out = tmp_path / 'out' / 'england_epl' / '2014-2015' / game.name
    r1, v1 = np.load(out / '1_ResNET_TF2_PCA512.npy'), np.load(out / '1_VGGish.npy')
    assert r1.shape == (6, 8) and r1.dtype == np.float32 and v1.shape == (6, 512) and v1.dtype == np.float64
    assert np.load(out / '2_VGGish.npy').shape == (4, 512)
