"""Re-cutting a reel from its saved result and an edit list (issue 20): only changed clips are encoded, the reel and
every export follow the edit, no network runs, bad edit lists change nothing, a failed or killed re-cut leaves the
previous reel in place."""
import hashlib
import importlib.util
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest

from highlight_plugin.apis import HighlightResult
from highlight_plugin.apis.edits.store import EditStore
from highlight_plugin.apis.recut import recut_reel
from highlight_plugin.engine import run_cli
from highlight_plugin.engine.errors import DataError
from highlight_plugin.media.probe import ffmpeg_exe, probe

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# the template reel's machine cut, ranked: c1 21.6-26.0, c2 1.6-6.4, c3 31.6-37.0, c4 11.6-16.0
EDIT = dict(clips=[dict(id='c3', end=39.0), dict(id='c1'), dict(id='c2', dropped=True),
                   dict(id='a1', start=16.5, end=19.0)], order='edited')


def _segments(out):
    return json.load(open(osp.join(out, 'highlights.json')))['segments']


def _edl_events(out):
    """``(source in, source out, record in, record out)`` timecodes of each EDL event, in order."""
    lines = open(osp.join(out, 'highlights.edl')).read().splitlines()
    return [tuple(line.split()[-4:]) for line in lines if line[:3].isdigit()]


def _seconds(timecode, fps=25):
    h, m, s, f = map(int, timecode.split(':'))
    return h * 3600 + m * 60 + s + f / fps


def _digest(path):
    return hashlib.sha1(open(path, 'rb').read()).hexdigest()


def _snapshot(out):
    """Every file of the reel folder (but the lock) -> its content's hash."""
    files = {}
    for here, _, names in os.walk(out):
        for name in names:
            if name != '.recut.lock':
                path = osp.join(here, name)
                files[osp.relpath(path, out)] = _digest(path)
    return files


def _plays(path):
    """Whether ffmpeg decodes the whole file without an error."""
    proc = subprocess.run([ffmpeg_exe(), '-v', 'error', '-i', path, '-f', 'null', '-'], capture_output=True, text=True)
    return proc.returncode == 0 and not proc.stderr.strip()


def test_recut_follows_the_edit_and_reuses_unchanged_clips(reel):
    before = {s['key']: os.stat(osp.join(reel, s['clip'])).st_ino for s in _segments(reel)}
    result = recut_reel(reel, edits=EDIT)
    segs = _segments(reel)
    # the editor's order: the listed clips, then the unlisted machine clip c4; c2 dropped
    assert [s['id'] for s in segs] == ['c3', 'c1', 'a1', 'c4'] and [s['rank'] for s in segs] == [1, 2, 3, 4]
    assert [(s['start'], s['end']) for s in segs] == [(31.6, 39.0), (21.6, 26.0), (16.52, 19.0), (11.6, 16.0)]
    assert segs[0]['snap']['end'] == 'editor' and segs[2]['snap'] == dict(start='editor', end='editor')
    assert 0 < segs[2]['score'] < 1  # an added clip's score: the curve over its span
    total = sum(s['end'] - s['start'] for s in segs)
    assert probe(osp.join(reel, 'reel.mp4')).duration == pytest.approx(total, abs=0.15)
    events = _edl_events(reel)  # the exports follow the reel's order
    assert [_seconds(t) for e in events for t in e[:2]] == pytest.approx([s[k] for s in segs for k in ('start', 'end')])
    assert _seconds(events[-1][3]) == pytest.approx(total, abs=0.05)
    otio = json.load(open(osp.join(reel, 'highlights.otio')))
    starts = [c['source_range']['start_time']['value'] / 25 for c in otio['tracks']['children'][0]['children']]
    assert starts == pytest.approx([s['start'] for s in segs])
    # unchanged clips (c1, c4) are the same files, linked; the changed and added ones are new
    reused = [s['id'] for s in segs if before.get(s['key']) == os.stat(osp.join(reel, s['clip'])).st_ino]
    assert reused == ['c1', 'c4']
    for s in segs:
        assert probe(osp.join(reel, s['clip'])).duration == pytest.approx(s['end'] - s['start'], abs=0.1)
    assert sorted(os.listdir(osp.join(reel, 'clips'))) == [f'highlight_00{i}.{e}' for i in range(1, 5)
                                                           for e in ('jpg', 'mp4')]
    # the result on disk is the edited one, the machine's cut kept beside it; the edits are the reel's now
    saved = HighlightResult.load(reel)
    assert saved.order == 'rank' and len(saved.machine) == 4 and [s['id'] for s in saved.segments] == \
        [s['id'] for s in result.segments]
    first = EditStore(reel).state['clips'][0]
    assert first == dict(id='c3', start=31.6, end=39.0, dropped=False, snap=dict(start=None))
    # the same edits again: nothing to encode, every clip linked
    keys = {s['key']: os.stat(osp.join(reel, s['clip'])).st_ino for s in segs}
    recut_reel(reel)
    assert {s['key']: os.stat(osp.join(reel, s['clip'])).st_ino for s in _segments(reel)} == keys


