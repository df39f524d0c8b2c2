import json
import os.path as osp

import numpy as np
import pytest
import torch

from highlight_plugin.datasets import QVHighlightsDataset, highlight_collate
from highlight_plugin.engine.errors import DataError

QVH_DIR = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), "data", "qvhighlights")

PIPELINE = [dict(type='LoadHighlightFeatures'), dict(type='PackHighlightInputs')]
PREFIX = dict(slowfast='slowfast_features', clip='clip_features', pann='pann_features', text='clip_text_features')


def _write_features(root, vid, qid, num_clips, query_len=7, rng=np.random.default_rng(0)):
    for name, dim in (('slowfast', 2304), ('clip', 512)):
        np.savez(osp.join(root, PREFIX[name], f'{vid}.npz'), features=rng.standard_normal((num_clips, dim)))
    np.save(osp.join(root, 'pann_features', f'{vid}.npy'), rng.standard_normal((num_clips, 2048)))
    np.savez(osp.join(root, 'clip_text_features', f'qid{qid}.npz'),
             last_hidden_state=rng.standard_normal((query_len, 512)), pooler_output=rng.standard_normal(512))


@pytest.fixture
def qvh_root(tmp_path):
    for folder in PREFIX.values():
        (tmp_path / folder).mkdir()
    return tmp_path


def _dataset(root, ann, **kwargs):
    return QVHighlightsDataset(ann_file=ann, data_root=str(root), data_prefix=PREFIX, pipeline=PIPELINE, **kwargs)


def test_parses_the_real_val_and_test_files(qvh_root):
    val = _dataset(qvh_root, osp.join(QVH_DIR, 'highlight_val_release.jsonl'))
    test = _dataset(qvh_root, osp.join(QVH_DIR, 'highlight_test_release.jsonl'), test_mode=True)
    assert len(val) == 1550 and len(test) == 1542
    first = val.get_data_info(0)
    assert first['qid'] == 2579 and first['vid'] == 'NUsG9BgSes0_210.0_360.0'
    # clip 41 has scores [1, 1, 2] -> 4 / 12; clips outside relevant_clip_ids are 0
    assert first['gt_saliency'].shape == (75, )
    assert first['gt_saliency'][41] == pytest.approx(4 / 12)
    assert first['gt_saliency'][:41].sum() == 0
    np.testing.assert_array_equal(first['gt_windows'], [[82, 150]])
    assert 'gt_saliency' not in test.get_data_info(0)


def test_pipeline_and_collate(qvh_root):
    ann = osp.join(QVH_DIR, 'highlight_val_release.jsonl')
    with open(ann) as fh:
        recs = [json.loads(next(fh)) for _ in range(2)]
    _write_features(qvh_root, recs[0]['vid'], recs[0]['qid'], 75, query_len=9)
    _write_features(qvh_root, recs[1]['vid'], recs[1]['qid'], 74, query_len=5)  # one clip short: tolerated
    ds = _dataset(qvh_root, ann, indices=[0, 1])
    batch = highlight_collate([ds[0], ds[1]])
    inputs = batch['inputs']
    assert inputs['video'].shape == (2, 75, 2816) and inputs['audio'].shape == (2, 75, 2048)
    assert inputs['query'].shape == (2, 9, 512)
    assert inputs['video_mask'][1].sum() == 74 and inputs['video_mask'][1, 74] == 0
    assert inputs['query_mask'][1].tolist() == [1] * 5 + [0] * 4
    assert torch.all(inputs['video'][1, 74] == 0)
    sample = batch['data_samples'][1]
    assert sample.metainfo['num_clips'] == 74 and sample.gt_saliency.shape == (74, )
    assert sample.metainfo['qid'] == recs[1]['qid'] and sample.metainfo['query'] == recs[1]['query']
    assert sample.metainfo['saliency_scores'] == recs[1]['saliency_scores']


def test_video_only_and_query_free(qvh_root):
    ann = osp.join(QVH_DIR, 'highlight_val_release.jsonl')
    rec = json.loads(open(ann).readline())
    _write_features(qvh_root, rec['vid'], rec['qid'], 75)
    ds = _dataset(qvh_root, ann, indices=[0], video_features=('clip', ), audio_features=(), query_feature=None)
    item = ds[0]
    assert set(item['inputs']) == {'video'} and item['inputs']['video'].shape == (75, 512)


def test_bad_inputs_name_the_culprit(qvh_root, tmp_path):
    ann = tmp_path / 'bad.jsonl'
    ann.write_text('{"qid": 1, "vid": "a", "duration": 10}\n{not json\n')
    with pytest.raises(DataError, match=r'bad.jsonl:2'):
        _dataset(qvh_root, str(ann))

    ann.write_text('{"qid": 1, "vid": "a", "duration": 10}\n')
    ds = _dataset(qvh_root, str(ann))
    with pytest.raises(DataError, match=r'slowfast_features/a.npz'):
        ds[0]  # missing feature file

    _write_features(qvh_root, 'a', 1, 5)
    np.savez(osp.join(qvh_root, 'clip_features', 'a.npz'), features=np.full((5, 512), np.nan))
    with pytest.raises(DataError, match=r'clip_features/a.npz: NaN'):
        ds[0]

    ann.write_text(json.dumps(dict(qid=1, vid='a', duration=20, relevant_windows=[[0, 4]],
                                   relevant_clip_ids=[0, 1], saliency_scores=[[1, 2, 3], [4, 4, 4]])))
    _write_features(qvh_root, 'a', 1, 5)  # labels need 10 clips
    with pytest.raises(DataError, match=r'qid 1 .*5 clips but the labels need 10'):
        _dataset(qvh_root, str(ann))[0]

    with pytest.raises(DataError, match='feature folder not found'):
        QVHighlightsDataset(ann_file=str(ann), data_root=str(tmp_path / 'nowhere'), pipeline=PIPELINE)
