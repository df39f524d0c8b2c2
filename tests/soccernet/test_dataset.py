import json

import numpy as np
import pytest
import torch

from highlight_plugin.datasets.soccernet import SoccerNetWindowDataset
from highlight_plugin.engine.errors import DataError

from .synthetic import game_name, gt_annotation, write_features, write_json

GAME = game_name(0)


def make_root(tmp_path, annotations, lengths=(5400, 5400), audio_lengths=None, dims=(8, 8)):
    write_features(tmp_path, GAME, lengths, dims)
    if audio_lengths:  # overwrite the audio with other lengths
        for half, n in zip((1, 2), audio_lengths):
            np.save(tmp_path / GAME / f'{half}_VGGish.npy', np.zeros((n, dims[1])))
    write_json(tmp_path / GAME / 'Labels-v2.json', dict(annotations=annotations))
    (tmp_path / 'train.txt').write_text(GAME + '\n')
    return tmp_path


def build(root, **kwargs):
    return SoccerNetWindowDataset(ann_file='train.txt', data_root=str(root), **kwargs)


def window_labels(ds, half):
    return np.stack([ds.get_data_info(i)['gt_multilabel'] for i in range(len(ds))
                     if ds.get_data_info(i)['half'] == half])


def test_worked_example_window_37(tmp_path):
    root = make_root(tmp_path, [gt_annotation(1, 12 * 60 + 34, 'Goal')])
    ds = build(root)
    labels = window_labels(ds, 1)
    assert labels.shape == (135, 5)  # T = 5400 rows at 2 fps, W = 20 s
    goal = ds.classes.index('goal')
    assert np.flatnonzero(labels[:, goal]).tolist() == [37]
    assert labels[37, 0] == 0 and labels[:, 0].sum() == 134  # background iff no highlight event
    assert window_labels(ds, 2)[:, 1:].sum() == 0

    item = ds[37]
    assert item['inputs']['video'].shape == (40, 8) and item['inputs']['audio'].dtype.is_floating_point
    feats = np.load(root / GAME / '1_ResNET_TF2_PCA512.npy')
    np.testing.assert_allclose(item['inputs']['video'].numpy(), feats[37 * 40:38 * 40])
    assert item['data_samples'].gt_multilabel[goal] == 1
    assert all(isinstance(m, np.memmap) for m in ds._mmaps.values())  # memory-mapped, not read whole


def test_labels_do_not_depend_on_annotation_order(tmp_path):
    anns = [gt_annotation(1, 100, 'Corner'), gt_annotation(1, 105, 'Foul'), gt_annotation(1, 300, 'Foul'),
            gt_annotation(1, 302, 'Goal'), gt_annotation(2, 10, 'Throw-in'), gt_annotation(2, 15, 'Yellow card')]
    first = window_labels(build(make_root(tmp_path / 'a', anns)), 1)
    second = window_labels(build(make_root(tmp_path / 'b', anns[::-1])), 1)
    np.testing.assert_array_equal(first, second)
    assert first[5, 0] == 0 and first[5, 1] == 1  # corner (kick) + foul: no background
    assert first[15, 0] == 0 and first[15, 4] == 1
    # a window with only a non-highlight event is background
    only_foul = window_labels(build(make_root(tmp_path / 'c', [gt_annotation(1, 105, 'Foul')])), 1)
    assert only_foul[5, 0] == 1 and only_foul[5, 1:].sum() == 0


def test_half_samples_for_testing(tmp_path):
    root = make_root(tmp_path, [gt_annotation(2, 61, 'Goal', ms=61500, visible=False)], lengths=(5400, 5399))
    ds = build(root, test_mode=True)
    assert ds.sample_mode == 'half' and len(ds) == 2
    item = ds[1]
    meta = item['data_samples'].metainfo
    assert item['inputs']['video'].shape == (5399, 8)
    assert meta['half'] == 2 and meta['num_seconds'] == 2699 and meta['sample_mode'] == 'half'
    assert meta['gt_events'] == [[61500, 61, 4, 0]]


def test_split_list_formats(tmp_path):
    root = make_root(tmp_path, [])
    np.save(tmp_path / 'list.npy', np.array([GAME]))
    (tmp_path / 'list.json').write_text(json.dumps([GAME]))
    for name in ('list.npy', 'list.json', 'train.txt'):
        assert len(SoccerNetWindowDataset(ann_file=name, data_root=str(root))) == 270


def test_v1_labels(tmp_path):
    write_features(tmp_path, GAME, (400, 400), (4, 4))
    write_json(tmp_path / GAME / 'Labels.json', dict(annotations=[
        dict(gameTime='1 - 00:25', label='soccer-ball-own'), dict(gameTime='2 - 01:01', label='yr-card')]))
    (tmp_path / 'l.txt').write_text(GAME)
    ds = SoccerNetWindowDataset(ann_file='l.txt', data_root=str(tmp_path), classes='v1', label_file='Labels.json')
    labels = np.stack([ds.get_data_info(i)['gt_multilabel'] for i in range(len(ds))])
    assert ds.classes == ('background', 'card', 'subs', 'soccer')
    assert labels[1].tolist() == [0, 0, 0, 1] and labels[10 + 3].tolist() == [0, 1, 0, 0]


def test_bad_inputs(tmp_path):
    # missing half
    root = make_root(tmp_path / 'a', [], lengths=(400, None))
    with pytest.raises(DataError, match=r"half 2.*video feature file missing"):
        build(root)
    # unknown label: file and annotation index named
    root = make_root(tmp_path / 'b', [gt_annotation(1, 5, 'Goal'), gt_annotation(1, 9, 'Gaol')], lengths=(400, 400))
    with pytest.raises(DataError, match=r"Labels-v2.json: annotations\[1\]: unknown label 'Gaol'"):
        build(root)
    # malformed gameTime
    root = make_root(tmp_path / 'c', [dict(gameTime='x', label='Goal')], lengths=(400, 400))
    with pytest.raises(DataError, match=r'annotations\[0\]: malformed gameTime'):
        build(root)
    # video and audio of different lengths: aligned, with a warning naming the game and half
    root = make_root(tmp_path / 'd', [], lengths=(400, 400), audio_lengths=(420, 390))
    ds = build(root, test_mode=True)
    assert [ds[i]['inputs']['audio'].shape[0] for i in range(2)] == [400, 390]
    assert [ds[i]['inputs']['video'].shape[0] for i in range(2)] == [400, 390]
    # a label beyond the features is put in the last window and counted
    root = make_root(tmp_path / 'e', [gt_annotation(1, 250, 'Goal')], lengths=(400, 400))
    ds = build(root)
    assert ds.clamped_events == 1 and window_labels(ds, 1)[-1, 4] == 1


def test_reference_second_labels_of_a_half(tmp_path):
    root = make_root(tmp_path, [gt_annotation(1, 100, 'Goal'), gt_annotation(1, 105, 'Foul')], lengths=(600, 600))
    labels = build(root, test_mode=True)[0]['data_samples'].gt_second_labels
    assert labels.shape == (300, 5)
    # window i covers [i - 10, i + 10): the goal at 100 s is in windows 91..110
    assert torch.nonzero(labels[:, 4]).flatten().tolist() == list(range(91, 111))
    assert labels[:, 0].sum() == 300 - 20 and labels[:, 1:4].sum() == 0
