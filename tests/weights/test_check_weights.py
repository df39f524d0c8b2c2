"""tools/check_weights.py on the loopback mirror: fetch, verify, convert, strict-load, one forward pass per entry."""
import importlib.util
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[2] / 'tools' / 'check_weights.py'


def load_tool(name):
    spec = importlib.util.spec_from_file_location(f'tool_{name}', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    """See tests/conftest.py."""


def test_check_weights_on_the_mirror(zoo_env, capsys):
    tool = load_tool('check_weights')
    tool.main(['umt-tiny-model', 'vggish-keras', 'pca-tiny', 'average-tiny'])
    lines = capsys.readouterr().out.strip().splitlines()
    print('\n'.join(lines))
    assert [ln.split(':')[0] for ln in lines] == [
        'OK   umt-tiny', 'OK   vggish-keras', 'OK   pca-tiny', 'OK   average-tiny']
    assert 'HighlightUMT (umt_tiny.py) loaded strictly, forward saliency (1, 8)' in lines[0]
    assert 'VGGish' in lines[1] and 'forward (1, 512)' in lines[1] and 'vggish-keras.safetensors' in lines[1]
    assert 'PCA 2048 -> 8' in lines[2]


def test_check_weights_reports_failures_and_exits_non_zero(zoo_env, server, published, capsys):
    from tests.helpers.weights_server import mirror_path
    server.corrupt(mirror_path(published['pca-tiny'][0]))
    tool = load_tool('check_weights')
    with pytest.raises(SystemExit) as e:
        tool.main(['panns-like', 'pca-tiny', 'umt-tiny-modl'])
    assert e.value.code == 1
    lines = capsys.readouterr().out.strip().splitlines()
    print('\n'.join(lines))
    assert len(lines) == 3 and all(ln.startswith('FAIL ') for ln in lines), lines
    assert lines[0].startswith('FAIL panns-like: ') and 'PANNs Cnn14' in lines[0]  # not a Cnn14 state dict
    assert 'sha256 mismatch for pca-tiny' in lines[1]
    assert "no model or weight entry named 'umt-tiny-modl'" in lines[2] and 'umt-tiny-model' in lines[2]
