"""Shot boundaries on a generated edit whose cuts, dissolves and fades are known to the frame."""
import numpy as np
import pytest

from highlight_plugin.analysis.shots import ShotDetector, detect_shots
from highlight_plugin.media.branches import read_tiny_frames
from tests.helpers.synthetic import Shot, edited_video

FPS = 25


@pytest.fixture(scope='module')
def edit(tmp_path_factory):
    shots = [Shot('testsrc2', 3), Shot('smptehdbars', 3),
             Shot('life=mold=10:ratio=0.5:seed=7:death_color=#204080', 3, 'dissolve', 1.0),
             Shot('rgbtestsrc', 3, 'fade', 1.0), Shot('yuvtestsrc', 3, 'dissolve', 1.2),
             Shot('testsrc2,scroll=h=0.03', 3), Shot('smptebars', 3)]  # a fast pan is no cut
    video = edited_video(tmp_path_factory.mktemp('shots') / 'edit.mp4', shots, fps=FPS, audio=False,
                         flashes=(20, 280))  # camera flashes are no cuts either
    frames = np.concatenate(list(read_tiny_frames(video.path, FPS)))
    return video, frames


def test_cuts_dissolves_and_fades_are_found_to_the_frame(edit):
    video, frames = edit
    found = detect_shots([frames], FPS)
    assert [t.kind for t in found] == [k for k, _, _ in video.transitions]
    frame = 1 / FPS
    for t, (kind, start, end) in zip(found, video.transitions):
        if kind == 'cut':  # the first frame of the new shot, exactly
            assert t.time == t.start == t.end == pytest.approx(start, abs=1e-9)
        else:  # the span of the mix, within two frames; its middle within one
            assert t.start == pytest.approx(start, abs=2 * frame + 1e-9)
            assert t.end == pytest.approx(end, abs=2 * frame + 1e-9)
            if kind == 'dissolve':
                assert t.time == pytest.approx((start + end) / 2, abs=frame + 1e-9)


def test_streaming_in_any_chunks_gives_the_same_answer(edit):
    _, frames = edit
    whole = detect_shots([frames], FPS)
    for size in (1, 7, 100):
        det = ShotDetector(FPS)
        for i in range(0, len(frames), size):
            det.push(frames[i:i + size])
            assert len(det._tail) <= det._keep  # bounded: a few dozen tiny frames
        assert det.finish() == whole
    gray = detect_shots([frames.mean(axis=3).astype(np.uint8)], FPS)
    assert [round(t.time * FPS) for t in gray if t.kind == 'cut'] == \
        [round(t.time * FPS) for t in whole if t.kind == 'cut']


def test_still_and_empty_streams_have_no_shot_change():
    assert detect_shots([], FPS) == []
    still = np.full((50, 36, 64, 3), 90, np.uint8)
    noisy = (still + np.random.default_rng(0).integers(0, 6, still.shape)).astype(np.uint8)
    assert detect_shots([still], FPS) == [] and detect_shots([noisy], FPS) == []
    with pytest.raises(ValueError):
        ShotDetector(0)
