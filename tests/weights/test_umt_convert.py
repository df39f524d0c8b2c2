"""Checkpoint conversion from the original UMT and parity with its outputs (tests/data/umt_parity)."""
import datetime
import os
import sys

import pytest
import torch
from mmaction.registry import MODELS
from mmengine.config import Config

from highlight_plugin.engine.errors import CheckpointError
from highlight_plugin.weights.umt import convert_checkpoint, convert_state_dict, extract_state_dict, map_key

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(TESTS)
FIXTURE = os.path.join(TESTS, 'data', 'umt_parity')
BASE = os.path.join(REPO, 'configs', '_base_', 'models', 'umt_base.py')


def fixture_model(variant):
    """The port's config of the fixture model (README.md there): hidden 32, PE 24 rows."""
    cfg = Config.fromfile(BASE).model.to_dict()
    cfg['video_enc'].update(in_channels=16, dims=32, max_len=24)
    cfg['audio_enc'].update(in_channels=12, dims=32, max_len=24)
    cfg['cross_enc'].update(dims=32, max_len=24)
    cfg['query_gen'].update(in_channels=8, dims=32)
    cfg['query_dec'].update(dims=32, max_len=24)
    cfg['saliency_head'].update(dims=32)
    cfg['boundary_head'].update(dims=32)
    if variant == 'hotstar':
        cfg.update(query_gen=None, query_dec=None, boundary_head=None)
        cfg['saliency_head']['loss_weight'] = 1.0
    return MODELS.build(cfg)


def original_state_dict(variant='mrhd'):
    return torch.load(os.path.join(FIXTURE, f'{variant}_original.pth'),
                      weights_only=True)['state_dict']


@pytest.mark.parametrize('variant', ['mrhd', 'hotstar'])
def test_parity_with_original_outputs(variant, tmp_path):
    model = fixture_model(variant)
    dst = tmp_path / 'port.pth'
    convert_checkpoint(os.path.join(FIXTURE, f'{variant}_original.pth'), str(dst), model)
    checkpoint = torch.load(dst, weights_only=True)  # plain container
    assert checkpoint['meta']['original_meta']['nncore_version'] == '0.3.6'
    assert set(checkpoint) == {'meta', 'state_dict'}
    model.load_state_dict(checkpoint['state_dict'])  # strict: every key used
    model.eval()
    cases = torch.load(os.path.join(FIXTURE, f'{variant}_io.pth'), weights_only=True)
    for case in cases:
        inputs, expected = case['inputs'], case['outputs']
        with torch.no_grad():
            out = model(inputs, mode='tensor')
        torch.testing.assert_close(out['saliency'], expected['saliency_logit'], atol=1e-5, rtol=0)
        torch.testing.assert_close(out['saliency'].sigmoid(), expected['saliency'], atol=1e-5,
                                   rtol=0)
        if variant == 'mrhd':
            for key in ('center', 'window', 'offset'):
                torch.testing.assert_close(out[key], expected[key], atol=1e-5, rtol=0)
            windows = model.boundary_head.decode((out['center'], out['window'], out['offset']),
                                                 inputs['video_mask'])
            torch.testing.assert_close(torch.stack(windows), expected['boundary'], atol=1e-5,
                                       rtol=0)


def test_key_map_examples():
    assert map_key('video_enc.mapping.linear.weight') == 'video_enc.input_proj.weight'
    assert map_key('audio_enc.encoder.att.m.bias') == 'audio_enc.layers.0.attn.m.bias'
    assert map_key('video_enc.encoder.ffn.mapping.3.weight') == 'video_enc.layers.0.ffn.fc2.weight'
    assert map_key('cross_enc.encoder.encoder.0.att3.q.weight') == 'cross_enc.layers.0.attn_vt.q.weight'
    assert map_key('cross_enc.encoder.encoder.0.norm4.bias') == 'cross_enc.layers.0.norm_t2.bias'
    assert map_key('cross_enc.encoder.token') == 'cross_enc.tokens'
    assert map_key('query_gen.mapping.linear.weight') == 'query_gen.proj.weight'
    assert map_key('query_dec.decoder.2.att2.k.weight') == 'query_dec.layers.2.cross_attn.k.weight'
    assert map_key('query_dec.k_pos_enc.pe') == 'query_dec.pos_enc_k.pe'
    assert map_key('pred_head.0.center_pred.linear.bias') == 'boundary_head.center_fc.bias'
    assert map_key('pred_head.1.saliency_pred.linear.weight') == 'saliency_head.fc.weight'
    assert map_key('query_gen.mapping.linear.bias') is None  # the original has no such bias
    assert map_key('video_enc.encoder.att.x.weight') is None


