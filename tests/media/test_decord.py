"""The decord frame reader gives what the ffmpeg reader gives: the same clip-centre
frames and chunks, the same resize/crop geometry and rotation, and close features (the
scalers differ: decord's is bilinear, ffmpeg's bicubic)."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from highlight_plugin.apis.extract import extract
from highlight_plugin.engine.errors import ConfigError, DataError
from highlight_plugin.features import CLIPExtractor
from highlight_plugin.media.frames import clip_centre_indices, frame_reader, read_frames, read_frames_decord
from highlight_plugin.media.probe import MediaInfo


def _chunks(reader, path, fps, size, crop=True, chunk=4):
    return list(reader(str(path), fps, size, chunk=chunk, crop=crop))


def _mad(a, b):
    return np.abs(a.astype(np.int16) - b.astype(np.int16)).mean()


def test_same_clip_centre_frames(media_dir):
    path = media_dir / 'ramp.mkv'  # 10 fps, 5 s, gray level grows with the frame number
    levels = np.concatenate(_chunks(read_frames, path, 10, 16))[:, 8, 8, 0].astype(int)
    for fps in (0.5, 1.0, 1 / 3, 0.4, 3.0, 10.0, 16.0):  # ties (1 s = frame 10), gaps, repeats
        ref = np.concatenate(_chunks(read_frames, path, fps, 16))
        got = np.concatenate(_chunks(read_frames_decord, path, fps, 16))
        assert got.shape == ref.shape, fps
        index = lambda f: np.abs(f[:, 8, 8, 0, None].astype(int) - levels).argmin(1)  # noqa: E731
        np.testing.assert_array_equal(index(got), index(ref), err_msg=f'fps={fps}')
    np.testing.assert_array_equal(index(np.concatenate(_chunks(read_frames_decord, path, 0.5, 16))), [10, 30])


def test_clip_centre_rule_with_ticks():
    # 1-ms ticks (mkv), 29.97 fps: frame 5 starts at 167 ms, less than a tick after the
    # 1/6-s centre: ffmpeg (setpts truncates) shows it; float seconds alone would not
    starts = np.round(np.arange(30) * 1001 / 30000, 3)
    assert clip_centre_indices(starts, 1.001, 3.0, time_base=1000)[0] == 5
    assert clip_centre_indices(starts, 1.001, 3.0)[0] == 4
    # count: centres strictly before the end; a frame exactly at a centre is shown
    assert clip_centre_indices(np.arange(50) / 10, 5.0, 0.3, 1000).tolist() == [16]
    assert clip_centre_indices(np.arange(50) / 10, 5.0, 0.5, 1000).tolist() == [10, 30]


@pytest.mark.parametrize('size,crop,bound', [(32, True, 4), (21, True, 8), (16, False, 13)])
def test_geometry_and_chunks(media_dir, size, crop, bound):
    # testsrc (sharp edges, text) at tiny sizes is the worst case for bicubic vs bilinear;
    # (16, False) asks decord for 16-px rows, which it pads wrongly: read frame by frame
    path = media_dir / 'good.mp4'  # 64x48: crop 32 scales to 43x32, x offset 5.5 -> 6
    ref, got = _chunks(read_frames, path, 3.0, size, crop), _chunks(read_frames_decord, path, 3.0, size, crop)
    assert [c.shape for c in got] == [c.shape for c in ref] and got[0].dtype == np.uint8
    ref, got = np.concatenate(ref), np.concatenate(got)
    assert _mad(got, ref) < bound
    for axis in (1, 2):  # aligned: any one-pixel shift is much worse
        for shift in (-1, 1):
            assert _mad(np.roll(got, shift, axis=axis), ref) > 2 * _mad(got, ref)


def test_rotation(tmp_path, make_rotated):
    _, rotated = make_rotated(tmp_path, size='128x64', box='64x32')  # white top-left quarter
    for crop in (True, False):
        ref = np.concatenate(_chunks(read_frames, rotated, 1.0, 32, crop))
        got = np.concatenate(_chunks(read_frames_decord, rotated, 1.0, 32, crop))
        assert got.shape == ref.shape and _mad(got, ref) < 3
        assert _mad(np.rot90(got, axes=(1, 2)), ref) > 30  # the white quarter is in the same place


def test_clip_features_close(media_dir, tiny_clip_model):
    clip = dict(clip=CLIPExtractor(1.0, batch_size=2, model=tiny_clip_model))
    ref = extract(str(media_dir / 'good.mp4'), clip, chunk_seconds=2.0)
    got = extract(str(media_dir / 'good.mp4'), clip, chunk_seconds=2.0, backend='decord')
    assert got.rows == ref.rows == dict(clip=5)
    a, b = ref.features['clip'], got.features['clip']
    cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    assert cos.min() > 0.99 and np.abs(a - b).max() < 0.1 * np.abs(a).max()


def test_errors(media_dir):
    with pytest.raises(ConfigError, match='pyav'):
        frame_reader('pyav')
    with pytest.raises(DataError, match='corrupt.mp4'):
        list(read_frames_decord(str(media_dir / 'corrupt.mp4'), 1.0, 32))  # probe refuses it
    fake = MediaInfo(str(media_dir / 'corrupt.mp4'), 5.0, has_video=True, width=64, height=48)
    with pytest.raises(DataError, match=r'corrupt.mp4: decord cannot read'):
        list(read_frames_decord(fake.path, 1.0, 32, info=fake))
    audio_only = MediaInfo(str(media_dir / 'ramp.mkv'), 5.0, has_video=False)
    with pytest.raises(DataError, match='ramp.mkv: no video stream'):
        list(read_frames_decord(audio_only.path, 1.0, 32, info=audio_only))


def test_cli_reader_option(media_dir, tmp_path, tiny_clip_name):
    tool = Path(__file__).parents[2] / 'tools' / 'extract_features.py'
    spec = importlib.util.spec_from_file_location('extract_features_tool', tool)
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    assert cli.parse_args(['v.mp4', '--out-dir', 'o', '--layout', 'hotstar']).reader == 'ffmpeg'
    assert cli.parse_args(['v.mp4', '--out-dir', 'o', '--layout', 'hotstar', '--decoder', 'decord']).reader == 'decord'
    feats = {}
    for reader in ('ffmpeg', 'decord'):
        out = tmp_path / reader
        torch.manual_seed(0)  # same random weights for both runs
        assert cli.main([str(media_dir / 'good.mp4'), '--out-dir', str(out), '--layout', 'qvhighlights',
                         '--features', 'clip', '--clip-model', tiny_clip_name, '--random-init',
                         '--no-progress', '--reader', reader]) == 0
        feats[reader] = np.load(out / 'clip_features' / 'good.npz')['features']
    assert feats['decord'].shape == feats['ffmpeg'].shape == (2, 32)
    assert not np.array_equal(feats['decord'], feats['ffmpeg'])  # the option reached the reader
    np.testing.assert_allclose(feats['decord'], feats['ffmpeg'], atol=0.1 * np.abs(feats['ffmpeg']).max())
