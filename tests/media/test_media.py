import numpy as np
import pytest

from highlight_plugin.engine.errors import ConfigError, DataError
from highlight_plugin.media.audio import audio_reader, read_audio
from highlight_plugin.media.frames import frame_reader, read_frames
from highlight_plugin.media.probe import probe, select_audio_stream
from highlight_plugin.media.specs import FrameSpec


def _frames(path, fps, size=16, crop=True):
    return np.concatenate(list(read_frames(str(path), fps, size, chunk=4, crop=crop)))


def test_probe_streams_and_languages(media_dir):
    info = probe(media_dir / 'two_tracks.mkv')
    assert info.has_video and (info.width, info.height) == (64, 48)
    assert abs(info.duration - 3.0) < 0.1
    assert [(a.index, a.language, a.default) for a in info.audio] == [(0, 'fra', True), (1, 'hin', False)]
    assert probe(media_dir / 'noaudio.mp4').audio == []
    with pytest.raises(DataError, match='corrupt.mp4'):
        probe(media_dir / 'corrupt.mp4')


def test_audio_language_selection(media_dir):
    info = probe(media_dir / 'two_tracks.mkv')
    assert select_audio_stream(info, ['en', 'hin', 'hi']).index == 1
    assert select_audio_stream(info, ['en', 'hi']).index == 1  # ISO 639-1 'hi' names 'hin'
    assert select_audio_stream(info, ['en']).index == 0  # default stream
    assert select_audio_stream(info, []).index == 0
    # the chosen stream is the one decoded: track 1 is a 880 Hz sine, track 0 440 Hz
    for stream, freq in ((info.audio[0], 440), (info.audio[1], 880)):
        x = np.concatenate(list(read_audio(str(media_dir / 'two_tracks.mkv'), 16000, stream)))
        assert abs(len(x) - 48000) < 400
        peak = np.argmax(np.abs(np.fft.rfft(x[:16000]))) * 16000 / 16000
        assert abs(peak - freq) <= 2


def test_frames_at_clip_centres(media_dir):
    path = media_dir / 'ramp.mkv'  # 10 fps, 5 s, gray level grows with the frame number
    every = _frames(path, 10)
    assert len(every) == 50 and np.all(np.diff(every[:, 8, 8, 0].astype(int)) >= 0)
    centres = _frames(path, 0.5)  # 2-s clips: frames shown at 1 s and 3 s
    assert len(centres) == 2
    np.testing.assert_array_equal(centres, every[[10, 30]])
    per_second = _frames(path, 1.0)  # 1-s clips: 0.5 s ... 4.5 s
    np.testing.assert_array_equal(per_second, every[[5, 15, 25, 35, 45]])


def test_variable_frame_rate_follows_timestamps(tmp_path, make_media):
    # frames 10..29 are dropped: seconds 1-3 show frame 9, and the clip grid stays on time
    path = make_media(tmp_path / 'vfr.mkv', seconds=5, gray_ramp=True, audio=None,
                      extra=['-vf', "select='not(between(n,10,29))'", '-fps_mode', 'vfr'])
    every = _frames(path, 10)
    assert len(every) == 50  # gaps filled on the 10-fps grid
    centres = _frames(path, 0.5)
    assert len(centres) == 2
    np.testing.assert_array_equal(centres[0], every[9])  # shown at 1 s: frame 9
    np.testing.assert_array_equal(centres[1], every[30])


def test_rotation_metadata_is_applied(tmp_path, make_rotated):
    # 64x32, white left half; with 90-degree display rotation the white half is on top or bottom
    asym, rotated = make_rotated(tmp_path, size='64x32', box='32x32')
    a = _frames(asym, 1.0, size=16, crop=False)[0, :, :, 0].astype(int)
    b = _frames(rotated, 1.0, size=16, crop=False)[0, :, :, 0].astype(int)
    assert a[:, :8].mean() > 200 and a[:, 8:].mean() < 50
    assert max(b[:8].mean(), b[8:].mean()) > 200 and min(b[:8].mean(), b[8:].mean()) < 50


def test_odd_resolution_and_corrupt(tmp_path, media_dir, make_media):
    odd = make_media(tmp_path / 'odd.mkv', seconds=2, size='33x17', audio=None, vcodec='ffv1',
                     extra=['-pix_fmt', 'yuv444p'])
    frames = _frames(odd, 1.0, size=16)
    assert frames.shape == (2, 16, 16, 3)
    with pytest.raises(DataError, match='ffmpeg'):
        list(read_frames(str(media_dir / 'corrupt.mp4'), 1.0, 16))


def test_named_samplings_and_audio_methods(media_dir):
    spec = FrameSpec(fps=1.0, size=16)
    via_registry = np.concatenate(list(frame_reader('ffmpeg', 'centre')(str(media_dir / 'good.mp4'), spec, 4, 0, None)))
    np.testing.assert_array_equal(via_registry, _frames(media_dir / 'good.mp4', 1.0))
    with pytest.raises(ConfigError, match="sampling 'nope' is not available on the ffmpeg reader"):
        frame_reader('ffmpeg', 'nope')
    with pytest.raises(ConfigError, match="unknown audio reading 'nope'"):
        audio_reader('nope')
