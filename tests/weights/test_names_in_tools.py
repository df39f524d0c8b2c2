"""Zoo names where weight files go: tools/test.py's CONFIG / CHECKPOINT, training's load_from, the runner's
load_checkpoint, the feature builder's checkpoints and --pca, and provenance.json's citation of the zoo."""
import logging
from types import SimpleNamespace

import pytest
import torch

from highlight_plugin.engine.errors import CheckpointError, ConfigError
from highlight_plugin.engine.launch import make_test_config, make_train_config, model_config
from highlight_plugin.weights.hub import resolve_weights
from tests.helpers.weights_server import sha256


def test_test_tool_takes_a_model_name(zoo_env, tmp_path):
    config = str(zoo_env.parent / 'umt_tiny.py')
    assert model_config('umt-tiny-model') == (config, 'umt-tiny-model')
    assert model_config('umt-tiny-model', 'umt-tiny') == (config, 'umt-tiny')
    with pytest.raises(ConfigError, match='a config needs a CHECKPOINT'):
        model_config(config)
    with pytest.raises(CheckpointError, match=r"no model named 'umt-tiny-mode' .*close: umt-tiny-model"):
        model_config('umt-tiny-mode')
    cfg = make_test_config('umt-tiny-model', work_dir=str(tmp_path / 'w'))
    assert cfg.load_from == resolve_weights('umt-tiny', role='checkpoint')
    assert cfg.load_from.endswith('converted/umt-tiny/umt-tiny.pth')


def test_load_from_takes_a_zoo_name(zoo_env, tmp_path):
    config = str(zoo_env.parent / 'umt_tiny.py')
    cfg = make_train_config(config, work_dir=str(tmp_path / 'w'), cfg_options={'load_from': 'umt-tiny'})
    assert cfg.load_from == resolve_weights('umt-tiny')
    with pytest.raises(CheckpointError, match=r'^umt-tiy: no such file, nor a zoo name of checkpoint weights'):
        make_train_config(config, work_dir=str(tmp_path / 'w'), cfg_options={'load_from': 'umt-tiy'})


def test_runner_loads_a_checkpoint_by_name(zoo_env):
    from highlight_plugin.engine.runner import HighlightRunner
    from highlight_plugin.weights.umt import build_target_model
    model = build_target_model(str(zoo_env.parent / 'umt_tiny.py'))
    runner = SimpleNamespace(model=model, call_hook=lambda *a, **k: None, logger=logging.getLogger('test'))
    HighlightRunner.load_checkpoint(runner, 'umt-tiny-model')
    expected = torch.load(resolve_weights('umt-tiny'), weights_only=True)['state_dict']
    torch.testing.assert_close(model.state_dict()['video_enc.input_proj.weight'],
                               expected['video_enc.input_proj.weight'])
    assert runner._has_loaded


def test_builder_takes_names_and_provenance_cites_the_zoo(zoo_env, published):
    from highlight_plugin.features import get_layout
    from highlight_plugin.features.builder import build_extractors, resolve_checkpoint_option
    ex = build_extractors(get_layout('soccernet'), ['vggish'], checkpoints=dict(vggish='vggish-keras'),
                          recipe='soccernet_tf2_vandd')['vggish']
    assert ex.checkpoint == resolve_weights('vggish-keras') and ex.recipe == 'soccernet_tf2_vandd'
    weights = ex.provenance['weights']
    assert weights['zoo'] == 'vggish-keras' and weights['licence'] == 'licence of vggish-keras'
    assert weights['url'] == published['vggish-keras'][0] and weights['file'] == 'vggish-keras.safetensors'
    from pathlib import Path
    assert weights['sha256'] == sha256(Path(ex.checkpoint).read_bytes())
    assert resolve_checkpoint_option('pca', 'pca-tiny').endswith('converted/pca-tiny/pca-tiny.npz')
    assert resolve_checkpoint_option('resnet', 'torchvision') == 'torchvision'  # hub tags and 'none' pass
    assert resolve_checkpoint_option('clip', 'openai') == 'openai'
    assert resolve_checkpoint_option('vggish', 'none') == 'none'
    with pytest.raises(CheckpointError, match='a zoo entry of pca weights, not vggish weights'):
        build_extractors(get_layout('soccernet'), ['vggish'], checkpoints=dict(vggish='pca-tiny'))
