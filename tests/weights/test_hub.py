"""Fetching zoo files from a loopback mirror: progress, resume, refusal of corrupted files, one download for two
processes, offline / unanswered requests (bounded, counted), conversion cached once, names resolved."""
import hashlib
import json
import multiprocessing
import os
from pathlib import Path

import pytest
import torch

from highlight_plugin.engine.errors import CheckpointError
from highlight_plugin.weights import WEIGHT_CONVERTERS, get_model
from highlight_plugin.weights.hub import cache_home, converted, fetch, resolve_model_weights, resolve_weights
from highlight_plugin.weights.manifest import Manifest
from highlight_plugin.weights.umt import convert_umt_original
from tests.helpers.weights_server import mirror_path, sha256


def _files(root: Path):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob('*') if p.is_file()) if root.exists() else []


def _one_line(error) -> str:
    text = str(error.value)
    assert '\n' not in text
    return text


def test_fetch_with_progress_records_the_manifest(zoo_env, server, published, capsys):
    url, data, _ = published['panns-like']
    path = fetch('panns-like', progress=True)
    assert Path(path).read_bytes() == data and Path(path).name == 'Cnn14_mAP=0.431.pth'
    err = capsys.readouterr().err
    assert 'Cnn14_mAP=0.431.pth' in err and '%' in err  # the tqdm bar
    assert 'licence: licence of panns-like' in err  # printed on the first fetch
    (get,) = server.requests  # the query string (?download=1) is not part of the mirror path
    assert get.path == mirror_path(url) and get.range is None and get.served == len(data)
    record = Manifest(cache_home()).get(path)
    assert record['sha256'] == sha256(data) and record['source'] == url and record['name'] == 'panns-like'
    assert record['url'].startswith(server.base) and record['hash']['algorithm'] == 'md5'
    assert record['licence'] == 'licence of panns-like' and record['fetched']
    assert fetch('panns-like') == path and len(server.requests) == 1  # cached: no request, no licence again
    assert 'licence' not in capsys.readouterr().err


def test_download_cut_half_way_resumes_with_range(zoo_env, server, published):
    url, data, _ = published['vggish-keras']
    half = len(data) // 2
    server.cut(mirror_path(url), at=half)
    with pytest.raises(CheckpointError) as e:
        fetch('vggish-keras')
    message = _one_line(e)
    assert f'after {half} of {len(data)} bytes' in message and '(1 attempt)' in message
    part = cache_home() / 'files' / 'vggish-keras' / 'vggish_audioset_weights_without_fc2.h5.part'
    assert part.stat().st_size == half and _files(cache_home() / 'files') == [
        'vggish-keras/vggish_audioset_weights_without_fc2.h5.part']
    path = fetch('vggish-keras')
    first, second = server.gets(mirror_path(url))
    assert first.range is None and first.served == half
    assert second.range == f'bytes={half}-' and second.served == len(data) - half
    assert Path(path).read_bytes() == data and not part.exists()


def test_cut_download_resumes_within_one_call_when_retries_allow(zoo_env, server, published, monkeypatch):
    monkeypatch.setenv('HIGHLIGHT_PLUGIN_RETRIES', '1')
    url, data, _ = published['umt-tiny']
    server.cut(mirror_path(url), at=1000)
    assert Path(fetch('umt-tiny')).read_bytes() == data
    assert [r.range for r in server.gets(mirror_path(url))] == [None, 'bytes=1000-']


def test_corrupted_file_is_refused_and_deleted(zoo_env, server, published):
    url, data, _ = published['panns-like']
    server.corrupt(mirror_path(url))
    with pytest.raises(CheckpointError) as e:
        fetch('panns-like')
    message = _one_line(e)
    expected = hashlib.md5(data).hexdigest()
    assert message.startswith(f'{server.base}/zenodo.example/record/1/files/Cnn14_mAP%3D0.431.pth?download=1: ')
    assert f'md5 mismatch for panns-like: expected {expected}, found ' in message
    assert _files(cache_home() / 'files') == []  # nothing left, not even the .part
    server.corrupt(mirror_path(url), on=False)
    assert Path(fetch('panns-like')).read_bytes() == data


