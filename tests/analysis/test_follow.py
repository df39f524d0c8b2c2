"""9:16 that follows the action (issue 10, must show: the subject inside the crop in >= 95 % of frames)."""
import subprocess

import numpy as np
import pytest

from highlight_plugin.analysis.follow import ActivityProfile, follow_track, track_inside, window_fraction
from highlight_plugin.analysis.shots import ShotDetector
from highlight_plugin.media.branches import read_tiny_frames
from highlight_plugin.media.probe import ffmpeg_exe, probe
from highlight_plugin.render.cut import cut_clip, vertical_size
from tests.helpers.synthetic import subject_video

FPS, W, H, BOX = 25, 640, 360, 48


@pytest.fixture(scope='module')
def subject(tmp_path_factory):
    """Three 6-s shots: a subject moving about the left third, then the right third, then sweeping across."""
    path, boxes = subject_video(tmp_path_factory.mktemp('follow') / 'subject.mp4', seconds=6,
                                size=f'{W}x{H}', fps=FPS, box=BOX, sides=('left', 'right', 'sweep'))
    shots, profile = ShotDetector(FPS), ActivityProfile(FPS)
    for chunk in read_tiny_frames(path, FPS):  # one tiny-frame stream feeds both, as in make_highlights
        shots.push(chunk)
        profile.push(chunk)
    return path, boxes, shots.finish(), profile.finish()


def _visible(clip, size):
    """Per frame of ``clip``, whether the whole white box is in the picture."""
    w, h = size
    raw = subprocess.run([ffmpeg_exe(), '-v', 'error', '-i', str(clip), '-f', 'rawvideo', '-pix_fmt', 'gray',
                          'pipe:'], capture_output=True, check=True).stdout
    frames = np.frombuffer(raw, np.uint8).reshape(-1, h, w)
    return (frames > 200).sum(axis=(1, 2)) >= 0.9 * BOX * BOX


def test_the_subject_stays_inside_the_crop(subject, tmp_path):
    path, boxes, transitions, profile = subject
    assert [round(t.time, 2) for t in transitions] == [6.0, 12.0]
    window = window_fraction(W, H)
    start, end = 1.0, 17.0
    track = follow_track(profile, start, end, transitions, window=window)
    assert len(track) == (end - start) * FPS
    size = vertical_size(W, H, 'source')
    follow = cut_clip(path, start, end, str(tmp_path / 'follow.mp4'), vertical='follow', track=track,
                      vertical_height='source')
    assert (probe(follow).width, probe(follow).height) == size == (202, 360)  # the source's pixels, not upscaled
    shown = _visible(follow, size)
    assert len(shown) == len(track) and shown.mean() >= 0.95
    assert shown[:125].mean() >= 0.95 and shown[125:275].mean() >= 0.95  # the one-sided shots, each
    centre = _visible(cut_clip(path, start, end, str(tmp_path / 'centre.mp4'), vertical='crop',
                               vertical_height='source'), size)
    assert centre.mean() < 0.5  # a fixed centre crop loses it


def test_the_window_glides_within_a_shot_and_jumps_at_cuts(subject):
    path, boxes, transitions, profile = subject
    window = window_fraction(W, H)
    track = follow_track(profile, 0.0, 18.0, transitions, window=window)
    x = np.array([c for _, c in track]) * W
    inside = track_inside(track, [(bx, bx + BOX) for bx, _ in boxes], W, window)
    assert inside.mean() >= 0.95
    steps = np.abs(np.diff(x))
    cuts = [149, 299]  # between frames 149 | 150 and 299 | 300
    assert steps[cuts].min() > 200  # a jump to the other side at each cut
    steps[cuts] = 0
    assert steps.max() < 0.03 * W  # within a shot: at most 19 px per frame (the sweep crosses 400 px in 3 s)
    assert np.ptp(x[300:]) > 300  # and it does follow the sweep


def test_profile_is_the_same_in_any_chunks(subject):
    path, _, _, whole = subject
    frames = np.concatenate(list(read_tiny_frames(path, FPS)))
    for size in (1, 13):
        p = ActivityProfile(FPS)
        for i in range(0, len(frames), size):
            p.push(frames[i:i + size])
        np.testing.assert_allclose(p.motion, whole.motion, atol=1e-2)
        np.testing.assert_allclose(p.detail, whole.detail, atol=1e-2)
    # nothing to follow (or a window as wide as the frame): the centre
    still = ActivityProfile(FPS)
    still.push(np.zeros((50, 36, 64, 3), np.uint8))
    assert {c for _, c in follow_track(still.finish(), 0, 2, window=0.3)} == {0.5}
    assert {c for _, c in follow_track(whole, 0, 2, window=1.0)} == {0.5}
