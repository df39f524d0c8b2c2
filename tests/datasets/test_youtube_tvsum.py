"""YouTube Highlights and TVSum in UMT's layout: parsing, targets, bad input, and the configs end to end
(model loss + backward on a collated batch, metric through mmengine's Evaluator), on tiny synthetic data."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmaction.registry import DATASETS, MODELS
from mmengine.config import Config
from mmengine.evaluator import Evaluator

from highlight_plugin.datasets import TVSumDataset, YouTubeHighlightsDataset, highlight_collate
from highlight_plugin.datasets.tvsum import TVSUM_SPLITS
from highlight_plugin.datasets.youtube import YOUTUBE_SPLITS
from highlight_plugin.engine.errors import DataError

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
YT_CONFIG = osp.join(REPO, 'configs', 'youtube', 'umt_small_100e_youtube_dog.py')
TV_CONFIG = osp.join(REPO, 'configs', 'tvsum', 'umt_small_500e_tvsum_bk.py')
YT_TRAIN, YT_VAL = YOUTUBE_SPLITS['dog']['train'][:3], YOUTUBE_SPLITS['dog']['val'][:2]
TV_TRAIN, TV_VAL = TVSUM_SPLITS['BK']['train'], TVSUM_SPLITS['BK']['val']
PIPELINE = [dict(type='LoadHighlightFeatures'),
            dict(type='PackHighlightInputs', meta_keys=('sample_idx', 'num_clips', 'clip_len', 'duration', 'vid',
                                                        'domain', 'annotations'))]


def _write_features(root, lengths, query_len=None, seed=0):
    """``{vid: T}`` -> rgb/opt (T, 1024), audio (T, 2048) and, with ``query_len``, query tokens (L, 512)."""
    rng = np.random.default_rng(seed)
    for sub in ('video_features', 'audio_features', 'query_features'):
        (root / sub).mkdir(exist_ok=True)
    for vid, t in lengths.items():
        np.save(root / 'video_features' / f'{vid}_rgb.npy', rng.standard_normal((t, 1024), dtype=np.float32))
        np.save(root / 'video_features' / f'{vid}_opt.npy', rng.standard_normal((t, 1024), dtype=np.float32))
        np.save(root / 'audio_features' / f'{vid}.npy', rng.standard_normal((t, 2048), dtype=np.float32))
        if query_len:
            np.savez(root / 'query_features' / f'{vid}.npz',
                     token=rng.standard_normal((query_len, 512), dtype=np.float32))


def _youtube_root(root, seed=0):
    """Five dog videos (three train, two val) plus one of no split; the first lists frames / fps."""
    rng = np.random.default_rng(seed)
    anno = {vid: dict(match=[-1, 1, 0, 1] + rng.choice([-1, 1], size=8).tolist()) for vid in YT_TRAIN + YT_VAL}
    anno[YT_VAL[0]]['match'][:2] = [1, -1]  # at least one positive per val video, either way
    anno[YT_TRAIN[0]].update(frames=720, fps=30.0)  # 24 s over 12 clips: 2-s clips
    anno['not-in-split'] = dict(match=[1, 0])
    (root / 'youtube_anno.json').write_text(json.dumps(anno))
    lengths = {vid: 12 for vid in anno}
    lengths[YT_TRAIN[1]] = 14  # longer features: cut to the 12 labels
    lengths[YT_TRAIN[2]] = 10  # shorter features: the labels are cut (as UMT)
    _write_features(root, lengths, seed=seed)
    return anno


def _tvsum_root(root, seed=0):
    rng = np.random.default_rng(seed)
    anno = {vid: dict(anno=rng.integers(1, 6, size=(9, 20)).tolist()) for vid in TV_TRAIN + TV_VAL}
    anno[TV_TRAIN[0]]['anno'][:3] = [[1] * 20, [5] * 20, [1] * 10 + [5] * 10]
    (root / 'tvsum_anno.json').write_text(json.dumps(anno))
    lengths = {vid: 9 for vid in anno}
    lengths[TV_VAL[0]] = 8  # one clip short of the annotation
    _write_features(root, lengths, query_len=6, seed=seed)
    return anno


def _from_config(path, loader, root):
    cfg = Config.fromfile(path)
    ds_cfg = cfg[loader].dataset
    ds_cfg.data_root = str(root)
    return cfg, DATASETS.build(ds_cfg)


def test_split_tables_match_the_spec():
    sizes = {d: (len(s['train']), len(s['val'])) for d, s in YOUTUBE_SPLITS.items()}
    assert sizes == dict(dog=(44, 24), gymnastics=(34, 28), parkour=(21, 11), skating=(24, 11), skiing=(68, 51),
                         surfing=(56, 47))
    assert sorted(TVSUM_SPLITS) == ['BK', 'BT', 'DS', 'FM', 'GA', 'MS', 'PK', 'PR', 'VT', 'VU']
    assert all((len(s['train']), len(s['val'])) == (4, 1) for s in TVSUM_SPLITS.values())
    for table in (YOUTUBE_SPLITS, TVSUM_SPLITS):  # no video in two splits or two domains
        ids = [vid for s in table.values() for vid in s['train'] + s['val']]
        assert len(ids) == len(set(ids))


def test_youtube_parsing_and_targets(tmp_path):
    anno = _youtube_root(tmp_path)
    _, train = _from_config(YT_CONFIG, 'train_dataloader', tmp_path)
    # the 41 other listed train videos are not annotated: skipped; the split's order is kept
    assert [train.get_data_info(i)['vid'] for i in range(len(train))] == YT_TRAIN
    item = train[0]
    sample, inputs = item['data_samples'], item['inputs']
    match = np.array(anno[YT_TRAIN[0]]['match'])
    assert sample.gt_saliency.tolist() == (match > 0).astype(float).tolist()
    assert sample.gt_saliency.tolist()[:4] == [0., 1., 0., 1.]
    rgb = np.load(tmp_path / 'video_features' / f'{YT_TRAIN[0]}_rgb.npy')
    opt = np.load(tmp_path / 'video_features' / f'{YT_TRAIN[0]}_opt.npy')
    np.testing.assert_array_equal(inputs['video'].numpy(), np.concatenate([rgb, opt], axis=1))
    assert inputs['audio'].shape == (12, 2048) and 'query' not in inputs
    assert sample.metainfo['vid'] == YT_TRAIN[0] and sample.metainfo['domain'] == 'dog'
    assert sample.metainfo['clip_len'] == pytest.approx(2.0) and sample.metainfo['duration'] == pytest.approx(24.)
    assert train[1]['inputs']['video'].shape == (12, 2048)  # features longer than the labels
    assert train[2]['data_samples'].gt_saliency.shape == (10, )  # labels longer than the features
    val = YouTubeHighlightsDataset('dog', split='val', data_root=str(tmp_path), pipeline=PIPELINE, clip_len=1.5)
    assert len(val) == 2 and val.get_data_info(0)['clip_len'] == 1.5  # no frames / fps: the argument


def test_tvsum_parsing_and_targets(tmp_path):
    anno = _tvsum_root(tmp_path)
    _, train = _from_config(TV_CONFIG, 'train_dataloader', tmp_path)
    assert len(train) == 4
    item = train[TV_TRAIN.index(TV_TRAIN[0])]
    sample = item['data_samples']
    # (sum - 20) / 80: all 1 -> 0, all 5 -> 1, half and half -> 0.5
    assert sample.gt_saliency[:3].tolist() == [0.0, 1.0, 0.5]
    scores = np.array(anno[TV_TRAIN[0]]['anno'], np.float32)
    np.testing.assert_allclose(sample.gt_saliency.numpy(), (scores.sum(1) - 20) / 80, rtol=0, atol=1e-7)
    assert item['inputs']['query'].shape == (6, 512) and item['inputs']['video'].shape == (9, 2048)
    assert sample.metainfo['clip_len'] == 2.0 and sample.metainfo['domain'] == 'BK'
    _, val = _from_config(TV_CONFIG, 'val_dataloader', tmp_path)
    val_sample = val[0]['data_samples']
    assert len(val) == 1 and val_sample.metainfo['vid'] == TV_VAL[0]
    # the clips are cut to the features, the user scores are kept whole (the metric's medians use all rows)
    assert val_sample.gt_saliency.shape == (8, ) and np.shape(val_sample.metainfo['annotations']) == (9, 20)


def _break(root, what):
    vid = TV_TRAIN[0]
    path = root / 'tvsum_anno.json'
    anno = json.loads(path.read_text())
    if what == 'json':
        path.write_text('{"x": [1,\n 2')
        return 'tvsum_anno.json:2'
    if what == 'missing_feature':
        (root / 'video_features' / f'{vid}_opt.npy').unlink()
        return f'video {vid}: feature file not found: .*{vid}_opt.npy'
    if what == 'bad_feature':
        np.save(root / 'audio_features' / f'{vid}.npy', np.zeros(5, np.float32))
        return f'video {vid}: .*{vid}.npy: expected a 2-D'
    if what == 'no_anno':
        anno[vid] = dict(scores=[])
    elif what == 'transposed':
        anno[vid]['anno'] = np.array(anno[vid]['anno']).T.tolist()
    elif what == 'range':
        anno[vid]['anno'][0][0] = 6
    elif what == 'none_annotated':
        anno = {'someone-else': anno[vid]}
        path.write_text(json.dumps(anno))
        return 'none of the 4 BK train videos is annotated'
    path.write_text(json.dumps(anno))
    return f'video {vid} \\(.*tvsum_anno.json\\)'


@pytest.mark.parametrize('what', ['json', 'missing_feature', 'bad_feature', 'no_anno', 'transposed', 'range',
                                  'none_annotated'])
def test_tvsum_bad_input_names_file_and_id(tmp_path, what):
    _tvsum_root(tmp_path)
    message = _break(tmp_path, what)
    with pytest.raises(DataError, match=message):
        TVSumDataset('BK', data_root=str(tmp_path), pipeline=PIPELINE)


def test_youtube_bad_input(tmp_path):
    anno = _youtube_root(tmp_path)
    with pytest.raises(DataError, match='unknown domain .*gym'):
        YouTubeHighlightsDataset('gym', data_root=str(tmp_path))
    with pytest.raises(DataError, match="split must be 'train' or 'val'"):
        YouTubeHighlightsDataset('dog', split='test', data_root=str(tmp_path))
    anno[YT_TRAIN[1]]['match'] = [[1, 0]]
    (tmp_path / 'youtube_anno.json').write_text(json.dumps(anno))
    with pytest.raises(DataError, match=f'video {YT_TRAIN[1]} .*"match"'):
        YouTubeHighlightsDataset('dog', data_root=str(tmp_path))


@pytest.mark.parametrize('config, make_root, num_params', [(YT_CONFIG, _youtube_root, 12_191_233),
                                                           (TV_CONFIG, _tvsum_root, 12_585_985)],
                         ids=['youtube', 'tvsum'])
def test_config_trains_and_evaluates(tmp_path, config, make_root, num_params):
    torch.manual_seed(0)
    make_root(tmp_path)
    cfg, train = _from_config(config, 'train_dataloader', tmp_path)
    model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) == num_params  # docs/umt.md §9
    batch = model.data_preprocessor(highlight_collate([train[i] for i in range(len(train))]), training=True)
    losses = model(**batch, mode='loss')
    assert list(losses) == ['d0.saliency_loss']  # saliency head only, one decoder layer
    losses['d0.saliency_loss'].backward()
    grad = model.video_enc.input_proj.weight.grad
    assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0

    _, val = _from_config(config, 'val_dataloader', tmp_path)
    evaluator = Evaluator(cfg.val_evaluator)
    model.eval()
    with torch.no_grad():
        for i in range(len(val)):
            data = model.data_preprocessor(highlight_collate([val[i]]), training=False)
            evaluator.process(data_samples=model(**data, mode='predict'), data_batch=data)
    metrics = evaluator.evaluate(len(val))
    assert set(metrics) == {'mAP'} and 0.0 <= metrics['mAP'] <= 1.0
