"""make_highlights over a catalogue (issue 10): a folder of films or of matches, networks built once, one folder per
item, finished items skipped, failures recorded while the batch goes on, items shared among processes."""
import importlib.util
import json
import os.path as osp

import numpy as np
import pytest
import torch

from highlight_plugin.apis import init_model
from highlight_plugin.apis.catalogue import match_items, run_catalogue
from highlight_plugin.engine import run_cli
from highlight_plugin.engine.errors import DataError

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FILM = osp.join(REPO, 'configs', 'umt_hotstar.py')
MATCH = osp.join(REPO, 'configs', 'soccernet', 'netvlad512_cmga-after_20s_highlight.py')
TINY = ['model.video_pool.num_clusters=8', 'model.audio_pool.num_clusters=8']


@pytest.fixture
def tool(capsys):
    """tool([...]) runs tools/make_highlights.py in-process: (exit code, stdout, stderr)."""
    spec = importlib.util.spec_from_file_location('make_highlights_tool', osp.join(REPO, 'tools', 'make_highlights.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def run(argv):
        try:
            run_cli(module.main, [str(a) for a in argv])
            code = 0
        except SystemExit as exc:
            code = exc.code
        out = capsys.readouterr()
        return code, out.out, out.err
    return run


def _lines(path):
    return [json.loads(line) for line in open(path)] if osp.isfile(path) else []


@pytest.fixture(scope='module')
def films(tmp_path_factory, make_media):
    """A folder with two films (one in a subfolder) and a broken file, their Hotstar features, a UMT checkpoint."""
    d = tmp_path_factory.mktemp('catalogue')
    videos = d / 'videos'
    (videos / 'season1').mkdir(parents=True)
    make_media(videos / 'pilot.mp4', seconds=20, size='96x54', fps=5)
    make_media(videos / 'season1' / 'ep01.mp4', seconds=20, size='96x54', fps=5)
    (videos / 'broken.mp4').write_bytes(b'not a video')
    feats = d / 'hotstar'
    rng = np.random.default_rng(0)
    for vid in ('pilot', 'ep01', 'broken'):
        for folder, key, rows, dim in (('clip_features', 'features', 20, 512), ('panns_features', 'arr_0', 10, 2048)):
            (feats / folder).mkdir(parents=True, exist_ok=True)
            np.savez(feats / folder / f'{vid}.npz', **{key: rng.standard_normal((rows, dim)).astype(np.float32)})
    torch.manual_seed(0)
    ckpt = d / 'umt.pth'
    torch.save(dict(state_dict=init_model(FILM).state_dict()), ckpt)
    return dict(videos=videos, feats=feats, ckpt=ckpt)


def test_a_folder_of_films_resumes_and_records_failures(films, tmp_path, tool):
    out = tmp_path / 'reels'
    args = [films['videos'], FILM, films['ckpt'], '--out-dir', out, '--features', films['feats'], '--min-len', '4',
            '--max-len', '8', '--top-k', '1']
    code, stdout, err = tool(args)
    assert code == 1, err  # the others are finished, then a failure makes the run fail (a scheduler notices)
    assert '2 done, 0 skipped, 1 failed' in stdout
    for item in ('pilot', 'season1/ep01'):
        result = json.loads((out / item / 'highlights.json').read_text())
        assert (out / item / result['segments'][0]['clip']).is_file() and (out / item / 'reel.mp4').is_file()
    failed, = _lines(out / 'failures.jsonl')
    assert failed['id'] == 'broken' and 'broken.mp4' in failed['error']
    assert sorted(r['id'] for r in _lines(out / 'reels.jsonl')) == ['pilot', 'season1/ep01']
    assert not [p for p in out.iterdir() if p.name.startswith('.partial')]

    code, stdout, err = tool(args)  # finished items are skipped, the failed one is tried again
    assert code == 1 and '0 done, 2 skipped, 1 failed' in stdout
    assert len(_lines(out / 'reels.jsonl')) == 2 and len(_lines(out / 'failures.jsonl')) == 2


def test_items_are_shared_among_processes(films, tmp_path, tool, monkeypatch):
    """torchrun's RANK / WORLD_SIZE (or Slurm's SLURM_PROCID / SLURM_NTASKS): each item made by one process."""
    out = tmp_path / 'reels'
    made, failed_before = [], 0
    for rank, launcher, env in ((0, 'pytorch', dict(RANK='0', WORLD_SIZE='2')),
                                (1, 'slurm', dict(SLURM_PROCID='1', SLURM_NTASKS='2'))):
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        code, stdout, err = tool([films['videos'], FILM, films['ckpt'], '--out-dir', out, '--features', films['feats'],
                                  '--min-len', '4', '--max-len', '8', '--top-k', '1', '--no-cut', '--snap', '0',
                                  '--launcher', launcher])
        failed = len(_lines(out / 'failures.jsonl')) if (out / 'failures.jsonl').exists() else 0
        assert f'[rank {rank}/2]' in stdout and code == (1 if failed > failed_before else 0), err
        failed_before = failed
        made.append({r['id'] for r in _lines(out / 'reels.jsonl')} | {r['id'] for r in _lines(out / 'failures.jsonl')})
    first, both = made
    assert first and first < both and both == {'broken', 'pilot', 'season1/ep01'}


def test_a_folder_of_matches(tmp_path, make_media, tool):
    """Football: every folder holding 1_<name> and 2_<name> is a match (its features beside it, or in the same
    place under --features); a lone half is a failure."""
    root = tmp_path / 'matches'
    rng = np.random.default_rng(0)
    for game in ('league/2015/game_a', 'league/2016/game_b'):
        folder = root / game
        folder.mkdir(parents=True)
        for half in (1, 2):
            make_media(folder / f'{half}_224p.mkv', seconds=30, size='96x54', fps=5)
            np.save(folder / f'{half}_ResNET_TF2_PCA512.npy', rng.standard_normal((60, 512)).astype(np.float32))
            np.save(folder / f'{half}_VGGish.npy', rng.standard_normal((60, 512)))
    (root / 'league' / 'lonely').mkdir()
    make_media(root / 'league' / 'lonely' / '1_224p.mkv', seconds=3, size='96x54', fps=5)
    items, rejected = match_items([str(root)], str(root))
    assert sorted(i.id for i in items) == ['league/2015/game_a', 'league/2016/game_b']
    assert [osp.basename(v) for v, _ in rejected] == ['1_224p.mkv'] and 'no 2_224p' in rejected[0][1]
    torch.manual_seed(0)
    ckpt = tmp_path / 'cmga.pth'
    model = init_model(MATCH, cfg_options={'model.video_pool.num_clusters': 8, 'model.audio_pool.num_clusters': 8})
    with torch.no_grad():
        model.classifier.bias[0], model.classifier.bias[4] = -3.0, 3.0  # goals everywhere
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    out = tmp_path / 'reels'
    code, stdout, err = tool([root, MATCH, ckpt, '--out-dir', out, '--features', root, '--no-cut',
                              '--cfg-options', *TINY])
    assert code == 1 and '2 done, 0 skipped, 1 failed' in stdout, err
    result = json.loads((out / 'league' / '2015' / 'game_a' / 'highlights.json').read_text())
    assert {h['half'] for h in result['halves']} == {1, 2} and result['segments']
    assert all(s['start'] <= s['event'] <= s['end'] for s in result['segments'])
    code, _, err = tool([root, MATCH, ckpt, '--out-dir', out, '--second-half-start', '10', '--cfg-options', *TINY])
    assert code == 2 and '--second-half-start names one match' in err


def test_run_catalogue_stops_on_a_config_error_and_refuses_clashing_ids(tmp_path):
    from highlight_plugin.apis.catalogue import CatalogueItem
    from highlight_plugin.engine.errors import ConfigError
    items = [CatalogueItem('a', 'x/a.mp4'), CatalogueItem('a', 'y/a.mkv')]
    with pytest.raises(ConfigError, match='would both write'):
        run_catalogue(items, str(tmp_path), lambda item, out: None)

    def make(item, out):
        raise (DataError if item.id == 'b' else ConfigError)(f'{item.video}: bad')
    counts = run_catalogue([CatalogueItem('b', 'b.mp4')], str(tmp_path), make, log=lambda *a: None)
    assert counts == dict(done=0, skipped=0, failed=1)
    with pytest.raises(ConfigError):
        run_catalogue([CatalogueItem('c', 'c.mp4')], str(tmp_path), make, log=lambda *a: None)
