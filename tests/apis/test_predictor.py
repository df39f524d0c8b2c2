"""HighlightPredictor: a film model by name, fetched from a loopback mirror and converted from the original UMT's
format, then called on a video; its saved result loads back equal; ``--model NAME`` makes the reel end to end."""
import importlib.util
import json
import os.path as osp

import numpy as np
import pytest
import torch

from highlight_plugin.apis import HighlightPredictor, HighlightResult
from highlight_plugin.engine.cli import run_cli
from highlight_plugin.engine.errors import ConfigError
from tests.helpers.weights_server import WeightServer, sha256, zoo_entry

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# the Hotstar variant of the tiny original UMT of tests/data/umt_parity (README there): hidden 32, PE 24 rows,
# video 16 / audio 12 channels; Hotstar's inference_cfg (CLIP + PANNs rows, 1-s clips)
TINY_HOTSTAR = """_base_ = ['{base}']
model = dict(video_enc=dict(in_channels=16, dims=32, max_len=24), audio_enc=dict(in_channels=12, dims=32, max_len=24),
             cross_enc=dict(dims=32, max_len=24), saliency_head=dict(dims=32))
inference_cfg = dict(window=20)
"""
SECONDS = 30


@pytest.fixture(scope='module')
def film(tmp_path_factory, make_media):
    """A 30-s film and its features in the Hotstar layout (random rows of the tiny model's sizes)."""
    root = tmp_path_factory.mktemp('film')
    video = make_media(root / 'film.mp4', seconds=SECONDS, size='96x54', fps=10)
    rng = np.random.default_rng(0)
    (root / 'feats' / 'clip_features').mkdir(parents=True)
    (root / 'feats' / 'panns_features').mkdir(parents=True)
    np.savez(root / 'feats' / 'clip_features' / 'film.npz', features=rng.standard_normal((SECONDS, 16), np.float32))
    np.savez(root / 'feats' / 'panns_features' / 'film.npz', rng.standard_normal((SECONDS // 2, 12), np.float32))
    return dict(video=video, feats=root / 'feats')


@pytest.fixture
def zoo(tmp_path, monkeypatch):
    """A site zoo naming the tiny model (its original-format checkpoint served by a loopback mirror), a private
    cache; yields the server."""
    data = (osp.join(REPO, 'tests', 'data', 'umt_parity', 'hotstar_original.pth'))
    data = open(data, 'rb').read()
    url = f'https://hf.example/checkpoints/umt_tiny_hotstar-{sha256(data)[:8]}.pth'
    site = tmp_path / 'site'
    site.mkdir()
    (site / 'umt_tiny_hotstar.py').write_text(TINY_HOTSTAR.format(base=osp.join(REPO, 'configs', 'umt_hotstar.py')))
    checkpoint = zoo_entry('umt-tiny-hotstar-ckpt', url, data, format='nncore-pth', role='checkpoint',
                           hash='prefix', conversion=dict(converter='umt-original', inputs=['umt-tiny-hotstar-ckpt'],
                                                          suffix='.pth'))
    model = dict(name='umt-tiny-hotstar', description='a tiny Hotstar UMT', config='umt_tiny_hotstar.py',
                 checkpoint='umt-tiny-hotstar-ckpt', recipe='univtg_hotstar')
    (site / 'zoo.json').write_text(json.dumps(dict(weights=[checkpoint], models=[model])))
    for key, value in dict(HIGHLIGHT_PLUGIN_HOME=tmp_path / 'cache', HIGHLIGHT_PLUGIN_ZOO=site / 'zoo.json',
                           HIGHLIGHT_PLUGIN_TIMEOUT=5, HIGHLIGHT_PLUGIN_RETRIES=0).items():
        monkeypatch.setenv(key, str(value))
    monkeypatch.delenv('HIGHLIGHT_PLUGIN_OFFLINE', raising=False)
    with WeightServer() as server:
        server.add(url, data)
        monkeypatch.setenv('HIGHLIGHT_PLUGIN_MIRROR', server.base)
        yield server


def _same(a, b):
    """Two results hold the same segments, scores, analysis and options."""
    assert a.segments == b.segments and a.notes == b.notes and a.options == b.options and a.info == b.info
    np.testing.assert_allclose(a.scores, b.scores, atol=1e-6)
    assert set(a.analysis) == set(b.analysis)
    for source, x in a.analysis.items():
        y = b.analysis[source]
        assert (x.path, x.duration, x.audio_stream, x.starts) == (y.path, y.duration, y.audio_stream, y.starts)
        assert [t.as_dict() for t in x.transitions] == [t.as_dict() for t in y.transitions]
        assert (x.cut.rate, x.cut.width, x.cut.origin) == (y.cut.rate, y.cut.width, y.cut.origin)
        np.testing.assert_allclose(x.envelope.power, y.envelope.power, rtol=1e-6)


def test_a_film_model_by_name(film, zoo, tmp_path):
    """Fetched and converted once, then scored on the film's features; the result, written, loads back equal."""
    torch.manual_seed(0)
    predictor = HighlightPredictor.from_pretrained('umt-tiny-hotstar', device='cpu')
    assert [r.path for r in zoo.requests] == [r.path for r in zoo.requests[:1]] and len(zoo.requests) == 1
    assert predictor.entry.name == 'umt-tiny-hotstar' and predictor.task == 'saliency'
    result = predictor(str(film['video']), features_dir=str(film['feats']), min_len=4, max_len=8, top_k=2)
    assert len(result.scores) == SECONDS and 1 <= len(result.segments) <= 2
    assert all(4 <= s['end'] - s['start'] <= 8 for s in result.segments)
    assert result.options['model']['name'] == 'umt-tiny-hotstar'
    assert result.options['predict']['min_len'] == 4 and str(film['video']) in result.analysis
    result.write(str(tmp_path / 'reel'), loudness=None)
    assert all(osp.isfile(s['clip']) for s in result.segments)
    loaded = HighlightResult.load(str(tmp_path / 'reel'))
    _same(result, loaded)
    assert loaded.files == result.files and loaded.options['render']['loudness'] is None
    again = HighlightPredictor.from_pretrained('umt-tiny-hotstar', device='cpu')  # from the cache: no request
    assert len(zoo.requests) == 1 and again.checkpoint == predictor.checkpoint


def test_options_are_checked(film, zoo):
    predictor = HighlightPredictor.from_pretrained('umt-tiny-hotstar', device='cpu')
    with pytest.raises(ConfigError, match='--second-half is for football'):
        predictor(str(film['video']), features_dir=str(film['feats']), second_half='2.mkv')
    with pytest.raises(ConfigError, match='unknown option'):
        predictor(str(film['video']), features_dir=str(film['feats']), cuts=3)
    with pytest.raises(ConfigError, match='takes no text query'):
        predictor(str(film['video']), features_dir=str(film['feats']), query='a goal')


def test_a_result_of_another_version_is_refused(film, zoo, tmp_path):
    result = HighlightPredictor.from_pretrained('umt-tiny-hotstar', device='cpu')(
        str(film['video']), features_dir=str(film['feats']), snap=0)
    path = result.save(str(tmp_path / 'result.npz'))
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays['meta']))
    arrays['meta'] = np.array(json.dumps(dict(meta, version=99)))
    np.savez(tmp_path / 'old.npz', **arrays)
    with pytest.raises(Exception, match='format version 99'):
        HighlightResult.load(str(tmp_path / 'old.npz'))


def test_the_tool_makes_a_reel_by_model_name(film, zoo, tmp_path, capsys):
    spec = importlib.util.spec_from_file_location('make_highlights_tool', osp.join(REPO, 'tools', 'make_highlights.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = tmp_path / 'reel'
    run_cli(tool.main, [str(film['video']), '--model', 'umt-tiny-hotstar', '--features', str(film['feats']),
                        '--out-dir', str(out), '--min-len', '4', '--max-len', '8', '--device', 'cpu'])
    data = json.loads((out / 'highlights.json').read_text())
    assert data['segments'] and (out / 'reel.mp4').is_file() and (out / 'result.npz').is_file()
    assert HighlightResult.load(str(out)).options['model']['name'] == 'umt-tiny-hotstar'
    assert 'wrote' in capsys.readouterr().out
