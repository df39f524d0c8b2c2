import json

import pytest

from highlight_plugin.engine.errors import DataError
from highlight_plugin.engine.logs import load_scalars, plot_curves


def _write_run(work_dir, stamp, lines):
    vis = work_dir / stamp / 'vis_data'
    vis.mkdir(parents=True)
    (vis / 'scalars.json').write_text(''.join(json.dumps(x) + '\n' for x in lines))


def _train(epoch, it, loss, lr=0.1):
    return dict(epoch=epoch, iter=it, step=it, loss=loss, lr=lr, time=0.1, data_time=0.01)


@pytest.fixture
def work_dir(tmp_path):
    # a run killed during epoch 2, then resumed (new timestamp folder) from epoch 1
    _write_run(tmp_path, '20260101_000000', [
        _train(1, 2, 1.0), _train(1, 4, 0.8), dict(step=1, **{'HL-mAP': 40.0}, time=0.1),
        _train(2, 6, 9.9)])
    _write_run(tmp_path, '20260101_010000', [
        _train(2, 6, 0.6, lr=0.05), _train(2, 8, 0.4, lr=0.05), dict(step=2, **{'HL-mAP': 50.0})])
    return tmp_path


def test_load_scalars_merges_resumed_runs(work_dir):
    scalars = load_scalars(str(work_dir))
    assert scalars['train'][1] == dict(loss=pytest.approx(0.9), lr=0.1)
    assert scalars['train'][2] == dict(loss=pytest.approx(0.5), lr=0.05)  # 9.9 replaced by the rerun
    assert scalars['val'] == {1: {'HL-mAP': 40.0}, 2: {'HL-mAP': 50.0}}


def test_plot_curves_writes_png(work_dir, tmp_path):
    out = plot_curves(str(work_dir), ['loss', 'lr', 'HL-mAP'], str(tmp_path / 'curves.png'))
    data = open(out, 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n' and len(data) > 5000
    with pytest.raises(DataError, match=r"no logged values for \['HL-min-VeryGood-mAP'\]"):
        plot_curves(str(work_dir), ['HL-min-VeryGood-mAP'], str(tmp_path / 'x.png'))
    with pytest.raises(DataError, match='has no <timestamp>/vis_data/scalars.json'):
        plot_curves(str(tmp_path / '20260101_000000'), None, str(tmp_path / 'x.png'))


def test_tensorboard_is_one_visualizer_switch(tmp_path):
    pytest.importorskip('tensorboard')
    from toy_components import toy_cfg

    from highlight_plugin.engine.launch import build_runner
    cfg = toy_cfg(tmp_path, **{'train_cfg.max_epochs': 1})
    cfg.visualizer = dict(type='Visualizer', vis_backends=[
        dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')])
    build_runner(cfg).train()
    assert list(tmp_path.glob('*/vis_data/events.out.tfevents.*'))
    assert load_scalars(str(tmp_path))['val'][1]['toy/count'] == 11
