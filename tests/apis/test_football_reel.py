"""Football: a match (two files, one file, video.ini offsets, features on disk) -> events -> reel and exports."""
import importlib.util
import json
import os.path as osp
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from highlight_plugin.apis import init_model
from highlight_plugin.apis.football import match_clock, parse_time
from highlight_plugin.engine import run_cli
from highlight_plugin.engine.errors import ConfigError
from highlight_plugin.media.probe import probe
from highlight_plugin.render.exports import edit_source

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'soccernet', 'netvlad512_cmga-after_20s_highlight.py')
GMU_CONFIG = osp.join(REPO, 'configs', 'soccernet', 'netvlad512_gmu_20s_highlight.py')
TINY = ['model.video_pool.num_clusters=8', 'model.audio_pool.num_clusters=8']  # the real heads, small VLADs
SEGMENT_KEYS = {'rank', 'start', 'end', 'score', 'class', 'confidence', 'half', 'event', 'clock', 'clip', 'poster',
                'snap', 'key'}  # key: what the clip is cut from and how (a re-cut reuses the clips whose key holds)
CLOCK = re.compile(r'^(1st|2nd) half (\d+):(\d\d)$')


def _tool():
    spec = importlib.util.spec_from_file_location('make_highlights_tool', osp.join(REPO, 'tools', 'make_highlights.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def tool(capsys):
    """tool([...]) runs tools/make_highlights.py in-process like its __main__: (exit code, stderr)."""
    main = _tool().main

    def run(argv):
        try:
            run_cli(main, [str(a) for a in argv])
            code = 0
        except SystemExit as exc:
            code = exc.code
        return code, capsys.readouterr().err
    return run


def _save(config, path, **biases):
    """Random weights of ``config`` (tiny VLADs); ``biases``: class logit offsets that make events fire."""
    torch.manual_seed(0)
    model = init_model(config, cfg_options={'model.video_pool.num_clusters': 8, 'model.audio_pool.num_clusters': 8})
    classes = ('background', 'kick', 'subs', 'card', 'goal')
    with torch.no_grad():
        for name, bias in biases.items():
            model.classifier.bias[classes.index(name)] = bias
    torch.save(dict(meta=dict(), state_dict=model.state_dict()), path)
    return path


@pytest.fixture(scope='module')
def match(tmp_path_factory, make_media):
    """Two 30-s halves with their SoccerNet features (60 rows), one 70-s file with both, tiny checkpoints."""
    d = tmp_path_factory.mktemp('match')
    game = d / 'game'
    game.mkdir()
    rng = np.random.default_rng(0)
    for half in (1, 2):
        make_media(game / f'{half}_224p.mkv', seconds=30, size='96x54', fps=5)
        np.save(game / f'{half}_ResNET_TF2_PCA512.npy', rng.standard_normal((60, 512)).astype(np.float32))
        np.save(game / f'{half}_VGGish.npy', rng.standard_normal((60, 512)))
    make_media(d / 'whole.mkv', seconds=70, size='96x54', fps=5)
    return dict(dir=d, game=game, ckpt=_save(CONFIG, d / 'cmga.pth', background=-3.0, goal=3.0, card=2.5),
                gmu=_save(GMU_CONFIG, d / 'gmu.pth'))


def _args(match, video, *extra, out=None):
    return [video, CONFIG, match['ckpt'], '--out-dir', out, '--cfg-options', *TINY, *extra]


def _check_schema(seg, half_start):
    assert set(seg) - {'source'} == SEGMENT_KEYS
    assert seg['start'] <= seg['event'] <= seg['end'] and 0 <= seg['confidence'] <= 1 and seg['half'] in (1, 2)
    half, minutes, seconds = CLOCK.match(seg['clock']).groups()
    assert half == ('1st' if seg['half'] == 1 else '2nd')
    assert 60 * int(minutes) + int(seconds) == int(seg['event'] - half_start[seg['half']])


def test_two_file_match_from_features(match, tmp_path, tool):
    game, out = match['game'], tmp_path / 'reel'
    code, err = tool(_args(match, game / '1_224p.mkv', '--second-half', game / '2_224p.mkv', '--features', game,
                           out=out))
    assert code == 0, err
    result = json.loads((out / 'highlights.json').read_text())
    segs = result['segments']
    assert {s['half'] for s in segs} == {1, 2} and [s['rank'] for s in segs] == list(range(1, len(segs) + 1))
    assert [s['score'] for s in segs] == sorted((s['score'] for s in segs), reverse=True)
    for seg in segs:
        _check_schema(seg, {1: 0.0, 2: 0.0})
        assert seg['source'] == str(game / f'{seg["half"]}_224p.mkv')
        assert probe(str(out / seg['clip'])).duration == pytest.approx(seg['end'] - seg['start'], abs=0.3)
    assert [len(h['scores']) for h in result['halves']] == [30, 30] and result['classes'][4] == 'goal'
    assert probe(str(out / 'reel.mp4')).duration == pytest.approx(sum(s['end'] - s['start'] for s in segs), abs=0.6)

    # editor exports in match order: half 1 first; a marker per segment at its event
    in_order = sorted(segs, key=lambda s: (s['half'], s['start']))
    edl = (out / 'highlights.edl').read_text()
    assert [ln.split(': ', 1)[1].strip() for ln in edl.splitlines() if ln.startswith('* FROM CLIP NAME')] == \
        [f'{s["half"]}_224p.mkv' for s in in_order]
    locators = [ln for ln in edl.splitlines() if ln.startswith('* LOC:')]
    assert [ln.split(None, 4)[4] for ln in locators] == [f'{s["clock"]}, {s["class"]}'.upper() for s in in_order]
    import opentimelineio as otio
    clips = list(otio.adapters.read_from_file(str(out / 'highlights.otio')).video_tracks()[0])
    for clip, seg in zip(clips, in_order):
        marker, = clip.markers
        assert marker.name == f'{seg["clock"]}, {seg["class"]}'
        rate = float(edit_source(seg['source']).rate)  # 5 fps has no timecode: the nearest standard rate
        assert marker.marked_range.start_time.rate == pytest.approx(rate)
        assert abs(marker.marked_range.start_time.value - seg['event'] * rate) <= 0.5  # on its frame
        assert clip.media_reference.target_url == Path(seg['source']).as_uri()
    assert not list(out.glob('.partial-*'))


def test_one_file_match_with_video_ini_and_classes(match, tmp_path, tool):
    """One file with both halves; its video.ini moves the first half's kick-off to 5 s; --classes card."""
    d = tmp_path / 'whole'
    d.mkdir()
    (d / 'whole.mkv').symlink_to(match['dir'] / 'whole.mkv')
    (d / 'video.ini').write_text('[whole.mkv]\nstart_time_second = 5\nduration_second = 30\n'
                                 '[1_HQ.mkv]\nstart_time_second = 99\n')
    out = tmp_path / 'reel'
    code, err = tool(_args(match, d / 'whole.mkv', '--second-half-start', '0:38', '--features', match['game'],
                           '--no-cut', out=out))
    assert code == 0, err
    result = json.loads((out / 'highlights.json').read_text())
    assert [(h['start'], h['duration']) for h in result['halves']] == [(5.0, 30.0), (38.0, 32.0)]
    segs = result['segments']
    assert segs and {s['class'] for s in segs} >= {'goal'}
    for seg in segs:
        _check_schema(dict(seg, clip=None, poster=None, key=None), {1: 5.0, 2: 38.0})
        assert 'source' not in seg and seg['start'] >= (5.0 if seg['half'] == 1 else 38.0)
    assert not (out / 'clips').exists() and not (out / 'reel.mp4').exists()

    code, err = tool(_args(match, d / 'whole.mkv', '--second-half-start', '38', '--features', match['game'],
                           '--no-cut', '--classes', 'card', out=tmp_path / 'cards'))
    assert code == 0, err
    cards = json.loads((tmp_path / 'cards' / 'highlights.json').read_text())['segments']
    assert cards and {s['class'] for s in cards} == {'card'}


def test_video_ini_beside_an_untrimmed_half(match, tmp_path, tool):
    d = tmp_path / 'hq'
    d.mkdir()
    (d / '2_HQ.mkv').symlink_to(match['dir'] / 'whole.mkv')
    (d / 'video.ini').write_text('[2_HQ.mkv]\nstart_time_second = 7\nduration_second = 30\n')
    out = tmp_path / 'reel'
    code, err = tool(_args(match, d / '2_HQ.mkv', '--half', '2', '--features', match['game'], '--no-cut', out=out))
    assert code == 0, err
    result = json.loads((out / 'highlights.json').read_text())
    assert [(h['half'], h['start'], h['duration']) for h in result['halves']] == [(2, 7.0, 30.0)]
    for seg in result['segments']:
        _check_schema(dict(seg, clip=None, poster=None, key=None), {2: 7.0})
        assert 7.0 <= seg['start'] and seg['end'] <= 37.0


def test_film_features_from_the_hotstar_layout(tmp_path, make_media, tool):
    """--features with a film model: the layout's files are read and no network is built (no weights given)."""
    film = make_media(tmp_path / 'film.mp4', seconds=40, size='96x54', fps=5)
    rng = np.random.default_rng(0)
    feats = tmp_path / 'hotstar'
    (feats / 'clip_features').mkdir(parents=True)
    (feats / 'panns_features').mkdir()
    np.savez(feats / 'clip_features' / 'film.npz', features=rng.standard_normal((40, 512)).astype(np.float32))
    np.savez(feats / 'panns_features' / 'film.npz', arr_0=rng.standard_normal((20, 2048)).astype(np.float32))
    config = osp.join(REPO, 'configs', 'umt_hotstar.py')
    torch.manual_seed(0)
    ckpt = tmp_path / 'umt.pth'
    torch.save(dict(state_dict=init_model(config).state_dict()), ckpt)
    out = tmp_path / 'reel'
    code, err = tool([film, config, ckpt, '--out-dir', out, '--features', feats, '--min-len', '5', '--max-len', '10',
                      '--top-k', '2', '--no-cut'])
    assert code == 0, err
    result = json.loads((out / 'highlights.json').read_text())
    assert len(result['scores']) == 40 and 1 <= len(result['segments']) <= 2
    assert set(result['segments'][0]) == {'rank', 'start', 'end', 'score', 'snap'}

    np.savez(feats / 'clip_features' / 'film.npz', features=rng.standard_normal((30, 512)).astype(np.float32))
    code, err = tool([film, config, ckpt, '--out-dir', tmp_path / 'bad', '--features', feats])
    assert code == 2 and 'clip_features/film.npz: 30 rows cover 30.0 s but film.mp4 lasts 40.0 s' in err
    assert not (tmp_path / 'bad').exists()
    # features recorded as another recipe's (here: QVHighlights' HERO features) are refused
    np.savez(feats / 'clip_features' / 'film.npz', features=rng.standard_normal((40, 512)).astype(np.float32))
    (feats / 'panns_features' / 'provenance.json').write_text(
        json.dumps(dict(panns=dict(recipe='hero_qvhighlights', feature='panns'))))
    code, err = tool([film, config, ckpt, '--out-dir', tmp_path / 'bad', '--features', feats])
    assert code == 2 and "panns_features/film.npz: panns features of recipe 'hero_qvhighlights', but the model was " \
                          "trained on 'univtg_hotstar'" in err


def test_bad_input_is_one_line_and_writes_nothing(match, tmp_path, tool):
    game, out = match['game'], tmp_path / 'out'
    short = tmp_path / 'short'
    short.mkdir()
    for half in (1, 2):
        np.save(short / f'{half}_ResNET_TF2_PCA512.npy', np.zeros((30, 512), np.float32))
        np.save(short / f'{half}_VGGish.npy', np.zeros((30, 512)))
    cases = [
        (['--half', '1', '--features', game, '--classes', 'goal,gaol'], "--classes: 'gaol' is not a class"),
        (['--second-half', game / '3_224p.mkv', '--features', game], f'--second-half: file not found: {game}/3_224p'),
        (['--features', game], 'a football match has two halves: pass --second-half'),
        (['--second-half-start', '0:75', '--features', game], '--second-half-start: \'0:75\' is not a time'),
        (['--half', '1', '--features', match['dir']], f'not found: {match["dir"]}/1_ResNET_TF2_PCA512.npy'),
        (['--half', '1', '--query', 'a goal', '--features', game], '--query is for film (saliency) models'),
    ]
    for extra, message in cases:
        code, err = tool(_args(match, game / '1_224p.mkv', *extra, out=out))
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, (extra, err)
    # a half shorter than one 20-s window (15 s of features for a 15-s half in a 30-s file)
    ini = tmp_path / 'short.ini'
    ini.write_text('[1_224p.mkv]\nstart_time_second = 10\nduration_second = 15\n')
    code, err = tool(_args(match, game / '1_224p.mkv', '--half', '1', '--video-ini', ini, '--features', short,
                           out=out))
    assert code == 2 and f'{short}/1_ResNET_TF2_PCA512.npy: the 1st half has 15.0 s of features, shorter than ' \
                          'one 20-s window' in err
    # features of another length than the video (15 s of features, 30-s half)
    code, err = tool(_args(match, game / '1_224p.mkv', '--half', '1', '--features', short, out=out))
    assert code == 2 and 'rows cover 15.0 s but the 1st half in 1_224p.mkv lasts 30.0 s' in err
    # a checkpoint of another head
    code, err = tool([game / '1_224p.mkv', CONFIG, match['gmu'], '--out-dir', out, '--half', '1', '--features', game,
                      '--cfg-options', *TINY])
    assert code == 2 and f'{match["gmu"]} does not fit {CONFIG}: it lacks' in err and 'fusion.' in err
    assert not out.exists()


def test_parse_time_and_clock():
    assert [parse_time(t, 'x') for t in ('2850', '47:30', '0:47:30', '90:00.5')] == [2850, 2850, 2850, 5400.5]
    for bad in ('47:60', '1:60:00', '-3', 'abc'):
        with pytest.raises(ConfigError, match='x: '):
            parse_time(bad, 'x')
    assert match_clock(2, 23 * 60 + 14.9) == '2nd half 23:14' and match_clock(1, 0) == '1st half 0:00'


def test_raw_match_to_reel_with_the_real_spotter(tmp_path, make_media):
    """The real tool from a plain checkout: two generated halves, ResNet-152 + PCA + VGGish and the NetVLAD-512
    CMGA spotter, all with random weights."""
    from highlight_plugin.features.pca import PCA, SOCCERNET_FEATURES
    for half in (1, 2):
        make_media(tmp_path / f'{half}_224p.mkv', seconds=30, size='96x54', fps=25)  # V&D's VGGish needs 30 s
    PCA.fit(np.random.default_rng(0).standard_normal((520, 2048)), 512, SOCCERNET_FEATURES).save(
        str(tmp_path / 'pca.npz'))
    out = tmp_path / 'reel'
    proc = subprocess.run([sys.executable, osp.join(REPO, 'tools', 'make_highlights.py'), str(tmp_path / '1_224p.mkv'),
                           CONFIG, 'none', '--second-half', str(tmp_path / '2_224p.mkv'), '--random-init', '--pca',
                           str(tmp_path / 'pca.npz'), '--out-dir', str(out), '--cfg-options',
                           'inference_cfg.decoder.class_cfgs.goal.thresh=0'],  # random weights: every peak a goal
                          capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads((out / 'highlights.json').read_text())
    assert [(h['half'], len(h['scores'])) for h in result['halves']] == [(1, 30), (2, 30)]
    assert {s['half'] for s in result['segments']} == {1, 2} and (out / 'reel.mp4').is_file()
    for seg in result['segments']:
        _check_schema(seg, {1: 0.0, 2: 0.0})


def test_a_failure_while_writing_leaves_nothing(match, tmp_path, monkeypatch):
    """An error in the middle of cutting (here: the second clip) leaves no output and no staging folder."""
    from highlight_plugin.apis import HighlightPredictor
    from highlight_plugin.engine.errors import DataError
    from highlight_plugin.render import cut as cutting
    predictor = HighlightPredictor(CONFIG, match['ckpt'], cfg_options={'model.video_pool.num_clusters': 8,
                                                                       'model.audio_pool.num_clusters': 8})
    game = match['game']
    result = predictor(game / '1_224p.mkv', features_dir=str(game), second_half=str(game / '2_224p.mkv'))
    assert len(result.segments) >= 2
    cut, calls = cutting.cut_clip, []

    def failing_cut(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise DataError('ffmpeg failed writing clip 2')
        return cut(*args, **kwargs)
    monkeypatch.setattr(cutting, 'cut_clip', failing_cut)
    for out in (tmp_path / 'new', tmp_path):  # a new folder is removed again; an existing one is left as it was
        with pytest.raises(DataError, match='clip 2'):
            result.write(str(out))
        calls.clear()
    assert not (tmp_path / 'new').exists() and sorted(p.name for p in tmp_path.iterdir()) == []


def test_features_of_another_recipe_are_refused(match, tmp_path, tool):
    """Precomputed features carry their recipe (provenance.json); a model trained on other features refuses them,
    and a model trained on features no extractor reproduces (SoccerNet-v1's 2018 ResNET_PCA512) takes files only."""
    import shutil
    game = tmp_path / 'game'
    shutil.copytree(match['game'], game)
    (game / 'provenance.json').write_text(json.dumps(dict(resnet=dict(recipe='custom', extractor='resnet'))))
    code, err = tool(_args(match, game / '1_224p.mkv', '--half', '1', '--features', game, out=tmp_path / 'out'))
    assert code == 2 and f"{game}/1_ResNET_TF2_PCA512.npy: resnet features of recipe 'custom', but the model was " \
                          "trained on 'soccernet_tf2_vandd'" in err
    v1 = osp.join(REPO, 'configs', 'soccernet', 'netvlad512_concat_20s_v1.py')
    code, err = tool([game / '1_224p.mkv', v1, 'none', '--half', '1', '--random-init', '--pca', 'x.npz',
                      '--out-dir', tmp_path / 'out', '--cfg-options', *TINY])
    assert code == 2 and "SoccerNet-v1's ResNET_PCA512.npy" in err and '--features DIR' in err
    assert not (tmp_path / 'out').exists()
