"""tools/make_highlights.py end to end on generated videos of known truth (issue 10): shot changes found in the feature
decode and snapped to, clean audio at -14 LUFS, 9:16 that follows the subject, a silent broadcast stream whose clock
starts late, the progress bar (a terminal) and its silence (a pipe), and the report page in a real browser."""
import fcntl
import json
import os
import os.path as osp
import pty
import select
import struct
import subprocess
import sys
import termios

import numpy as np
import pytest
import torch
from mmengine.config import Config

from highlight_plugin.apis import init_model
from highlight_plugin.media.clock import stream_starts
from highlight_plugin.media.probe import ffmpeg_exe, probe
from highlight_plugin.render.cut import reel_loudness
from tests.helpers.synthetic import frame_indices, index_video, subject_video

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'make_highlights.py')
CONFIG = osp.join(REPO, 'configs', 'umt_hotstar.py')
FPS, W, H, BOX = 25, 320, 180, 24


@pytest.fixture(scope='module')
def ckpt(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp('umt') / 'umt.pth'
    torch.save(dict(meta=dict(), state_dict=init_model(Config.fromfile(CONFIG)).state_dict()), path)
    return str(path)


def run_tool(args, tty=False, timeout=300):
    """(exit code, everything it wrote on stderr/stdout); ``tty``: with a terminal as its stdin/stdout/stderr."""
    cmd = [sys.executable, TOOL, *map(str, args)]
    env = dict(os.environ, PYTHONPATH=REPO)
    if not tty:
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env, timeout=timeout)
        return proc.returncode, proc.stderr + proc.stdout, proc.stderr
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', 24, 100, 0, 0))  # a terminal 100 columns wide
    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, cwd=REPO, env=env)
    os.close(slave)
    out = b''
    while True:
        ready, _, _ = select.select([master], [], [], timeout)
        if not ready:
            proc.kill()
            break
        try:
            chunk = os.read(master, 1 << 16)
        except OSError:  # the tool exited: the terminal is gone
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return proc.wait(), out.decode(errors='replace'), None


def _frames(clip, size):
    w, h = size
    raw = subprocess.run([ffmpeg_exe(), '-v', 'error', '-i', str(clip), '-f', 'rawvideo', '-pix_fmt', 'gray',
                          'pipe:'], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w)


@pytest.fixture(scope='module')
def film(tmp_path_factory, ckpt):
    """Three 6-s shots (cuts at 6 and 12 s) of a subject moving about the left third, the right third, then across,
    with speech-like audio, made into a 9:16 reel that follows it."""
    d = tmp_path_factory.mktemp('film')
    video, boxes = subject_video(d / 'subject.mp4', seconds=6, size=f'{W}x{H}', fps=FPS, box=BOX,
                                 sides=('left', 'right', 'sweep'), audio=True)
    out = d / 'reel'
    code, text, stderr = run_tool([video, CONFIG, ckpt, '--out-dir', out, '--random-init', '--seed', '0',
                                   '--min-len', '4', '--max-len', '8', '--top-k', '2', '--vertical', 'follow'])
    assert code == 0, text[-3000:]
    return dict(video=video, boxes=boxes, out=out, stderr=stderr,
                result=json.loads((out / 'highlights.json').read_text()))


def test_shots_snapping_audio_and_follow_through_the_tool(film):
    result, out = film['result'], film['out']
    assert '%|' not in film['stderr']  # not a terminal: no progress bar
    assert [(round(s['time'], 2), s['kind']) for s in result['shots']] == [(6.0, 'cut'), (12.0, 'cut')]
    assert result['notes'] == [] and 1 <= len(result['segments']) <= 2
    size = (100, 180)  # 9:16 at the source's height
    for seg in result['segments']:
        for edge in ('start', 'end'):
            if seg['snap'][edge] == 'cut':
                assert seg[edge] in (6.0, 12.0)
        clip = out / seg['clip']
        info = probe(str(clip))
        assert (info.width, info.height) == size and len(info.audio) == 1
        assert (out / seg['poster']).stat().st_size > 0
        frames = _frames(clip, size)
        first = int(round(seg['start'] * FPS))
        assert len(frames) == int(round(seg['end'] * FPS)) - first
        shown = (frames > 200).sum(axis=(1, 2)) >= 0.9 * BOX * BOX  # the whole white box is in the picture
        assert shown.mean() >= 0.95, (seg, shown.mean())
    level, peak = reel_loudness(str(out / 'reel.mp4'))
    assert abs(level - (-14.0)) <= 1.0 and peak <= -1.0 + 0.3, (level, peak)
    assert probe(str(out / 'reel.mp4')).duration == pytest.approx(
        sum(s['end'] - s['start'] for s in result['segments']), abs=0.15)


def test_the_tools_report_page_in_chromium(film, open_page):
    page = open_page(str(film['out'] / 'index.html'))
    report = page.loaded()
    n = len(film['result']['segments'])
    assert report and report['videos'] == n + 2 and report['loaded'] == n + 2, report  # player, reel, clips
    assert page.wait_for('document.querySelectorAll("svg.curve .shot").length') == 2
    assert page.wait_for('document.querySelectorAll("img, video[poster]").length') >= n
    page.click_curve('curve-f0', 9.0)
    assert page.wait_for('window.__report.last')['player'] == 'source'
    assert page.wait_for('Math.abs(document.getElementById("player").currentTime - 9) < 0.5')
    assert page.errors() == [] and page.wait_for('window.__report.errors.length === 0')


def test_a_silent_late_starting_stream_in_a_terminal(tmp_path, ckpt):
    """An MPEG-TS without audio whose clock starts at 10 s: audio features of silence (a note says so), clips
    without audio holding exactly the frames their segments name, shot changes on the first frame's clock; in a
    terminal the tool shows its progress bar."""
    video = index_video(tmp_path / 'late.ts', seconds=12, fps=FPS, audio=False,
                        extra=['-output_ts_offset', '10', '-f', 'mpegts'])
    assert stream_starts(video).origin >= 10.0 and probe(video).duration == pytest.approx(12.0, abs=0.05)
    out = tmp_path / 'reel'
    code, text, _ = run_tool([video, CONFIG, ckpt, '--out-dir', out, '--random-init', '--seed', '0', '--min-len',
                              '3', '--max-len', '5', '--top-k', '2'], tty=True)
    assert code == 0, text[-3000:]
    assert '%|' in text and 'extract' in text and 'cut' in text  # the bar, through its stages
    result = json.loads((out / 'highlights.json').read_text())
    assert len(result['notes']) == 1 and 'no audio track' in result['notes'][0] and 'silence' in result['notes'][0]
    assert 'no audio track' in (out / 'index.html').read_text()
    shots = [round(s['time'] * FPS) for s in result['shots']]  # where many stripes flip at once
    assert shots and all(f % 16 == 0 and f < 12 * FPS for f in shots)
    for seg in result['segments']:
        clip = str(out / seg['clip'])
        assert probe(clip).audio == []
        frames = frame_indices(clip)
        assert list(frames) == list(range(int(round(seg['start'] * FPS)), int(round(seg['end'] * FPS)))), seg
    assert probe(str(out / 'reel.mp4')).audio == []
