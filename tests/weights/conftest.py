"""The zoo's test set-up: a loopback mirror (tests/helpers/weights_server.py), a private cache, and a site zoo
file of random-weight files written in the published formats, registered with their real hashes."""
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.fixtures.soccernet_features import random_weights as rw  # Keras HDF5 writer, VGGish layers
from tests.helpers.weights_server import WeightServer, sha256, zoo_entry

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / 'tests' / 'data'
# the tiny UMT of tests/data/umt_parity (README there): hidden 32, PE 24 rows
TINY_UMT_CONFIG = """_base_ = ['{base}']
model = dict(video_enc=dict(in_channels=16, dims=32, max_len=24),
    audio_enc=dict(in_channels=12, dims=32, max_len=24), cross_enc=dict(dims=32, max_len=24),
    query_gen=dict(in_channels=8, dims=32), query_dec=dict(dims=32, max_len=24),
    saliency_head=dict(dims=32), boundary_head=dict(dims=32))
"""


def panns_like_pth() -> bytes:
    """A PANNs trainer checkpoint's layout (``model`` state dict + side data), tiny random tensors."""
    import io
    torch.manual_seed(0)
    buf = io.BytesIO()
    torch.save({'model': {'conv_block1.conv1.weight': torch.randn(4, 1, 3, 3), 'fc1.bias': torch.randn(8)},
                'iteration': 3}, buf)
    return buf.getvalue()


def caffe2_pkl() -> bytes:
    """PySlowFast's Caffe2 layout: ``{'blobs': {caffe2 name: ndarray}}``, a Python 2 pickle."""
    rng = np.random.RandomState(0)
    blobs = {'conv1_w': rng.randn(8, 3, 1, 7, 7).astype(np.float32), 'model_iter': np.array([1000])}
    return pickle.dumps({'blobs': blobs}, protocol=2)


def vggish_h5(path: Path) -> bytes:
    rw.write_keras_h5(path, rw.random_weights(rw.vggish_layers(), 0))
    return path.read_bytes()


@pytest.fixture(scope='session')
def published(tmp_path_factory):
    """``{name: (publisher URL, bytes, entry)}``: one random-weight file per published format, with its entry."""
    tmp = tmp_path_factory.mktemp('published')
    umt = (DATA / 'umt_parity' / 'mrhd_original.pth').read_bytes()
    pca, average = (DATA / 'soccernet_features' / 'pca8.pkl').read_bytes(), \
        (DATA / 'soccernet_features' / 'average.pkl').read_bytes()
    files = {
        'panns-like': ('https://zenodo.example/record/1/files/Cnn14_mAP%3D0.431.pth?download=1', panns_like_pth(),
                       dict(filename='Cnn14_mAP=0.431.pth', format='torch-pth', role='panns', hash='md5')),
        'umt-tiny': (f'https://hf.example/ckpt/umt_tiny-{sha256(umt)[:8]}.pth', umt,
                     dict(format='nncore-pth', role='checkpoint', hash='prefix',
                          conversion=dict(converter='umt-original', inputs=['umt-tiny'], suffix='.pth'))),
        'vggish-keras': ('https://drive.example/vggish_audioset_weights_without_fc2.h5', vggish_h5(tmp / 'v.h5'),
                         dict(format='keras-h5', role='vggish', hash='sha256', network=dict(clip_len=0.5),
                              conversion=dict(converter='keras-vggish', inputs=['vggish-keras'],
                                              suffix='.safetensors'))),
        'caffe2-like': ('https://fb.example/SLOWFAST_8x8_R50.pkl', caffe2_pkl(),
                        dict(format='caffe2-pkl', role='slowfast', hash=None)),
        'pca-tiny': ('https://github.example/sn/pca_512_TF2.pkl', pca,
                     dict(format='sklearn-pkl', role='pca', hash='sha256',
                          conversion=dict(converter='soccernet-pca', inputs=['pca-tiny', 'average-tiny'],
                                          suffix='.npz'))),
        'average-tiny': ('https://github.example/sn/average_512_TF2.pkl', average,
                         dict(format='numpy-pkl', role=None, hash='git-blob-sha1')),
    }
    return files


@pytest.fixture
def server():
    with WeightServer() as s:
        yield s


@pytest.fixture
def zoo_env(tmp_path, monkeypatch, server, published):
    """A private cache, the loopback mirror, fast time-outs and a site zoo file of the ``published`` files (plus
    a model entry ``umt-tiny-model`` whose config lies beside the zoo file). Returns the zoo file's path."""
    monkeypatch.setenv('HIGHLIGHT_PLUGIN_HOME', str(tmp_path / 'cache'))
    monkeypatch.setenv('HIGHLIGHT_PLUGIN_MIRROR', server.base)
    monkeypatch.setenv('HIGHLIGHT_PLUGIN_TIMEOUT', '5')
    monkeypatch.setenv('HIGHLIGHT_PLUGIN_RETRIES', '0')
    monkeypatch.setenv('HIGHLIGHT_PLUGIN_RETRY_WAIT', '0')
    monkeypatch.delenv('HIGHLIGHT_PLUGIN_OFFLINE', raising=False)
    site = tmp_path / 'site'
    site.mkdir()
    (site / 'umt_tiny.py').write_text(TINY_UMT_CONFIG.format(
        base=REPO / 'configs' / '_base_' / 'models' / 'umt_base.py'))
    weights = []
    for name, (url, data, spec) in published.items():
        server.add(url, data)
        weights.append(zoo_entry(name, url, data, **spec))
    models = [dict(name='umt-tiny-model', description='the tiny UMT of tests/data/umt_parity', config='umt_tiny.py',
                   checkpoint='umt-tiny', recipe=None, no_reels='random test features')]
    path = site / 'zoo.json'
    path.write_text(json.dumps(dict(weights=weights, models=models)))
    monkeypatch.setenv('HIGHLIGHT_PLUGIN_ZOO', str(path))
    return path
