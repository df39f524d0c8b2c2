"""Regenerate the official metrics stored next to this script.

Writes each seeded submission of ``tests/evaluation/qvh_submissions.py`` (over
``../highlight_val_release.jsonl``) to a temporary file, scores it with the
official evaluator of jayleicn/moment_detr and stores its output JSON here::

    python tests/data/qvhighlights/official_eval/regenerate.py /path/to/moment_detr

The moment_detr checkout is only run, never copied into this repository.
"""
import importlib.util
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
QVH = os.path.dirname(HERE)
GENERATOR = os.path.join(QVH, '..', '..', 'evaluation', 'qvh_submissions.py')


def main(moment_detr):
    spec = importlib.util.spec_from_file_location('qvh_submissions', GENERATOR)
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    gt_path = os.path.join(QVH, 'highlight_val_release.jsonl')
    with open(gt_path) as f:
        gt = [json.loads(line) for line in f]
    with tempfile.TemporaryDirectory() as tmp:
        for name, case in gen.CASES.items():
            sub = os.path.join(tmp, f'{name}.jsonl')
            with open(sub, 'w') as f:
                f.write('\n'.join(json.dumps(r) for r in gen.make_submission(gt, **case)))
            out = os.path.join(HERE, f'{name}.json')
            subprocess.run([sys.executable, '-m', 'standalone_eval.eval', '--submission_path',
                            sub, '--gt_path', gt_path, '--save_path', out, '--not_verbose'],
                           cwd=moment_detr, check=True, stdout=subprocess.DEVNULL)
            print(name, json.load(open(out))['brief'])


if __name__ == '__main__':
    main(sys.argv[1])
