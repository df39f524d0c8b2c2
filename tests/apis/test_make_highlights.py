"""The product end to end: raw video -> features -> UMT scores -> segments -> clips, reel, JSON, plot, report."""
import json
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config

from highlight_plugin.apis import init_model
from highlight_plugin.apis.base import assemble_inputs
from highlight_plugin.media.probe import probe

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_assemble_inputs_repeats_coarse_features():
    feats = dict(clip=np.arange(10.)[:, None], panns=np.arange(4.)[:, None] * 10)
    video, audio = assemble_inputs(feats, dict(clip_len=1.0, video=('clip', ), audio=('panns', )),
                                   dict(clip=1.0, panns=2.0))
    assert video.shape == (10, 1)
    np.testing.assert_array_equal(audio[:, 0], [0, 0, 10, 10, 20, 20, 30, 30])


@pytest.fixture(scope='module')
def film(tmp_path_factory, make_media):
    return make_media(tmp_path_factory.mktemp('film') / 'film.mp4', seconds=40, size='192x108', fps=10)


def test_make_highlights_tool(film, tmp_path):
    torch.manual_seed(0)
    model = init_model(Config.fromfile(osp.join(REPO, 'configs', 'umt_hotstar.py')))
    ckpt = tmp_path / 'umt.pth'
    torch.save(dict(meta=dict(), state_dict=model.state_dict()), ckpt)
    out = tmp_path / 'out'
    proc = subprocess.run([sys.executable, osp.join(REPO, 'tools', 'make_highlights.py'), str(film),
                           osp.join(REPO, 'configs', 'umt_hotstar.py'), str(ckpt), '--out-dir', str(out),
                           '--random-init', '--min-len', '5', '--max-len', '10', '--top-k', '2', '--vertical', 'crop'],
                          capture_output=True, text=True, cwd=REPO, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads((out / 'highlights.json').read_text())
    assert len(result['scores']) == 40 and result['clip_len'] == 1.0
    segs = result['segments']
    assert 1 <= len(segs) <= 2 and [s['rank'] for s in segs] == list(range(1, len(segs) + 1))
    for seg in segs:
        assert 5 <= seg['end'] - seg['start'] <= 10
        info = probe(str(out / seg['clip']))
        assert (info.width, info.height) == (60, 108)  # 9:16 at the source's height: never upscaled
        assert info.duration == pytest.approx(seg['end'] - seg['start'], abs=0.3)
    assert probe(str(out / 'reel.mp4')).duration == pytest.approx(sum(s['end'] - s['start'] for s in segs), abs=0.5)
    for name in ('saliency.png', 'highlights.edl', 'highlights.otio', 'index.html'):
        assert (out / name).stat().st_size > 0
    assert 'reel.mp4' in (out / 'index.html').read_text()


def test_missing_weights_is_a_clear_error(film, tmp_path):
    proc = subprocess.run([sys.executable, osp.join(REPO, 'tools', 'make_highlights.py'), str(film),
                           osp.join(REPO, 'configs', 'umt_hotstar.py'), 'none', '--out-dir', str(tmp_path)],
                          capture_output=True, text=True, cwd=REPO, timeout=300)
    assert proc.returncode != 0
    assert 'Traceback' not in proc.stderr and '--clip-checkpoint' in proc.stderr
