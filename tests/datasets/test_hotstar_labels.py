import csv
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from highlight_plugin.datasets.hotstar import read_labels, split_titles
from highlight_plugin.datasets.hotstar_labels import parse_timestamp, prepare_hotstar
from highlight_plugin.engine.errors import DataError
from highlight_plugin.features import save_array

RAW = """content_id,start_position_scene,end_position_scene,rating_1,rating_2
100,0:00:00,0:00:10,4 - Good,2 - Bad
100,00:00:10.000,00:00:25.500,,3 - Okay
200,0:01:00,0:01:30,5 - Excellent,
300,0:00:05,0:00:08,1 - Poor,1 - Poor
"""


def _tool():
    path = Path(__file__).parents[2] / 'tools' / 'prepare_hotstar.py'
    spec = importlib.util.spec_from_file_location('prepare_hotstar_tool', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_parse_timestamp():
    assert parse_timestamp('0:01:23') == 83
    assert parse_timestamp('00:01:23.900') == 83
    assert parse_timestamp('1:00:00') == 3600 and parse_timestamp('02:03') == 123 and parse_timestamp('7') == 7
    with pytest.raises(ValueError):
        parse_timestamp('soon')


def test_labels_csv_and_title_split(tmp_path):
    raw = tmp_path / 'raw.csv'
    raw.write_text(RAW)
    out = tmp_path / 'labels.csv'
    report = prepare_hotstar(str(raw), str(out), train_ratio=0.5)
    rows = list(csv.DictReader(out.open()))
    assert [(r['content_id'], r['start'], r['end'], r['rating'], r['label']) for r in rows] == [
        ('100', '0', '10', '4', '1'), ('100', '10', '25', '3', '0'), ('200', '60', '90', '5', '1'),
        ('300', '5', '8', '1', '0')]
    train, _ = split_titles(['100', '200', '300'], 0.5, 7)
    assert {r['content_id'] for r in rows if r['is_train'] == 'True'} == train
    assert len({r['is_train'] for r in rows if r['content_id'] == '100'}) == 1  # a title is in one split
    assert (report.rows, report.titles, report.positives) == (4, 3, 2)
    assert len(read_labels(str(out))) == 4  # the dataset reads what we write


def test_bad_rows_and_feature_check(tmp_path):
    raw = tmp_path / 'raw.csv'
    raw.write_text(RAW + '400,0:00:09,0:00:03,4 - Good,\n500,0:00:00,0:00:04,,\n600,x,0:00:04,4,\n')
    with pytest.raises(DataError) as e:
        prepare_hotstar(str(raw), str(tmp_path / 'labels.csv'))
    msg = str(e.value)
    assert 'raw.csv:6' in msg and 'end 3 s <= start 9 s' in msg
    assert 'raw.csv:7' in msg and 'no rating' in msg and 'raw.csv:8' in msg
    assert not (tmp_path / 'labels.csv').exists()
    # features: 100 has 20 s (video 30 rows, audio 10 rows x2), 200 is missing audio
    feats = tmp_path / 'feats'
    save_array(feats / 'clip_features' / '100.npz', np.zeros((30, 4)), 'features')
    save_array(feats / 'panns_features' / '100.npz', np.zeros((10, 4)), 'arr_0')
    save_array(feats / 'clip_features' / '200.npz', np.zeros((99, 4)), 'features')
    save_array(feats / 'clip_features' / '300.npz', np.zeros((9, 4)), 'features')
    save_array(feats / 'panns_features' / '300.npz', np.zeros((5, 4)), 'arr_0')
    tool = _tool()
    assert tool.main([str(raw), '--out', str(tmp_path / 'labels.csv'), '--feature-dir', str(feats),
                      '--skip-bad-rows', '--strict']) == 1
    report = prepare_hotstar(str(raw), str(tmp_path / 'labels.csv'), str(feats), skip_bad_rows=True)
    assert len(report.bad_rows) == 3
    assert any(m.startswith('100 (row 3)') and '[10, 25)' in m and '20 s usable' in m for m in report.mismatches)
    assert any(m.startswith('200: missing') and 'panns_features' in m for m in report.mismatches)
    assert not any(m.startswith('300') for m in report.mismatches)
    assert len(report.mismatches) == 2
