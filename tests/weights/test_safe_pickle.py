"""Published pickles read as data: numpy arrays, containers and named records; code is refused."""
import os
import pickle
import subprocess
import sys
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch

from highlight_plugin.engine.errors import CheckpointError
from highlight_plugin.features.base import load_state_dict
from highlight_plugin.weights import PickledObject, load_pickle, save_tensors

REPO = Path(__file__).resolve().parents[2]


class Estimator:  # stands for a scikit-learn object: pickled by reference to its class
    def __init__(self):
        self.n_components = 2
        self.components_ = np.eye(2, 3, dtype=np.float32)


class Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


@pytest.mark.parametrize('protocol', [0, 2, 4, 5])
def test_arrays_and_containers(protocol):
    data = dict(blobs=OrderedDict(w=np.arange(6, dtype=np.float32).reshape(2, 3), b=np.float64(1.5)),
                meta=[1, 'x', (2.5, None), {3, 4}, b'raw'], half=np.ones(4, np.float16), f=np.zeros((2, 2)).T)
    back = load_pickle(pickle.dumps(data, protocol=protocol))
    np.testing.assert_array_equal(back['blobs']['w'], data['blobs']['w'])
    assert back['blobs']['b'] == 1.5 and back['meta'] == data['meta'] and back['half'].dtype == np.float16
    np.testing.assert_array_equal(back['f'], data['f'])


def test_python2_names():
    assert load_pickle(b'\x80\x02c__builtin__\nset\nq\x00]q\x01(K\x01K\x02e\x85q\x02Rq\x03.') == {1, 2}


@pytest.mark.parametrize('protocol', [0, 2, 5])
def test_objects_become_records(protocol):
    raw = pickle.dumps(dict(pca=Estimator()), protocol=protocol)
    name = f'{Estimator.__module__}.Estimator'
    with pytest.raises(CheckpointError, match=f'refusing to load {name}'):
        load_pickle(raw, what='pca.pkl')
    rec = load_pickle(raw, records=(name, ))['pca']
    assert isinstance(rec, PickledObject) and rec.pickled_class == name
    assert rec['n_components'] == 2 and rec.get('missing') is None
    np.testing.assert_array_equal(rec['components_'], np.eye(2, 3))
    assert load_pickle(raw, records=(Estimator.__module__ + '.', ))['pca'].pickled_class == name


def test_code_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / 'ran'
    path = tmp_path / 'evil.pkl'
    path.write_bytes(pickle.dumps(dict(w=np.zeros(2), x=Payload(marker))))
    with pytest.raises(CheckpointError, match=r'evil\.pkl: refusing to load (posix|nt)\.system'):
        load_pickle(path)
    assert not marker.exists()
    with pytest.raises(CheckpointError, match='not a readable pickle'):
        load_pickle(b'\x80\x04not a pickle', what='junk.pkl')
    with pytest.raises(CheckpointError, match='missing.pkl: cannot read'):
        load_pickle(tmp_path / 'missing.pkl')


@pytest.mark.parametrize('suffix', ['.safetensors', '.pth'])
def test_tensors_only_files(tmp_path, suffix):
    tensors = dict(a=torch.randn(3, 2), b=torch.arange(4))
    path = save_tensors(str(tmp_path / f'w{suffix}'), tensors)
    back = load_state_dict(path, 'test', '')
    assert set(back) == {'a', 'b'} and all(torch.equal(back[k], v) for k, v in tensors.items())


def test_convert_weights_tool(tmp_path):
    tool = [sys.executable, str(REPO / 'tools' / 'convert_weights.py')]
    assert subprocess.run(tool + ['--list'], capture_output=True, text=True, cwd=tmp_path).returncode == 0
    bad = subprocess.run(tool + ['no-such-format', 'x', '--out', 'y'], capture_output=True, text=True, cwd=tmp_path)
    assert bad.returncode != 0 and 'no-such-format' in bad.stderr and 'Traceback' not in bad.stderr
