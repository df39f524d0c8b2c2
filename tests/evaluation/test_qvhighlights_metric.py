"""QVHighlightsMetric / QVHighlightsSubmission through mmengine's Evaluator, and
the standalone tool."""
import importlib.util
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmaction.structures import ActionDataSample
from mmengine.evaluator import Evaluator

from highlight_plugin.engine.errors import DataError
from highlight_plugin.evaluation.functional import qvhighlights as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
QVH = os.path.join(REPO, 'tests', 'data', 'qvhighlights')
TOOL = os.path.join(REPO, 'tools', 'eval_qvhighlights.py')
_spec = importlib.util.spec_from_file_location('qvh_submissions',
                                               os.path.join(HERE, 'qvh_submissions.py'))
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)

LABELS = ('duration', 'relevant_windows', 'relevant_clip_ids', 'saliency_scores')


@pytest.fixture(scope='module')
def val():
    return F.load_jsonl(os.path.join(QVH, 'highlight_val_release.jsonl'))[:300]


def samples(gt, submission, labelled=True):
    """Data samples as a model's predict step returns them (float32 tensors)."""
    out = []
    for i, (r, p) in enumerate(zip(gt, submission)):
        ds = ActionDataSample()
        meta = dict(sample_idx=i, qid=r['qid'], vid=r['vid'], query=r['query'],
                    num_clips=int(r['duration'] / 2), clip_len=2.0, duration=r['duration'])
        if labelled:
            meta.update({k: r[k] for k in LABELS})
        ds.set_metainfo(meta)
        ds.pred_saliency = torch.tensor(p['pred_saliency_scores'], dtype=torch.float32)
        if 'pred_relevant_windows' in p:
            w = torch.tensor(p['pred_relevant_windows'], dtype=torch.float32)
            ds.pred_windows = w[w[:, 2].argsort(descending=True, stable=True)]
        out.append(ds)
    return out


def run(metrics, data_samples, batch=32):
    evaluator = Evaluator(metrics)
    for i in range(0, len(data_samples), batch):
        evaluator.process(data_samples[i:i + batch])
    return evaluator.evaluate(len(data_samples))


def float32(submission):
    """The submission as the float32 tensors of a model would carry it."""
    out = []
    for p in submission:
        p = dict(p, pred_saliency_scores=np.float32(p['pred_saliency_scores']).astype(float))
        if 'pred_relevant_windows' in p:
            w = np.float32(p['pred_relevant_windows']).astype(float)
            p['pred_relevant_windows'] = w[np.argsort(-w[:, 2], kind='stable')]
        out.append(p)
    return out


def test_metric_equals_functional(val):
    sub = gen.make_submission(val, kind='noisy_oracle', seed=5)
    got = run(dict(type='QVHighlightsMetric'), samples(val, sub))
    expected = F.eval_submission(float32(sub), val)['brief']
    assert got == dict(expected)
    assert 'HL-min-VeryGood-mAP' in got and 'MR-full-R1@0.7' in got


def test_metric_hd_only_full_and_duplicates(val):
    sub = gen.make_submission(val, kind='random', seed=6, windows=False)
    data = samples(val, sub)
    got = run(dict(type='QVHighlightsMetric', full=True), data + data[:10])  # 10 repeated
    assert not any(k.startswith('MR') or k.startswith('full') for k in got)
    expected = F.eval_submission(float32(sub), val)
    assert got['HL-min-Good-Hit1'] == expected['brief']['HL-min-Good-Hit1']
    assert got['HL-min-Fair/HL-mAP'] == expected['HL-min-Fair']['HL-mAP']


def test_metric_on_test_split_computes_nothing(val):
    sub = gen.make_submission(val, kind='random', seed=7)
    assert run(dict(type='QVHighlightsMetric'), samples(val, sub, labelled=False)) == {}


def test_metric_rejects_nan(val):
    data = samples(val[:4], gen.make_submission(val[:4], kind='random'))
    data[2].pred_saliency[3] = float('nan')
    with pytest.raises(DataError, match=f'qid {val[2]["qid"]}.*NaN'):
        run(dict(type='QVHighlightsMetric'), data)


