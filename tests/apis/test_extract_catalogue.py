import json
import shutil

import numpy as np
import pytest

from highlight_plugin.apis.extract_catalogue import collect_videos, run_extraction
from highlight_plugin.engine.errors import CheckpointError, DataError
from highlight_plugin.features import CLIPExtractor, PANNsExtractor, get_layout, save_array

pytestmark = pytest.mark.usefixtures('one_torch_thread')


@pytest.fixture(scope='module')
def extractors(tiny_clip_model, panns_model):
    return dict(clip=CLIPExtractor(1.0, model=tiny_clip_model), panns=PANNsExtractor(2.0, model=panns_model))


def _videos(media_dir, tmp_path, names):
    d = tmp_path / 'in'
    d.mkdir()
    for n in names:
        shutil.copy(media_dir / n, d / n)
    return d


def test_hotstar_run_failures_skip_overwrite(media_dir, tmp_path, extractors):
    src = _videos(media_dir, tmp_path, ['good.mp4', 'corrupt.mp4', 'noaudio.mp4'])
    out = tmp_path / 'out'
    layout = get_layout('hotstar')
    counts = run_extraction(collect_videos([src]), out, layout, extractors, progress=False)
    assert counts == dict(done=1, skipped=0, failed=2)
    clip = np.load(out / 'clip_features' / 'good.npz')['features']
    audio = np.load(out / 'panns_features' / 'good.npz')['arr_0']
    assert clip.shape == (5, 32) and audio.shape == (2, 2048)  # 1 fps; 2-s windows, remainder dropped
    failures = [json.loads(line) for line in (out / 'failures.jsonl').read_text().splitlines()]
    assert {f['video'].split('/')[-1] for f in failures} == {'corrupt.mp4', 'noaudio.mp4'}
    assert any('no audio stream' in f['error'] for f in failures)
    assert not list(out.rglob('*.tmp'))
    done = json.loads((out / 'extracted.jsonl').read_text().splitlines()[0])
    assert done['vid'] == 'good' and done['rows'] == dict(clip=5, panns=2)
    # rerun: skipped; a tampered output is kept unless --overwrite
    save_array(out / 'clip_features' / 'good.npz', np.zeros((1, 32)), 'features')
    assert run_extraction(collect_videos([src]), out, layout, extractors, progress=False)['skipped'] == 1
    assert np.load(out / 'clip_features' / 'good.npz')['features'].shape == (1, 32)
    run_extraction(collect_videos([src / 'good.mp4']), out, layout, extractors, overwrite=True, progress=False)
    np.testing.assert_array_equal(np.load(out / 'clip_features' / 'good.npz')['features'], clip)


def test_audio_language_recorded(media_dir, tmp_path, extractors):
    out = tmp_path / 'out'
    run_extraction(collect_videos([media_dir / 'two_tracks.mkv']), out, get_layout('hotstar'),
                   dict(panns=extractors['panns']), progress=False)
    rec = json.loads((out / 'extracted.jsonl').read_text())
    assert rec['audio_stream'] == dict(index=1, language='hin')  # hotstar prefers en > hin > hi


def test_sharding_covers_each_video_once(media_dir, tmp_path, extractors):
    src = _videos(media_dir, tmp_path, ['good.mp4', 'noaudio.mp4', 'two_tracks.mkv'])
    videos = collect_videos([src])
    out = tmp_path / 'out'
    ex = dict(clip=extractors['clip'])
    c0 = run_extraction(videos, out, get_layout('qvhighlights'), ex, rank=0, world_size=2, progress=False)
    c1 = run_extraction(videos, out, get_layout('qvhighlights'), ex, rank=1, world_size=2, progress=False)
    assert (c0['done'], c1['done']) == (2, 1)
    recs = [json.loads(line)['vid'] for line in (out / 'extracted.jsonl').read_text().splitlines()]
    assert sorted(recs) == ['good', 'noaudio', 'two_tracks']
    assert sorted(p.stem for p in (out / 'clip_features').iterdir()) == sorted(recs)


def test_collect_videos_list_file(media_dir, tmp_path):
    lst = tmp_path / 'list.txt'
    lst.write_text(f'{media_dir / "good.mp4"}\n\n# comment\n{media_dir / "noaudio.mp4"}\n')
    assert [v.name for v, _ in collect_videos([lst])] == ['good.mp4', 'noaudio.mp4']
    lst.write_text(f'{media_dir / "good.mp4"}\nmissing.mp4\n')
    with pytest.raises(DataError, match='list.txt:2'):
        collect_videos([lst])
    with pytest.raises(DataError, match='does not exist'):
        collect_videos([tmp_path / 'nope'])


