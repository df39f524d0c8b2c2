"""Shot changes and snapped edges on the source's own frame grid (issue 18): the exact rational rate of a 23.976
file, the real frame times of a variable-rate one (24 then 60 fps)."""
import subprocess
from fractions import Fraction

import pytest

from highlight_plugin.analysis.reel import ReelAnalysis
from highlight_plugin.analysis.snapping import EdgeSnapper
from highlight_plugin.apis.extract import analyse_alone
from highlight_plugin.media.probe import ffmpeg_exe
from tests.helpers.synthetic import variable_rate_video


def _two_shots(path, rate, cut_frame, frames):
    """Two test patterns joined by a hard cut before frame ``cut_frame``, at ``rate`` (exact)."""
    graph = (f'testsrc2=s=64x36:r={rate},trim=end_frame={cut_frame}[a];'
             f'smptehdbars=s=64x36:r={rate},trim=end_frame={frames - cut_frame}[b];[a][b]concat=n=2:v=1:a=0[v]')
    subprocess.run([ffmpeg_exe(), '-v', 'error', '-y', '-filter_complex', graph, '-map', '[v]', '-c:v', 'libx264',
                    '-preset', 'veryfast', '-pix_fmt', 'yuv420p', str(path)], check=True)
    return str(path)


def test_a_23976_shot_change_is_at_its_frames_time(tmp_path):
    path = _two_shots(tmp_path / 'film.mp4', '24000/1001', 70, 100)
    analysis = analyse_alone(path, ReelAnalysis(shots=True, pauses=False))
    cut, = analysis.transitions
    assert cut.time == pytest.approx(70 * 1001 / 24000, abs=1e-9) and analysis.cut.rate == Fraction(24000, 1001)
    snapped, = EdgeSnapper(tolerance=1.0, grid=analysis.cut.grid)([dict(start=2.6, end=3.9)], analysis.transitions)
    assert snapped['start'] == round(70 * 1001 / 24000, 3) and snapped['snap']['start'] == 'cut'
    assert snapped['end'] == round(94 * 1001 / 24000, 3)  # no shot change near: the nearest frame


def test_a_variable_rate_shot_change_is_at_its_real_time(tmp_path):
    """The tiny frames of a 24-then-60-fps file are its own frames: the cut at 2.5 s (frame 78) is found there,
    not at 78 frames of its 41.6-fps average (1.88 s)."""
    path = variable_rate_video(tmp_path / 'phone.mp4', cut=2.5, audio=False)
    analysis = analyse_alone(path, ReelAnalysis(shots=True, pauses=False, follow=True))
    cut, = analysis.transitions
    assert cut.time == pytest.approx(2.5, abs=1e-6) and analysis.cut.grid.variable
    # the follow profile is binned in time: its frames resampled at the average rate, the cut's bin at 2.5 s
    profile = analysis.profile
    busiest = int(profile.motion.astype(float).mean(axis=1).argmax())
    assert abs(busiest * profile.bin_seconds - 2.5) <= 1 / profile.fps  # the bin opening on the new shot
    snapped, = EdgeSnapper(tolerance=0.01, grid=analysis.cut.grid)([dict(start=0.3, end=2.9)], [])
    assert snapped == dict(start=0.3, end=2.9, snap=dict(start=None, end=None))  # nothing in reach: kept as is
    assert analysis.cut.grid.snap(1.99) == pytest.approx(2.0) and analysis.cut.grid.snap(2.505) == pytest.approx(2.5)
