import json


def test_plot_curve_from_work_dir(cli, tmp_path):
    vis = tmp_path / 'work' / '20260101_000000' / 'vis_data'
    vis.mkdir(parents=True)
    lines = [dict(epoch=e, iter=e * 2, step=e * 2, loss=1.0 / e, lr=0.1) for e in (1, 2, 3)]
    lines += [dict(step=e, **{'HL-min-VeryGood-mAP': 30.0 + e}) for e in (1, 2, 3)]
    (vis / 'scalars.json').write_text(''.join(json.dumps(x) + '\n' for x in lines))
    out = tmp_path / 'metrics.png'
    code, err = cli('analyze_logs', ['plot_curve', str(tmp_path / 'work'), '--keys', 'loss',
                                     'HL-min-VeryGood-mAP', '--out', str(out)])
    assert code == 0, err
    assert out.stat().st_size > 5000
    code, err = cli('analyze_logs', ['plot_curve', str(tmp_path / 'nowhere'), '--out', str(out)])
    assert code == 2 and err.startswith('error: no such log file or work dir')