def test_layout_names(tmp_path):
    q, h, s = get_layout('qvhighlights'), get_layout('hotstar'), get_layout('soccernet')
    f = q.fields(tmp_path / 'abc_60.0_210.0.mp4')
    assert f['vid'] == 'abc_60.0_210.0'
    assert q.path('D', 'clip', f).as_posix() == 'D/clip_features/abc_60.0_210.0.npz'
    assert q.path('D', 'slowfast', f).as_posix() == 'D/slowfast_features/abc_60.0_210.0.npz'
    assert q.path('D', 'panns', f).as_posix() == 'D/pann_features/abc_60.0_210.0.npy'
    assert q.text.pattern.format(qid=7) == 'clip_text_features/qid7.npz'
    assert h.path('D', 'panns', dict(vid='1260')).as_posix() == 'D/panns_features/1260.npz'
    assert h.outputs['panns'].key == 'arr_0' and h.clip_len == dict(clip=1.0, panns=2.0)
    game = 'england_epl/2014-2015/2015-02-21 - 18-00 Chelsea 1 - 1 Burnley'
    f = s.fields(tmp_path / game / '2_224p.mkv', root=tmp_path)
    assert s.path('D', 'resnet', f).as_posix() == f'D/{game}/2_ResNET_TF2_PCA512.npy'
    assert s.path('D', 'vggish', f).as_posix() == f'D/{game}/2_VGGish.npy'
    s2 = s.with_patterns(dict(resnet='{game}/{half}_ResNET_PCA512.npy'))
    assert s2.path('D', 'resnet', f).name == '2_ResNET_PCA512.npy'


def test_cli_end_to_end(media_dir, tmp_path, tiny_clip_name):
    import importlib.util
    from pathlib import Path
    tool = Path(__file__).parents[2] / 'tools' / 'extract_features.py'
    spec = importlib.util.spec_from_file_location('extract_features_tool', tool)
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    queries = tmp_path / 'q.jsonl'
    queries.write_text('{"qid": 3, "query": "a man opens a box"}\n{"qid": 4, "query": "dog"}')
    out = tmp_path / 'out'
    argv = [str(media_dir / 'good.mp4'), '--out-dir', str(out), '--layout', 'qvhighlights',
            '--features', 'clip', '--clip-model', tiny_clip_name, '--random-init', '--queries', str(queries),
            '--no-progress']
    assert cli.main(argv) == 0
    assert np.load(out / 'clip_features' / 'good.npz')['features'].shape == (2, 32)
    text = np.load(out / 'clip_text_features' / 'qid3.npz')
    assert text['last_hidden_state'].shape == (7, 32) and text['pooler_output'].shape == (32,)
    assert text['pooler_output'].shape == (32,)  # the projected end-token state (Moment-DETR's pooler_output)
    # another CLIP network than the recipe's: custom features, and the sidecar says so
    prov = json.loads((out / 'clip_features' / 'provenance.json').read_text())['clip']
    assert prov['recipe'] == 'custom' and prov['network'] == tiny_clip_name and prov['sampling'] == 'centre'
    assert json.loads((out / 'clip_text_features' / 'provenance.json').read_text())['text']['recipe'] == 'custom'
    assert np.load(out / 'clip_text_features' / 'qid4.npz')['last_hidden_state'].shape == (3, 32)
    # no weights and no --random-init: a clear error naming the option
    argv.remove('--random-init')
    assert cli.main(argv + ['--overwrite']) == 1
    with pytest.raises(CheckpointError, match='--clip-checkpoint'):
        from highlight_plugin.features.builder import build_extractors
        build_extractors(get_layout('qvhighlights'), ['clip'])


def test_cli_shares_videos_among_slurm_tasks(media_dir, tmp_path, tiny_clip_name, monkeypatch):
    """--launcher slurm: task r of n extracts the r-th of every n videos of the sorted list (here, of two videos,
    task 1 only ramp.mkv)."""
    import importlib.util
    from pathlib import Path
    tool = Path(__file__).parents[2] / 'tools' / 'extract_features.py'
    spec = importlib.util.spec_from_file_location('extract_features_tool', tool)
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    monkeypatch.setenv('SLURM_PROCID', '1')
    monkeypatch.setenv('SLURM_NTASKS', '2')
    out = tmp_path / 'out'
    assert cli.main([str(media_dir / 'good.mp4'), str(media_dir / 'ramp.mkv'), '--out-dir', str(out), '--layout',
                     'qvhighlights', '--features', 'clip', '--clip-model', tiny_clip_name, '--random-init',
                     '--no-progress', '--launcher', 'slurm']) == 0
    assert sorted(p.name for p in (out / 'clip_features').glob('*.npz')) == ['ramp.npz']
