"""The PyAV probe (issue 18): exact rational rates, variable-rate detection and frame times, time base, start
time, the source timecode, audio tracks and codecs; and the frame grid built on them."""
import subprocess
from fractions import Fraction

import numpy as np
import pytest

from highlight_plugin.media.clock import FrameGrid, inspect_source
from highlight_plugin.media.probe import ffmpeg_exe, probe
from highlight_plugin.media.rates import nearest_standard_rate, snap_rate
from tests.helpers.synthetic import variable_rate_video

NTSC = Fraction(1000, 1001)


def _make(path, rate, extra=(), audio=False, seconds=1):
    cmd = [ffmpeg_exe(), '-v', 'error', '-y', '-f', 'lavfi', '-i', f'testsrc=s=32x18:r={rate}:d={seconds}']
    if audio:
        cmd += ['-f', 'lavfi', '-i', f'sine=d={seconds}:r=44100', '-c:a', 'aac', '-metadata:s:a:0', 'language=eng']
    subprocess.run(cmd + ['-c:v', 'libx264', '-preset', 'ultrafast', *extra, str(path)], check=True)
    return str(path)


@pytest.mark.parametrize('rate', ['24000/1001', '30000/1001', '60000/1001', '25', '50'])
@pytest.mark.parametrize('ext', ['mp4', 'mkv', 'ts'])
def test_exact_rates_in_every_container(tmp_path, rate, ext):
    """Matroska's millisecond ticks give 59.94 fps as 19001/317: read as the standard rate it is."""
    info = probe(_make(tmp_path / f'v.{ext}', rate))
    assert info.rate == Fraction(rate) and not info.variable_rate and info.frame_times is None
    assert info.fps == float(Fraction(rate)) and isinstance(info.time_base, Fraction)
    assert info.time_base == {'mp4': info.time_base, 'mkv': Fraction(1, 1000), 'ts': Fraction(1, 90000)}[ext]
    assert info.start_time == pytest.approx(1.4 if ext == 'ts' else 0.0) and info.video_codec == 'h264'


def test_timecode_tracks_tags_and_audio(tmp_path):
    mov = probe(_make(tmp_path / 'a.mov', '30000/1001', ['-timecode', '00:59:59;28'], audio=True))
    assert mov.timecode == '00:59:59;28' and mov.drop_frame  # the tmcd track
    assert [(a.language, a.channels, a.sample_rate, a.codec) for a in mov.audio] == [('eng', 1, 44100, 'aac')]
    mkv = probe(_make(tmp_path / 'b.mkv', '24000/1001', ['-timecode', '01:00:00:00']))
    assert mkv.timecode == '01:00:00:00' and not mkv.drop_frame  # the container's tag
    assert probe(_make(tmp_path / 'c.mp4', '25')).timecode is None


def test_variable_rate_is_found_and_timed(tmp_path):
    info = probe(variable_rate_video(tmp_path / 'phone.mp4', audio=False))
    assert info.variable_rate and info.rate == info.average_rate and 40 < info.fps < 43
    expected = [k / 24 for k in range(48)] + [2 + j / 60 for j in range(120)]
    np.testing.assert_allclose(info.frame_times, expected, atol=1e-4)
    grid = inspect_source(info.path).grid
    assert grid.variable and grid.index(1.99) == 48 and grid.index(2.505) == 78 and grid.time(78) == pytest.approx(2.5)
    assert grid.edge(48) == pytest.approx((47 / 24 + 2) / 2) and grid.time(168) == pytest.approx(4.0)


def test_frame_grid_and_rates():
    grid = FrameGrid(Fraction(24000, 1001))
    assert grid.index(240.198) == 5759 and grid.time(5759) == 5759 * 1001 / 24000
    assert round(240.198 * 23.98) == 5760  # the banner's 23.98 is a frame off by 4 minutes
    assert grid.edge(1) == pytest.approx(0.5 * 1001 / 24000) and grid.snap(0.03) == pytest.approx(1001 / 24000)
    assert FrameGrid(Fraction(25)).index(0.02) == 1  # a tie goes to the later frame, as every edge does
    assert snap_rate(Fraction(19001, 317)) == 60 * NTSC and snap_rate(Fraction(2997, 100)) == 30 * NTSC
    assert snap_rate(Fraction(24)) == 24 and snap_rate(Fraction(12, 5)) == Fraction(12, 5)
    assert nearest_standard_rate(Fraction(4032, 97)) == 50 and nearest_standard_rate(28) == 30 * NTSC
