"""Exact cuts (any start time, any GOP), audio kept exactly when present, fades and EBU R128 loudness."""
import subprocess

import numpy as np
import pytest

from highlight_plugin.media.clock import inspect_source
from highlight_plugin.media.probe import ffmpeg_exe, probe
from highlight_plugin.render.cut import LoudnessTarget, concat_clips, cut_clip, cut_clips, reel_loudness, vertical_size
from tests.helpers.synthetic import Shot, edited_video, frame_indices, index_video

FPS = 25


@pytest.fixture(scope='module')
def sources(tmp_path_factory):
    d = tmp_path_factory.mktemp('cut')
    return dict(
        mp4=index_video(d / 'plain.mp4', fps=FPS),
        ts=index_video(d / 'broadcast.ts', fps=FPS, extra=['-f', 'mpegts']),  # starts at 1.4 s
        late=index_video(d / 'late.ts', fps=FPS, gop=300, extra=['-output_ts_offset', '10', '-f', 'mpegts']),
        silent=index_video(d / 'silent.mp4', fps=FPS, audio=False))


@pytest.mark.parametrize('name', ['mp4', 'ts', 'late'])
def test_every_clip_holds_exactly_the_frames_its_segment_names(sources, name, tmp_path):
    src = inspect_source(sources[name])
    if name == 'late':
        assert src.origin > 10  # the timestamps start late, and a keyframe comes every 12 s only
    for start, end in [(0.0, 2.0), (2.52, 5.0), (9.0, 11.96)]:
        clip = cut_clip(src.path, start, end, str(tmp_path / 'clip.mp4'), source=src, loudness=None)
        shown = frame_indices(clip)
        np.testing.assert_array_equal(shown, np.arange(round(start * FPS), round(end * FPS)), err_msg=name)
        info = probe(clip)
        assert len(info.audio) == 1 and info.duration == pytest.approx(end - start, abs=0.03)


def test_a_transport_stream_reel_is_as_long_as_its_segments(sources, tmp_path):
    segments = [dict(start=1.0, end=5.0), dict(start=6.0, end=10.0), dict(start=8.0, end=12.0)]
    clips = cut_clips(sources['late'], segments, [str(tmp_path / f'{i}.mp4') for i in range(3)],
                      reel_path=str(tmp_path / 'reel.mp4'))
    assert [len(frame_indices(c)) for c in clips] == [100, 100, 100]
    reel = frame_indices(tmp_path / 'reel.mp4')
    np.testing.assert_array_equal(reel, np.concatenate([np.arange(25, 125), np.arange(150, 250), np.arange(200, 300)]))
    assert probe(str(tmp_path / 'reel.mp4')).duration == pytest.approx(12.0, abs=0.03)
    joined = concat_clips(clips, str(tmp_path / 'joined.mp4'))  # any clips of one encoding
    assert probe(joined).duration == pytest.approx(12.0, abs=0.03) and len(frame_indices(joined)) == 300


def test_audio_is_kept_exactly_when_the_source_has_it(sources, tmp_path):
    silent = cut_clip(sources['silent'], 1.0, 3.0, str(tmp_path / 'a.mp4'))
    assert probe(silent).audio == [] and len(frame_indices(silent)) == 50  # no invented silent track
    dropped = cut_clip(sources['mp4'], 1.0, 3.0, str(tmp_path / 'b.mp4'), has_audio=False)
    assert probe(dropped).audio == []


def _samples(path):
    raw = subprocess.run([ffmpeg_exe(), '-v', 'error', '-i', str(path), '-map', '0:a:0', '-ac', '1', '-ar', '48000',
                          '-f', 'f32le', 'pipe:'], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.float32)


@pytest.fixture(scope='module')
def uneven(tmp_path_factory):
    """Speech-like audio whose level changes by 10 dB between shots (about -34, -29 and -23 LUFS)."""
    shots = [Shot('testsrc2', 6), Shot('smptehdbars', 6), Shot('rgbtestsrc', 6)]
    return edited_video(tmp_path_factory.mktemp('loud') / 'uneven.mp4', shots, fps=FPS, size='160x90',
                        levels=[(0, 6, 0.6), (12, 18, 2.0)])


def test_the_reel_meets_the_loudness_target_with_faded_edges(uneven, tmp_path):
    segments = [dict(start=0.5, end=4.5), dict(start=7.0, end=11.0), dict(start=13.0, end=17.0)]
    levels = []
    for mode, target in (('clip', -14.0), ('reel', -14.0), ('clip', -20.0)):
        reel = str(tmp_path / f'{mode}.mp4')
        clips = cut_clips(uneven.path, segments, [str(tmp_path / f'{mode}{i}.mp4') for i in range(3)],
                          loudness_mode=mode, loudness=LoudnessTarget(target), reel_path=reel)
        integrated, peak = reel_loudness(reel)
        assert integrated == pytest.approx(target, abs=1.0), (mode, target)  # EBU R128, ffmpeg ebur128
        assert peak <= -1.0
        assert probe(reel).duration == pytest.approx(12.0, abs=0.03)  # no drift at the joins
        levels.append([reel_loudness(c)[0] for c in clips])
    assert max(levels[0]) - min(levels[0]) < 1.0  # each clip at the target: no jumps
    assert max(levels[1]) - min(levels[1]) > 6.0  # one gain: the source's mix kept (up to the limiter)
    audio = _samples(clips[1])
    edge, middle = 48 * 5, slice(len(audio) // 2 - 2400, len(audio) // 2 + 2400)  # 5 ms at the edges
    rms = lambda x: float(np.sqrt(np.mean(np.square(x))))  # noqa: E731
    assert rms(audio[:edge]) < 0.1 * rms(audio[middle]) and rms(audio[-edge:]) < 0.1 * rms(audio[middle])
    untouched = cut_clip(uneven.path, 13.0, 17.0, str(tmp_path / 'raw.mp4'), loudness=None, fade=0)
    assert reel_loudness(untouched)[0] < -14.0 - 6  # off: the source's own level (about -23 LUFS)


def test_vertical_sizes(sources, tmp_path):
    assert vertical_size(1280, 720, 1920) == (1080, 1920) and vertical_size(1280, 720) == (404, 720)
    assert vertical_size(3840, 2160, 'source') == (1080, 1920)
    clip = cut_clip(sources['mp4'], 0.0, 1.0, str(tmp_path / 'v.mp4'), vertical='crop', vertical_height='source')
    assert (probe(clip).width, probe(clip).height) == vertical_size(192, 108, 'source')