def _fetch_in_child(name, out):
    try:
        Path(out).write_text(fetch(name))
    except Exception as e:  # noqa: BLE001 - reported to the parent
        Path(out).write_text(f'error: {e}')


def test_two_processes_asking_at_once_make_one_download(zoo_env, server, published, tmp_path):
    url, data, _ = published['umt-tiny']
    server.throttle(mirror_path(url), 0.15)  # ~1.4 s of transfer: the second process asks meanwhile
    ctx = multiprocessing.get_context('fork')
    outs = [tmp_path / f'child{i}.txt' for i in range(2)]
    children = [ctx.Process(target=_fetch_in_child, args=('umt-tiny', str(o))) for o in outs]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
    results = [o.read_text() for o in outs]
    assert results[0] == results[1] and not results[0].startswith('error'), results
    assert Path(results[0]).read_bytes() == data
    assert len(server.gets(mirror_path(url))) == 1


def test_offline_mode_is_one_line_naming_file_url_and_place(zoo_env, server, published, monkeypatch):
    monkeypatch.setenv('HIGHLIGHT_PLUGIN_OFFLINE', '1')
    url, _, _ = published['caffe2-like']
    with pytest.raises(CheckpointError) as e:
        fetch('caffe2-like')
    message = _one_line(e)
    dest = cache_home() / 'files' / 'caffe2-like' / 'SLOWFAST_8x8_R50.pkl'
    assert 'HIGHLIGHT_PLUGIN_OFFLINE' in message and 'SLOWFAST_8x8_R50.pkl' in message
    assert url in message and str(dest) in message
    assert server.requests == []
    # a file put there by hand is used offline (and recorded)
    dest.parent.mkdir(parents=True)
    dest.write_bytes(published['caffe2-like'][1])
    assert fetch('caffe2-like') == str(dest)
    assert Manifest(cache_home()).get(dest)['url'] == 'put in the cache by hand'


def test_unanswered_requests_fail_after_the_configured_attempts(zoo_env, server, published, monkeypatch):
    monkeypatch.setenv('HIGHLIGHT_PLUGIN_TIMEOUT', '0.3')
    monkeypatch.setenv('HIGHLIGHT_PLUGIN_RETRIES', '2')
    url, _, _ = published['panns-like']
    server.hang(mirror_path(url))
    with pytest.raises(CheckpointError) as e:
        fetch('panns-like')
    message = _one_line(e)
    assert 'no answer within 0.3 s (3 attempts)' in message and 'Cnn14_mAP=0.431.pth' in message
    assert len(server.gets(mirror_path(url))) == 3


def test_no_network_fails_after_the_configured_attempts(zoo_env, monkeypatch):
    import socket
    with socket.socket() as s:  # a port nobody listens on
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    monkeypatch.setenv('HIGHLIGHT_PLUGIN_MIRROR', f'http://127.0.0.1:{port}')
    monkeypatch.setenv('HIGHLIGHT_PLUGIN_RETRIES', '1')
    with pytest.raises(CheckpointError) as e:
        fetch('panns-like')
    message = _one_line(e)
    assert 'refused' in message.lower() and '(2 attempts)' in message and 'put it at' in message


def test_no_published_hash_records_the_first_sha256(zoo_env, server, published):
    url, data, _ = published['caffe2-like']
    with pytest.warns(UserWarning, match='publisher gives no hash; recorded sha256 ' + sha256(data)):
        path = fetch('caffe2-like')
    os.remove(path)  # a later download must match what was seen first
    server.corrupt(mirror_path(url))
    with pytest.raises(CheckpointError, match='sha256 \\(recorded at the first download\\) mismatch'):
        fetch('caffe2-like')