def test_submission_dump_round_trips_through_the_tool(val, tmp_path):
    sub = gen.make_submission(val, kind='ties', seed=8)  # grid windows: exact in float32
    out_file = tmp_path / 'preds' / 'hl_val_submission.jsonl'
    metrics = [dict(type='QVHighlightsMetric'),
               dict(type='QVHighlightsSubmission', out_file=str(out_file))]
    got = run(metrics, samples(val, sub))
    lines = out_file.read_text().split('\n')
    assert len(lines) == len(val) and [json.loads(x)['qid'] for x in lines] == \
        [r['qid'] for r in val]
    first = json.loads(lines[0])
    assert set(first) == {'qid', 'query', 'vid', 'pred_saliency_scores',
                          'pred_relevant_windows'}
    assert [p for p in os.listdir(out_file.parent)] == ['hl_val_submission.jsonl']
    gt_file = tmp_path / 'gt.jsonl'
    gt_file.write_text('\n'.join(json.dumps(r) for r in val))
    res = subprocess.run([sys.executable, TOOL, '--submission', str(out_file),
                          '--gt', str(gt_file), '--out', str(tmp_path / 'm.json')],
                         capture_output=True, text=True, check=True)
    assert json.loads(res.stdout) == got
    assert json.loads((tmp_path / 'm.json').read_text())['brief'] == got


def test_submission_on_test_split(val, tmp_path):
    sub = gen.make_submission(val[:5], kind='random', windows=False)
    out_file = tmp_path / 'test.jsonl'
    assert run(dict(type='QVHighlightsSubmission', out_file=str(out_file)),
               samples(val[:5], sub, labelled=False)) == {}
    entry = json.loads(out_file.read_text().split('\n')[0])
    assert set(entry) == {'qid', 'query', 'vid', 'pred_saliency_scores'}
    assert np.allclose(entry['pred_saliency_scores'], sub[0]['pred_saliency_scores'],
                       atol=1e-6)


# ------------------------------------------------------------------ standalone tool
def test_tool_equals_official_without_torch(tmp_path):
    gt = os.path.join(QVH, 'highlight_val_release.jsonl')
    sub = gen.make_submission(F.load_jsonl(gt), **gen.CASES['ties'])
    sub_file = tmp_path / 'sub.jsonl'
    sub_file.write_text('\n'.join(json.dumps(r) for r in sub))
    # Run the tool's main() in a fresh interpreter and report what it imported.
    code = ('import runpy, sys; main = runpy.run_path(sys.argv[1])["main"]; '
            'rc = main(sys.argv[2:]); '
            'print("IMPORTED", [m for m in ("torch", "mmengine", "mmaction") if m in sys.modules])')
    res = subprocess.run([sys.executable, '-c', code, TOOL, '--submission', str(sub_file),
                          '--gt', gt, '--out', str(tmp_path / 'm.json')],
                         capture_output=True, text=True, check=True)
    assert res.stdout.strip().endswith('IMPORTED []')
    with open(os.path.join(QVH, 'official_eval', 'ties.json')) as f:
        assert json.loads((tmp_path / 'm.json').read_text()) == json.load(f)


@pytest.mark.parametrize('lines, message', [
    (['{"qid": 1, "pred_saliency_scores": [0.1, 0.2, 0.3]}', 'not json'],
     'sub.jsonl:2: not valid JSON'),
    (['{"qid": 1, "pred_saliency_scores": [0.1, NaN]}'], 'qid 1.*NaN'),
    (['{"qid": 1, "pred_saliency_scores": [1], "pred_relevant_windows": [[6, 2, 1]]}'],
     'qid 1.*start > end'),
    (['{"qid": 5, "pred_saliency_scores": [0.1]}'],
     r'missing from the submission: \[1\].*not in the ground truth: \[5\]'),
])
def test_tool_bad_input_one_line(tmp_path, lines, message):
    (tmp_path / 'sub.jsonl').write_text('\n'.join(lines))
    (tmp_path / 'gt.jsonl').write_text(json.dumps(dict(
        qid=1, duration=6, relevant_clip_ids=[0], saliency_scores=[[4, 4, 4]],
        relevant_windows=[[0, 2]])))
    res = subprocess.run([sys.executable, TOOL, '--submission', str(tmp_path / 'sub.jsonl'),
                          '--gt', str(tmp_path / 'gt.jsonl')], capture_output=True, text=True)
    assert res.returncode == 1 and res.stdout == ''
    assert len(res.stderr.strip().splitlines()) == 1
    assert re.search(message, res.stderr)
