"""The review server without a browser (issue 20): only the reels' files and sources are served (no traversal,
encoded or not), a token beyond loopback, bad changes refused with nothing changed, undo and redo, renders queued,
a catalogue's review status, and a killed server that loses nothing."""
import http.client
import importlib.util
import json
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys
import time
from urllib.parse import urlparse

import httpx
import pytest

from highlight_plugin.apis import HighlightResult
from highlight_plugin.apis.recut import recut_reel
from highlight_plugin.engine import run_cli

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def raw_get(base, path, headers=None):
    """GET ``path`` exactly as written (no client normalises ``..`` or decodes anything): ``(status, body)``."""
    url = urlparse(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    conn.putrequest('GET', path, skip_accept_encoding=True)
    for k, v in (headers or {}).items():
        conn.putheader(k, v)
    conn.endheaders()
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


TRAVERSALS = ['/files/film/../secret.txt', '/files/film/../../secret.txt', '/files/film/%2e%2e/secret.txt',
              '/files/film/%2E%2E%2Fsecret.txt', '/files/film/..%2fsecret.txt', '/files/film/%252e%252e%252fsecret.txt',
              '/files/film//etc/passwd', '/files/film/%2Fetc%2Fpasswd', '/files/film/..%5Csecret.txt',
              '/files/film/clips/../../secret.txt', '/files/film/outside.txt', '/files/film/.recut.lock',
              '/files/film/clips/%00.mp4', '/files/../film.mp4', '/files/%2e%2e/film.mp4', '/sources/film/1',
              '/sources/film/-1', '/sources/film/..%2f..%2fsecret.txt', '/static/../app.py', '/static/%2e%2e/app.py',
              '/static/..%2freels.py', '/reel/../api/reels']


def test_only_the_reels_files_and_sources_are_served(reel, serving):
    parent = osp.dirname(reel)
    with open(osp.join(parent, 'secret.txt'), 'w') as fh:
        fh.write('TOP SECRET')
    os.symlink(osp.join(parent, 'secret.txt'), osp.join(reel, 'outside.txt'))  # a link out of the folder
    with serving(reel) as base:
        assert raw_get(base, '/files/film/reel.mp4')[0] == 200
        assert raw_get(base, '/files/film/clips/highlight_001.jpg')[0] == 200
        status, body = raw_get(base, '/sources/film/0')
        assert status == 200 and body == open(HighlightResult.load(reel).video, 'rb').read()
        for path in TRAVERSALS:
            status, body = raw_get(base, path)
            assert 400 <= status < 500 and b'SECRET' not in body and b'root:' not in body and b'import' not in body, \
                (path, status)
        # a source is served with ranges (seeking in the browser)
        status = httpx.get(f'{base}/sources/film/0', headers={'Range': 'bytes=0-99'})
        assert status.status_code == 206 and len(status.content) == 100


def test_beyond_loopback_a_token_is_required(reel, serving):
    with serving(reel, token='s3cret-token') as base:
        assert httpx.get(f'{base}/api/reels/film').status_code == 403
        assert httpx.get(f'{base}/files/film/reel.mp4?token=wrong').status_code == 403
        assert httpx.get(f'{base}/files/film/reel.mp4', headers={'X-Review-Token': 'nope'}).status_code == 403
        with httpx.Client(base_url=base) as client:
            first = client.get('/?token=s3cret-token', follow_redirects=True)  # the printed URL
            assert first.status_code == 200 and 'review_token' in client.cookies
            assert client.get('/api/reels/film').status_code == 200  # the cookie from now on
            assert client.post('/api/reels/film/changes', json=dict(op='drop', id='c2')).status_code == 200
    with serving(reel) as base:  # loopback: no token, but only under a loopback host name (no DNS rebinding)
        assert httpx.get(f'{base}/api/reels/film').status_code == 200
        assert httpx.get(f'{base}/api/reels/film', headers={'Host': 'attacker.example:80'}).status_code == 421


BAD_CHANGES = [
    ('text/plain', '{"op": "drop", "id": "c1"}', 415),
    ('application/json', 'not json', 400),
    ('application/json', '[1]', 400),
    ('application/json', '{"op": "explode"}', 422),
    ('application/json', '{"op": "drop"}', 422),
    ('application/json', '{"op": "drop", "id": "c9"}', 422),
    ('application/json', '{"op": "drop", "id": "c1", "force": true}', 422),
    ('application/json', '{"op": "trim", "id": "c1"}', 422),
    ('application/json', '{"op": "trim", "id": "c1", "end": 1000}', 422),
    ('application/json', '{"op": "trim", "id": "c1", "start": -3}', 422),
    ('application/json', '{"op": "trim", "id": "c1", "start": 25.8}', 422),
    ('application/json', '{"op": "trim", "id": "c1", "end": "26s"}', 422),
    ('application/json', '{"op": "trim", "id": "c1", "end": NaN}', 422),
    ('application/json', '{"op": "trim", "id": "c1", "end": true}', 422),
    ('application/json', '{"op": "trim", "id": "c1", "end": 28, "snap": "no"}', 422),
    ('application/json', '{"op": "move", "id": "c1", "to": 9}', 422),
    ('application/json', '{"op": "move", "id": "c1", "to": "first"}', 422),
    ('application/json', '{"op": "add", "start": 10}', 422),
    ('application/json', '{"op": "add", "start": 10, "end": 99}', 422),
    ('application/json', '{"op": "add", "start": 10, "end": 12, "source": 3}', 422),
    ('application/json', '{"op": "add", "start": 10, "end": 12, "source": "/etc/passwd"}', 422),
    ('application/json', '{"op": "order", "order": "shuffle"}', 422),
    ('application/json', '{"op": "render", "vertical": "4:3"}', 422),
    ('application/json', '{"op": "render", "loudness": 12}', 422),
    ('application/json', '{"op": "drop", "id": "' + 'x' * 70000 + '"}', 413),
]


def test_bad_changes_are_refused_with_a_message_and_change_nothing(reel, serving):
    with serving(reel) as base, httpx.Client(base_url=base) as client:
        assert client.post('/api/reels/film/changes', json=dict(op='drop', id='c2')).status_code == 200
        edits = open(osp.join(reel, 'edits.json'), 'rb').read()
        doc = client.get('/api/reels/film').json()
        for content_type, body, status in BAD_CHANGES:
            response = client.post('/api/reels/film/changes', content=body, headers={'Content-Type': content_type})
            assert response.status_code == status, (body[:80], response.text)
            assert response.json()['error'], body[:80]
            assert open(osp.join(reel, 'edits.json'), 'rb').read() == edits
        after = client.get('/api/reels/film').json()
        assert after['clips'] == doc['clips'] and after['undo'] == doc['undo']
        for body in ({'status': 'maybe'}, {'edge': 'start', 't': 3}, {'id': 'c1', 'edge': 'middle', 't': 3}):
            url = '/api/reels/film/status' if 'status' in body else '/api/reels/film/snap'
            assert 400 <= client.post(url, json=body).status_code < 500
        assert client.post('/api/reels/nope/changes', json=dict(op='drop', id='c1')).status_code == 404
        assert client.delete('/api/reels/film').status_code == 405


def test_changes_snapping_undo_redo_and_render(reel, serving):
    with serving(reel) as base, httpx.Client(base_url=base, timeout=60) as client:
        change = lambda **op: client.post('/api/reels/film/changes', json=op).json()  # noqa: E731
        # dragging c1's end (26.0) to 24.7 snaps to the shot change at 25 s, as the tool snaps
        assert client.post('/api/reels/film/snap', json=dict(id='c1', edge='end', t=24.7)).json() == \
            dict(t=25.0, kind='cut')
        doc = change(op='trim', id='c1', end=24.7)
        assert doc['told']['snap'] == dict(end='cut') and _clip(doc, 'c1')['end'] == 25.0
        doc = change(op='trim', id='c1', end=24.7, snap=False)  # snapping off: on the frame grid
        assert _clip(doc, 'c1')['end'] == 24.72 and doc['told']['snap'] == dict(end='editor')
        doc = change(op='add', start=13.3, end=17.2)  # its start snaps to the cut at 15 s, no change near its end
        assert doc['told']['id'] == 'a1' and (_clip(doc, 'a1')['start'], _clip(doc, 'a1')['end']) == (15.0, 17.2)
        doc = change(op='move', id='c3', to=0)
        assert doc['order'] == 'edited' and doc['clips'][0]['id'] == 'c3' and not doc['rendered']
        undone = client.post('/api/reels/film/undo', json={}).json()
        assert undone['order'] == 'story' and undone['redo'] == 1
        redone = client.post('/api/reels/film/redo', json={}).json()
        assert redone['clips'][0]['id'] == 'c3'
        change(op='drop', id='c2')
        assert client.post('/api/reels/film/render', json={}).json()['state'] in ('queued', 'running')
        end = time.time() + 60
        while client.get('/api/reels/film/render').json()['state'] in ('queued', 'running') and time.time() < end:
            time.sleep(0.1)
        job = client.get('/api/reels/film/render').json()
        assert job['state'] == 'done', job
        doc = client.get('/api/reels/film').json()
        assert doc['rendered'] and doc['reel'].startswith('/files/film/reel.mp4?v=')
        segs = json.load(open(osp.join(reel, 'highlights.json')))['segments']
        kept = [c for c in doc['clips'] if not c['dropped']]
        assert [s['id'] for s in segs] == [c['id'] for c in kept]
        assert [(s['start'], s['end']) for s in segs] == [(c['start'], c['end']) for c in kept]
        assert all(c['rendered'] and c['clip'] for c in kept)
        # a script re-cuts the reel while the server runs: the page shows its edits and its reel
        recut_reel(reel, edits=dict(clips=[dict(id='c1', dropped=True)]))
        doc = client.get('/api/reels/film').json()
        assert _clip(doc, 'c1')['dropped'] and doc['order'] == 'story' and doc['rendered'] and doc['undo'] >= 1


def _clip(doc, cid):
    return next(c for c in doc['clips'] if c['id'] == cid)


def test_a_catalogue_lists_its_reels_with_their_status(reel_template, tmp_path, serving):
    for item in ('season1/ep01', 'pilot'):
        shutil.copytree(reel_template, tmp_path / item)
    (tmp_path / '.partial-pilot-x').mkdir()  # a staging folder is no reel
    with serving(tmp_path) as base, httpx.Client(base_url=base) as client:
        reels = client.get('/api/reels').json()['reels']
        assert [(r['id'], r['slug'], r['status'], r['clips']) for r in reels] == [
            ('pilot', 'pilot', 'to review', 4), ('season1/ep01', 'season1-ep01', 'to review', 4)]
        page = client.get('/').text
        assert 'href="/reel/season1-ep01/"' in page and 'season1/ep01' in page
        assert client.post('/api/reels/season1-ep01/status', json=dict(status='approved')).status_code == 200
        assert client.post('/api/reels/pilot/status', json=dict(status='rejected')).status_code == 200
        assert [r['status'] for r in client.get('/api/reels').json()['reels']] == ['rejected', 'approved']
        assert client.get('/reel/season1-ep01/').status_code == 200
    saved = json.load(open(tmp_path / 'review_status.json'))['reels']
    assert saved['season1/ep01']['status'] == 'approved' and saved['pilot']['status'] == 'rejected'


def test_the_tool_prints_its_url_and_a_killed_server_loses_nothing(reel):
    """tools/review.py on a free loopback port; kill -9 after a change: the restarted server shows it."""
    def start():
        proc = subprocess.Popen([sys.executable, osp.join(REPO, 'tools', 'review.py'), reel], cwd=REPO,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        line = proc.stdout.readline()
        assert line.startswith('review server: http://127.0.0.1:'), line + proc.stderr.read()
        return proc, line.split(': ', 1)[1].strip()
    proc, url = start()
    try:
        assert 'token' not in url
        assert httpx.post(f'{url}api/reels/film/changes', json=dict(op='drop', id='c4')).status_code == 200
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    proc, url = start()
    try:
        doc = httpx.get(f'{url}api/reels/film').json()
        assert _clip(doc, 'c4')['dropped'] and doc['undo'] == 1
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)


def test_the_tool_names_a_folder_without_reels(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location('review_tool', osp.join(REPO, 'tools', 'review.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    for folder, message in ((tmp_path / 'nothing', 'no such folder'), (tmp_path, 'no reel here')):
        with pytest.raises(SystemExit) as exit_:
            run_cli(tool.main, [str(folder)])
        assert exit_.value.code == 2 and message in capsys.readouterr().err