def test_converted_file_is_cached_and_reused(zoo_env, published, request):
    calls = []

    def counting(inputs, out):
        """umt-original, counting its calls."""
        calls.append(inputs)
        return convert_umt_original(inputs, out)

    WEIGHT_CONVERTERS.register_module(name='counting-umt', module=counting, force=True)
    request.addfinalizer(lambda: WEIGHT_CONVERTERS.module_dict.pop('counting-umt'))

    site = json.loads(zoo_env.read_text())
    for entry in site['weights']:
        if entry['name'] == 'umt-tiny':
            entry['conversion']['converter'] = 'counting-umt'
    zoo_env.write_text(json.dumps(site))
    first = converted('umt-tiny')
    assert len(calls) == 1 and first.endswith('converted/umt-tiny/umt-tiny.pth')
    record = Manifest(cache_home()).get(first)
    assert record['kind'] == 'converted' and record['converter'] == 'counting-umt'
    assert record['inputs'] == [dict(name='umt-tiny', sha256=sha256(published['umt-tiny'][1]))]
    assert record['sha256'] == sha256(Path(first).read_bytes())
    state = torch.load(first, weights_only=True)['state_dict']
    assert 'video_enc.input_proj.weight' in state  # the port's names
    assert resolve_weights('umt-tiny', role='checkpoint') == first and len(calls) == 1  # reused


def test_resolve_weights_files_names_roles_and_models(zoo_env, tmp_path, monkeypatch):
    mine = tmp_path / 'panns-like'  # an existing file wins over the zoo name
    mine.write_bytes(b'x')
    assert resolve_weights(str(mine), role='panns') == str(mine)
    monkeypatch.chdir(tmp_path)
    assert resolve_weights('panns-like', role='panns') == 'panns-like'
    monkeypatch.chdir(zoo_env.parent)
    with pytest.raises(CheckpointError, match=r"^panns-lik: no such file, nor a zoo name of panns weights "
                                              r"\(close: panns-like"):
        resolve_weights('panns-lik', role='panns')
    with pytest.raises(CheckpointError, match='a zoo entry of checkpoint weights, not clip weights'):
        resolve_weights('umt-tiny', role='clip')
    with pytest.raises(CheckpointError, match='a model name, not vggish weights'):
        resolve_weights('umt-tiny-model', role='vggish')
    model = get_model('umt-tiny-model')
    assert model.config == str(zoo_env.parent / 'umt_tiny.py') and model.licence == 'licence of umt-tiny'
    with pytest.raises(Exception, match='no reel from a raw video: the model reads random test features'):
        model.require_reels()
    paths = resolve_model_weights(model)
    assert list(paths) == ['checkpoint'] and paths['checkpoint'] == resolve_weights('umt-tiny-model')


def test_next_url_after_a_missing_file_or_an_html_page(zoo_env, server, published):
    url, data, _ = published['panns-like']
    site = json.loads(zoo_env.read_text())
    entry = next(e for e in site['weights'] if e['name'] == 'panns-like')
    entry['urls'] = ['https://gone.example/Cnn14.pth', 'https://login.example/Cnn14.pth', url]
    zoo_env.write_text(json.dumps(site))
    server.add('https://login.example/Cnn14.pth', b'<html>sign in</html>', content_type='text/html')
    assert Path(fetch('panns-like')).read_bytes() == data
    assert [r.path for r in server.requests] == ['/gone.example/Cnn14.pth', '/login.example/Cnn14.pth',
                                                 mirror_path(url)]
    entry['urls'] = entry['urls'][:2]
    entry['hash']['value'] = 'f' * 32  # another release: the cached copy is not it
    zoo_env.write_text(json.dumps(site))
    with pytest.raises(CheckpointError) as e:
        fetch('panns-like')
    assert 'answered with an HTML page' in _one_line(e) and '(2 attempts)' in _one_line(e)
    assert _files(cache_home() / 'files') == []


def test_a_cached_file_changed_since_is_checked_again(zoo_env, published):
    path = Path(fetch('pca-tiny'))
    path.write_bytes(path.read_bytes()[:-1] + b'\0')
    with pytest.raises(CheckpointError, match=f'^{path}: sha256 mismatch for pca-tiny: expected'):
        fetch('pca-tiny')
    assert not path.exists()
    path.write_bytes(b'short')  # put there by hand, of another size
    with pytest.raises(CheckpointError, match=f'^{path}: pca-tiny has 5 bytes, the zoo says'):
        fetch('pca-tiny')
    assert Path(fetch('pca-tiny')).read_bytes() == published['pca-tiny'][1]
