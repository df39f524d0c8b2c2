import numpy as np
import pytest

from highlight_plugin.datasets import HotstarHighlightDataset, highlight_collate, make_hotstar_demo
from highlight_plugin.datasets.hotstar import split_titles
from highlight_plugin.engine.errors import DataError

PIPELINE = [dict(type='LoadHighlightFeatures'), dict(type='PackHighlightInputs')]


def _dataset(root, **kwargs):
    return HotstarHighlightDataset(data_root=str(root), pipeline=PIPELINE, **kwargs)


def _titles(ds):
    return {ds.get_data_info(i)['content_id'] for i in range(len(ds))}


@pytest.fixture(scope='module')
def demo_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('hotstar')
    make_hotstar_demo(str(root), num_titles=10, min_duration=60, max_duration=90, seed=1)
    return root


def test_split_is_by_title_and_covers_every_row(demo_root):
    train, val, every = (_dataset(demo_root, split=s) for s in ('train', 'val', 'all'))
    assert _titles(train) and _titles(val)
    assert not _titles(train) & _titles(val)
    assert len(train) + len(val) == len(every)
    # the fork's is_train column is a row-level split that leaks titles: refused when asked for
    with pytest.raises(DataError, match='titles in both train and val'):
        _dataset(demo_root, split='train', split_by='is_train')


def test_split_titles_is_seeded_and_disjoint():
    titles = [f't{i}' for i in range(20)]
    a, b = split_titles(titles, 0.9, seed=3)
    assert (a, b) == split_titles(list(reversed(titles)), 0.9, seed=3)
    assert len(a) == 18 and not a & b
    assert split_titles(['x', 'y'], 0.99)[1] == {'y'} or split_titles(['x', 'y'], 0.99)[1] == {'x'}


def test_sample_alignment(demo_root):
    ds = _dataset(demo_root, split='all')
    info = ds.get_data_info(1)
    item = ds[1]
    start, end = info['start'], info['end']
    video = np.load(demo_root / 'clip_features' / f'{info["content_id"]}.npz')['features']
    audio = np.load(demo_root / 'panns_features' / f'{info["content_id"]}.npz')['arr_0']
    np.testing.assert_array_equal(item['inputs']['video'].numpy(), video[start:end])
    # audio row j covers seconds 2j and 2j + 1
    np.testing.assert_array_equal(item['inputs']['audio'].numpy(), np.repeat(audio, 2, axis=0)[start:end])
    sample = item['data_samples']
    assert sample.gt_saliency.tolist() == [float(info['label'])] * (end - start)
    assert sample.metainfo['clip_len'] == 1.0 and sample.metainfo['row'] == 3  # header is line 1
    batch = highlight_collate([ds[0], ds[1], ds[2]])
    assert batch['inputs']['video'].shape[0] == 3 and batch['inputs']['audio'].shape[-1] == 2048


def test_bad_rows_are_reported(tmp_path, demo_root):
    root = tmp_path / 'h'
    make_hotstar_demo(str(root), num_titles=2, min_duration=40, max_duration=40, seed=0)
    labels = (root / 'labels.csv').read_text().splitlines()
    labels.append('demo0000,30,30,0,2,False')       # empty segment
    labels.append('demo0001,30,400,1,5,False')      # beyond the features
    labels.append('ghost,0,10,1,5,False')           # no feature files
    (root / 'labels.csv').write_text('\n'.join(labels) + '\n')
    n = len(labels)
    with pytest.raises(DataError) as err:
        _dataset(root, split='all')
    msg = str(err.value)
    assert f'labels.csv:{n - 2} content_id demo0000: empty segment' in msg
    assert f'labels.csv:{n - 1} content_id demo0001: segment [30, 400) outside the features' in msg
    assert f'labels.csv:{n} content_id ghost: missing' in msg
    ds = _dataset(root, split='all', on_invalid='skip')
    assert len(ds) == n - 1 - 3

    (root / 'labels.csv').write_text('content_id,start,end,label,rating,is_train\ndemo0000,abc,10,1,5,True\n')
    with pytest.raises(DataError, match=r'labels.csv:2: bad number'):
        _dataset(root, split='all')
    with pytest.raises(DataError, match='labels file not found'):
        _dataset(tmp_path / 'nowhere', split='all')
