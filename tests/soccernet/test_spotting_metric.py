import json

import numpy as np
from SoccerNet.Evaluation.ActionSpotting import evaluate as devkit_evaluate
from SoccerNet.Evaluation.utils import EVENT_DICTIONARY_V1, EVENT_DICTIONARY_V2

from highlight_plugin.datasets.soccernet import SoccerNetWindowDataset
from highlight_plugin.datasets.soccernet_labels import HIGHLIGHT_CLASSES, HIGHLIGHT_LABEL_MAP, V1_LABELS
from highlight_plugin.evaluation.functional.soccernet import evaluate_spotting, match, spots_from_scores
from highlight_plugin.evaluation.metrics.soccernet import SoccerNetSpottingDumper, SoccerNetSpottingMetric
from .synthetic import game_name, gt_annotation, random_games, write_features, write_json


def devkit(gt, pred, **kwargs):
    return devkit_evaluate(str(gt), str(pred), dataset=None, **kwargs)


def assert_same(ours, ref, keys=('a_mAP', 'a_mAP_per_class')):
    for key in keys:
        np.testing.assert_allclose(np.asarray(ours[key]), np.asarray(ref[key]), atol=5e-5, err_msg=key)


def test_example_from_the_spec():
    # GT at 100 s (frame 200); predictions at 98.5 s (frame 197, 0.6) and 102 s (frame 204, 0.9)
    gt, frames, scores = np.array([200]), np.array([197, 204]), np.array([0.6, 0.9])
    assert match(gt, frames, scores, delta=5 * 2).tolist() == [False, True]
    assert match(gt, frames, scores, delta=1 * 2).tolist() == [False, False]
    # ties go to the earliest prediction
    assert match(gt, np.array([198, 202]), np.array([0.5, 0.5]), delta=10).tolist() == [True, False]


def test_v2_tight_with_visibility_equals_devkit(tmp_path):
    random_games(tmp_path / 'gt', tmp_path / 'pred', 2, np.random.default_rng(0), per_half=20)
    ours = evaluate_spotting(tmp_path / 'gt', tmp_path / 'pred', version=2, metric='tight')
    ref = devkit(tmp_path / 'gt', tmp_path / 'pred', version=2, metric='tight', EVENT_DICTIONARY=EVENT_DICTIONARY_V2)
    assert ref['a_mAP'] > 0.001
    assert_same(ours, ref, ('a_mAP', 'a_mAP_per_class', 'a_mAP_visible', 'a_mAP_per_class_visible',
                            'a_mAP_unshown', 'a_mAP_per_class_unshown'))


def test_v1_tight_without_positions_equals_devkit(tmp_path):
    random_games(tmp_path / 'gt', tmp_path / 'pred', 2, np.random.default_rng(1), labels=V1_LABELS,
                 per_half=30, label_file='Labels.json', with_position=False,
                 pred_labels=['soccer', 'soccer', 'card', 'card', 'card', 'subs'])  # class of each V1 label
    ours = evaluate_spotting(tmp_path / 'gt', tmp_path / 'pred', version=1, metric='tight')
    ref = devkit(tmp_path / 'gt', tmp_path / 'pred', version=1, metric='tight', label_files='Labels.json',
                 EVENT_DICTIONARY=EVENT_DICTIONARY_V1)
    assert_same(ours, ref)


def test_grouped_classes_equal_devkit_on_the_group_columns(tmp_path):
    random_games(tmp_path / 'gt', tmp_path / 'pred', 2, np.random.default_rng(2), per_half=25)
    events = HIGHLIGHT_CLASSES[1:]
    label_map = {k: v for k, v in HIGHLIGHT_LABEL_MAP.items()}
    ours = evaluate_spotting(tmp_path / 'gt', tmp_path / 'pred', grouping=(events, label_map), metric='tight')
    group_dict = {raw: events.index(name) for raw, name in label_map.items() if name is not None}
    ref = devkit(tmp_path / 'gt', tmp_path / 'pred', version=2, metric='tight', EVENT_DICTIONARY=group_dict)
    # the devkit sizes its arrays by len(dict): the columns after the groups are empty (AP 0)
    np.testing.assert_allclose(ours['a_mAP_per_class'], ref['a_mAP_per_class'][:len(events)], atol=5e-5)


def test_metric_and_dumper_equal_devkit_on_dumped_files(tmp_path):
    rng = np.random.default_rng(3)
    games = [game_name(i) for i in range(2)]
    root = tmp_path / 'data'
    root.mkdir()
    (root / 'test.txt').write_text('\n'.join(games))
    for game in games:
        write_features(root, game, (700, 700), (2, 2), rng)
        anns = [gt_annotation(h, int(s), str(rng.choice(V1_LABELS)), ms=int(s * 1000) + 300)
                for h in (1, 2) for s in rng.integers(0, 350, 8)]
        write_json(root / game / 'Labels.json', dict(annotations=anns))
    ds = SoccerNetWindowDataset(ann_file='test.txt', data_root=str(root), classes='v1', label_file='Labels.json',
                                test_mode=True)
    meta = dict(classes=ds.classes)
    metric = SoccerNetSpottingMetric(metric='loose')
    dumper = SoccerNetSpottingDumper(out_dir=str(tmp_path / 'pred'))
    for m in (metric, dumper):
        m.dataset_meta = meta
    for i in range(len(ds)):
        sample = ds[i]['data_samples'].to_dict()
        n = sample['num_seconds']
        sample['pred_second_scores'] = rng.random((n, len(ds.classes))).astype(np.float32)
        for m in (metric, dumper):
            m.process({}, [sample])
    assert dumper.evaluate(len(ds)) == {'soccernet_dump/games': 2}
    ours = metric.evaluate(len(ds))
    ref = devkit(root, tmp_path / 'pred', version=1, metric='loose', EVENT_DICTIONARY=EVENT_DICTIONARY_V1,
                 label_files='Labels.json')
    assert abs(ours['soccernet/a_mAP'] - ref['a_mAP']) < 5e-5 and ref['a_mAP'] > 0
    assert abs(ours['soccernet/a_mAP_soccer'] - ref['a_mAP_per_class'][2]) < 5e-5
    pred = json.loads((tmp_path / 'pred' / games[0] / 'results_spotting.json').read_text())
    assert pred['UrlLocal'] == games[0] and {'gameTime', 'label', 'position', 'half', 'confidence'} <= set(
        pred['predictions'][0])


def test_spots_from_scores_nms():
    scores = np.zeros((100, 1))
    scores[[10, 20, 26, 60], 0] = [0.5, 0.9, 0.8, 0.3]
    seconds, values = spots_from_scores(scores, window=30, threshold=0.0)[0]
    # 20 suppresses [5, 35); then 60 suppresses [45, 75); then the zero plateau remains from the first free second
    assert seconds[:2].tolist() == [20, 60] and values[:2].tolist() == [0.9, 0.3]
    assert 26 not in seconds and 10 not in seconds
    seconds, _ = spots_from_scores(scores, window=30, threshold=0.1)[0]
    assert seconds.tolist() == [20, 60]