def test_story_order_shape_and_loudness(reel):
    """Story order puts the reel in time; the shape and loudness of the edit list (and the caller's options) apply."""
    recut_reel(reel, edits=dict(clips=[dict(id='c2', dropped=True)], render=dict(vertical='crop', loudness=-20)))
    segs = _segments(reel)
    assert [s['id'] for s in segs] == ['c1', 'c3', 'c4']  # ranked as the machine ranked them
    assert [s[0] for s in _edl_events(reel)] == ['00:00:11:15', '00:00:21:15', '00:00:31:15']  # in time
    info = probe(osp.join(reel, segs[0]['clip']))
    assert (info.width, info.height) == (100, 180)
    options = HighlightResult.load(reel).options['render']
    assert options['vertical'] == 'crop' and options['loudness']['integrated'] == -20
    recut_reel(reel, render=dict(vertical=None))
    assert probe(osp.join(reel, _segments(reel)[0]['clip'])).width == 320


def test_recut_runs_no_network(reel, tmp_path, monkeypatch, capsys):
    """An empty weight cache, fetching switched off, and every network builder broken: the re-cut (by the tool's
    --recut, and by the API) still succeeds."""
    import highlight_plugin.apis.inference as inference
    import highlight_plugin.apis.predictor as predictor
    import highlight_plugin.features.builder as builder

    def no_network(*args, **kwargs):
        raise AssertionError('a re-cut built a network')
    monkeypatch.setenv('HIGHLIGHT_PLUGIN_HOME', str(tmp_path / 'empty_cache'))
    monkeypatch.setenv('HIGHLIGHT_PLUGIN_OFFLINE', '1')
    for module, name in ((builder, 'build_extractors'), (builder, 'build_text_encoder'), (inference, 'init_model'),
                         (predictor, 'init_model')):
        monkeypatch.setattr(module, name, no_network)
    monkeypatch.setattr(predictor.HighlightPredictor, '__init__', no_network)
    edits = tmp_path / 'edits.json'
    edits.write_text(json.dumps(EDIT))
    spec = importlib.util.spec_from_file_location('make_highlights_tool', osp.join(REPO, 'tools', 'make_highlights.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    run_cli(tool.main, ['--recut', reel, '--edits', str(edits), '--loudness', 'off'])
    assert 'wrote' in capsys.readouterr().out
    assert [s['id'] for s in _segments(reel)] == ['c3', 'c1', 'a1', 'c4']
    assert HighlightResult.load(reel).options['render']['loudness'] is None
    assert not (tmp_path / 'empty_cache').exists() or not os.listdir(tmp_path / 'empty_cache')


BAD_EDITS = [
    ('[1, 2]', 'a JSON object'),
    ('{"clips": [{"id": "c9"}]}', 'the machine cut has 4 clips'),
    ('{"clips": [{"id": "c1", "end": 400}]}', 'past the end of film.mp4'),
    ('{"clips": [{"id": "c1", "start": -1}]}', 'before the start'),
    ('{"clips": [{"id": "c1", "start": 25.9}]}', 'shorter than'),
    ('{"clips": [{"id": "c1", "end": "late"}]}', 'seconds'),
    ('{"clips": [{"id": "c1", "end": NaN}]}', 'seconds'),
    ('{"clips": [{"id": "c1", "dropped": "yes"}]}', 'true or false'),
    ('{"clips": [{"id": "a1", "start": 3}]}', 'needs start and end'),
    ('{"clips": [{"id": "a1", "start": 3, "end": 5, "source": "../etc/passwd"}]}', 'not a file of this reel'),
    ('{"clips": [{"id": "x"}]}', 'clip id'),
    ('{"clips": [{"id": "c1"}, {"id": "c1"}]}', 'listed twice'),
    ('{"clips": [{"id": "c1", "colour": "red"}]}', 'unknown field'),
    ('{"order": "random"}', 'order'),
    ('{"render": {"vertical": "square"}}', 'vertical'),
    ('{"render": {"loudness": 3}}', 'between -70 and 0'),
    ('{"format": "something.else", "version": 1, "state": {}}', 'not an edit list'),
    ('{"format": "highlight_plugin.edits", "version": 7, "state": {}}', 'version 7'),
    ('{"clips": [{"id": "c1", "dropped": true}, {"id": "c2", "dropped": true}, {"id": "c3", "dropped": true}, '
     '{"id": "c4", "dropped": true}]}', 'every clip is dropped'),
    ('{"clips": ', 'not a JSON edit list'),
]


def test_bad_edit_lists_are_refused_and_change_nothing(reel, tmp_path):
    recut_reel(reel, edits=dict(clips=[dict(id='c2', dropped=True)]))  # some edits already, with undo history
    before = _snapshot(reel)
    for i, (text, message) in enumerate(BAD_EDITS):
        path = tmp_path / f'bad{i}.json'
        path.write_text(text)
        with pytest.raises(DataError, match=message):
            recut_reel(reel, edits=str(path))
        assert _snapshot(reel) == before, text
    with pytest.raises(DataError, match='no saved result'):
        recut_reel(str(tmp_path))


def test_a_failed_recut_leaves_the_previous_reel(reel, monkeypatch):
    from highlight_plugin.render import cut
    before = _snapshot(reel)
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        raise DataError('ffmpeg failed writing a clip: disk full')
    monkeypatch.setattr(cut, 'cut_clip', failing)
    with pytest.raises(DataError, match='disk full'):
        recut_reel(reel, edits=EDIT)
    assert calls
    after = _snapshot(reel)
    assert after.pop('edits.json') and after == before  # the edits are kept (the editor's work), nothing else moved
    assert not [p for p in os.listdir(osp.dirname(reel)) if p.startswith('.partial')]


def test_a_recut_killed_half_way_leaves_the_old_reel_playable(reel, tmp_path):
    """Kill -9 a re-cut while it encodes (large 9:16 blurred clips: seconds each): the old reel, JSON and clips are
    untouched and play; the next re-cut clears what the killed one left and succeeds."""
    before = _snapshot(reel)
    edits = tmp_path / 'edits.json'
    edits.write_text(json.dumps(EDIT))
    cmd = [sys.executable, osp.join(REPO, 'tools', 'make_highlights.py'), '--recut', reel, '--edits', str(edits),
           '--vertical', 'blur', '--vertical-size', '1080x1920', '--preset', 'medium']
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    parent, staged = osp.dirname(reel), []
    end = time.time() + 120
    while time.time() < end and proc.poll() is None:
        staged = [osp.join(parent, p, 'clips') for p in os.listdir(parent) if p.startswith('.partial-film-')]
        if any(osp.isdir(s) and os.listdir(s) for s in staged):  # an encode is under way
            break
        time.sleep(0.05)
    assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert staged  # it was killed half-way: a staging folder is left
    after = _snapshot(reel)
    assert after.pop('edits.json') and after == before
    assert _plays(osp.join(reel, 'reel.mp4'))
    result = recut_reel(reel)  # the edits saved before the kill
    assert [s['id'] for s in result.segments] == ['c3', 'c1', 'a1', 'c4']
    assert not [p for p in os.listdir(parent) if p.startswith('.partial')]
    assert _plays(osp.join(reel, 'reel.mp4'))