def test_containers_and_prefix():
    sd = {'module.video_enc.pos_enc.pe': torch.zeros(1, 3, 2)}
    for obj in (sd, {'state_dict': sd, 'optimizer': {'x': 1}}, {'model': sd, 'meta': {}}):
        assert list(extract_state_dict(obj)) == ['video_enc.pos_enc.pe']
    with pytest.raises(CheckpointError, match='non-tensor entries: epoch'):
        extract_state_dict({'epoch': 3, 'weights': sd})
    with pytest.raises(CheckpointError, match='expected a dict'):
        extract_state_dict([1, 2])


def test_every_problem_named_in_one_error():
    target = fixture_model('mrhd').state_dict()
    sd = dict(original_state_dict())
    del sd['query_dec.decoder.1.norm2.bias']
    sd['query_dec.decoder.9.norm2.bias'] = torch.zeros(32)
    sd['some.other.weight'] = torch.zeros(1)
    sd['video_enc.mapping.linear.weight'] = torch.zeros(32, 17)
    with pytest.raises(CheckpointError) as info:
        convert_state_dict(sd, target, source='ckpt.pth')
    msg = str(info.value)
    assert msg.startswith('ckpt.pth')
    assert 'unexpected keys: query_dec.decoder.9.norm2.bias, some.other.weight' in msg
    assert 'missing keys: query_dec.layers.1.norm2.bias' in msg
    assert 'mis-shaped keys: video_enc.input_proj.weight (32, 17) (model expects (32, 16))' in msg


def test_head_absent_from_config_is_unexpected():
    target = fixture_model('hotstar').state_dict()
    sd = {k: v for k, v in original_state_dict().items()
          if not k.startswith(('query_gen', 'query_dec'))}
    with pytest.raises(CheckpointError, match=r'unexpected keys: pred_head\.1\.center_pred'):
        convert_state_dict(sd, target)


def test_unsafe_or_missing_file(tmp_path):
    path = tmp_path / 'unsafe.pth'  # a global that weights_only loading refuses
    torch.save({'state_dict': {}, 'created': datetime.datetime(2024, 1, 1)}, path)
    with pytest.raises(CheckpointError, match='weights_only=True'):
        convert_checkpoint(str(path), str(tmp_path / 'out.pth'))
    with pytest.raises(CheckpointError, match='no such file'):
        convert_checkpoint(str(tmp_path / 'nothing.pth'), str(tmp_path / 'out.pth'))
    assert not (tmp_path / 'out.pth').exists()


def test_cli_round_trip(tmp_path, capsys):
    sys.path.insert(0, os.path.join(REPO, 'tools'))
    try:
        import convert_umt_checkpoint as cli
    finally:
        sys.path.pop(0)
    # a bare, DataParallel-prefixed state dict; the default config (UMT-B) does not fit it
    src = tmp_path / 'bare.pth'
    torch.save({'module.' + k: v for k, v in original_state_dict().items()}, src)
    dst = tmp_path / 'out.pth'
    assert cli.main([str(src), str(dst)]) == 1
    assert 'mis-shaped keys: video_enc.input_proj.weight (32, 16)' in capsys.readouterr().err
    cfg = tmp_path / 'fixture_model.py'
    cfg.write_text(
        "_base_ = ['" + BASE + "']\n"
        "model = dict(video_enc=dict(in_channels=16, dims=32, max_len=24),\n"
        "    audio_enc=dict(in_channels=12, dims=32, max_len=24), cross_enc=dict(dims=32, max_len=24),\n"
        "    query_gen=dict(in_channels=8, dims=32), query_dec=dict(dims=32, max_len=24),\n"
        "    saliency_head=dict(dims=32), boundary_head=dict(dims=32))\n")
    assert cli.main([str(src), str(dst), '--config', str(cfg)]) == 0
    converted = torch.load(dst, weights_only=True)['state_dict']
    model = fixture_model('mrhd')
    model.load_state_dict(converted)
    torch.testing.assert_close(converted['query_dec.pos_enc_q.pe'],
                               original_state_dict()['query_dec.q_pos_enc.pe'])
