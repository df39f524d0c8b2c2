"""The metrics read data samples whose tensors are on the GPU (mmengine's data preprocessor moves the labels there,
and a model may leave its predictions there): they copy them with ``.cpu()``, never ``np.asarray`` a device tensor.

:class:`~tests.helpers.device.DeviceTensor` refuses numpy as a CUDA tensor does, so this runs without a GPU.
"""
import numpy as np
import pytest

from highlight_plugin.datasets.soccernet_labels import HIGHLIGHT_CLASSES
from highlight_plugin.evaluation.metrics.hotstar import HotstarMetric
from highlight_plugin.evaluation.metrics.soccernet import SoccerNetSpottingMetric, SoccerWindowAPMetric
from tests.helpers.device import DeviceTensor, on_device

C = len(HIGHLIGHT_CLASSES)


def _evaluate(metric, samples):
    metric.dataset_meta = dict(classes=HIGHLIGHT_CLASSES)
    metric.process({}, samples)
    return metric.evaluate(len(samples))


def _windows(rng, n=12):
    gt = (rng.random((n, C)) < 0.4).astype(np.float32)
    return [dict(gt_multilabel=gt[i], pred_multilabel=rng.random(C).astype(np.float32)) for i in range(n)]


def _halves(rng, seconds=300):
    out = []
    for half in (1, 2):
        labels = (rng.random((seconds, C)) < 0.05).astype(np.float32)
        events = [[int(s * 1000), int(s), int(c), True] for s, c in zip(*np.nonzero(labels[:, 1:]))]
        events = [[ms, s, c + 1, v] for ms, s, c, v in events]
        out.append(dict(game='league/2015/game', half=half, gt_events=events, gt_second_labels=labels,
                        pred_second_scores=rng.random((seconds, C)).astype(np.float32)))
    return out


def _on_device(samples, keys):
    return [{k: on_device(v) if k in keys else v for k, v in s.items()} for s in samples]


def test_device_tensors_refuse_numpy():
    with pytest.raises(TypeError, match='cpu'):
        np.asarray(on_device(np.zeros(3)))
    assert isinstance(on_device(np.zeros(3)), DeviceTensor)


@pytest.mark.parametrize('kind', ['windows', 'halves'])
def test_soccer_window_ap_reads_device_tensors(kind):
    rng = np.random.default_rng(0)
    samples = _windows(rng) if kind == 'windows' else _halves(rng)
    keys = {'gt_multilabel', 'pred_multilabel', 'gt_second_labels', 'pred_second_scores'}
    expected = _evaluate(SoccerWindowAPMetric(), samples)
    assert _evaluate(SoccerWindowAPMetric(), _on_device(samples, keys)) == expected
    assert expected['window/mAP'] > 0


def test_soccernet_spotting_metric_reads_device_tensors():
    samples = _halves(np.random.default_rng(1))
    expected = _evaluate(SoccerNetSpottingMetric(metric='loose'), samples)
    got = _evaluate(SoccerNetSpottingMetric(metric='loose'), _on_device(samples, {'pred_second_scores'}))
    assert got == expected and 0 < expected['soccernet/a_mAP'] <= 1


def test_hotstar_metric_reads_device_tensors():
    rng = np.random.default_rng(2)
    samples = [dict(sample_idx=i, content_id=f'title{i % 3}', row=i, start=10 * i, label=int(rng.random() < 0.5),
                    pred_saliency=rng.random(10).astype(np.float32)) for i in range(9)]
    expected = _evaluate(HotstarMetric(), samples)
    got = _evaluate(HotstarMetric(), _on_device(samples, {'pred_saliency'}))
    assert got.keys() == expected.keys()
    assert all(np.isnan(v) and np.isnan(got[k]) or v == got[k] for k, v in expected.items())
