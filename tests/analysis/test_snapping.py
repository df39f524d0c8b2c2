"""Edge snapping on a generated video with known shot changes and a known pause (issue 10, must show)."""
import numpy as np
import pytest

from highlight_plugin.analysis.pauses import LoudnessEnvelope, envelope_of
from highlight_plugin.analysis.shots import Transition, detect_shots
from highlight_plugin.analysis.snapping import EdgeSnapper, snap_segments
from highlight_plugin.media.audio import read_audio
from highlight_plugin.media.branches import read_tiny_frames
from tests.helpers.synthetic import Shot, edited_video

FPS = 25
PAUSE = (16.0, 16.8)


@pytest.fixture(scope='module')
def scene(tmp_path_factory):
    """Cuts at 6, 12, 20 and 30 s, a dissolve over 23-24 s, and a pause at 16.0-16.8 s (2 s and more from any
    shot change), detected as make_highlights will: shots on 64x36 frames, pauses on the 32-kHz mono audio."""
    shots = [Shot('testsrc2', 6), Shot('smptehdbars', 6), Shot('rgbtestsrc', 8), Shot('yuvtestsrc', 4),
             Shot('smptebars', 7, 'dissolve', 1.0), Shot('testsrc2', 16)]
    video = edited_video(tmp_path_factory.mktemp('snap') / 'scene.mp4', shots, fps=FPS, pauses=[PAUSE])
    transitions = detect_shots(read_tiny_frames(video.path, FPS), FPS)
    envelope = envelope_of(read_audio(video.path, 32000))
    return video, transitions, envelope


def _truth_edges(video):
    """(times a clip may start at, times it may end at) from the known transitions."""
    return [e for _, _, e in video.transitions], [s for _, s, _ in video.transitions]


def test_every_edge_lands_on_the_change_or_in_the_pause(scene):
    video, transitions, envelope = scene
    assert [t.kind for t in transitions] == [k for k, _, _ in video.transitions]  # the detector found them all
    segments = [dict(start=5.0, end=10.5, score=0.9),   # start 1 s before the cut at 6, end 1.5 s before 12
                dict(start=15.0, end=21.5, score=0.8),  # start 1 s before the pause (no change within 2 s)
                dict(start=24.6, end=28.7, score=0.7),  # start 0.6 s after the dissolve ends at 24: snaps back
                dict(start=35.0, end=40.0, score=0.1)]  # nothing within 2 s of either edge: unchanged
    snapped = EdgeSnapper(tolerance=2.0, min_len=3, max_len=30, fps=FPS)(
        segments, transitions, envelope, duration=video.duration)
    begins, finishes = _truth_edges(video)
    frame = 1 / FPS + 1e-6  # a cut to the frame; a dissolve's edges are fuzzy (its first frames barely differ)
    for before, after in zip(segments, snapped):
        for edge, truth in (('start', begins), ('end', finishes)):
            near = [c for c in truth if abs(c - before[edge]) <= 2.0]
            in_reach_pause = abs(before[edge] - np.clip(before[edge], *PAUSE)) <= 2.0
            if near:  # within one frame of the nearest shot change
                nearest = min(near, key=lambda c: abs(c - before[edge]))
                kind = next(k for k, s, e in video.transitions if nearest in (s, e))
                assert after[edge] == pytest.approx(nearest, abs=frame if kind == 'cut' else 2 * frame), \
                    (edge, before, after)
                assert after['snap'][edge] == 'cut'
            elif in_reach_pause:  # inside the pause
                assert PAUSE[0] <= after[edge] <= PAUSE[1], (edge, before, after)
                assert after['snap'][edge] == 'pause'
            else:
                assert after[edge] == before[edge] and after['snap'][edge] is None
    assert [s['score'] for s in snapped] == [0.9, 0.8, 0.7, 0.1]  # order and fields kept


def test_tolerance_zero_is_off_and_lengths_and_neighbours_are_kept(scene):
    video, transitions, envelope = scene
    segs = [dict(start=5.0, end=10.5, score=1.0)]
    assert snap_segments(segs, transitions, envelope, tolerance=0) == segs
    # a max_len of 5 s forbids 6 -> 12 (6 s): the end keeps a fitting candidate instead
    out = snap_segments(segs, transitions, envelope, tolerance=2.0, max_len=5.0, fps=FPS)[0]
    assert out['end'] - out['start'] <= 5.0 + 1e-6
    # two segments around one cut end and start on it without overlapping
    pair = snap_segments([dict(start=1.0, end=5.5), dict(start=6.5, end=10.0)], transitions, envelope,
                         tolerance=2.0, fps=FPS)
    assert pair[0]['end'] == pytest.approx(6.0) and pair[1]['start'] == pytest.approx(6.0)


def test_no_clip_starts_just_before_a_cut_or_ends_just_after_one():
    cuts = [Transition(6.0, 6.0, 6.0), Transition(12.0, 12.0, 12.0)]
    # tolerance 0.2 s does not reach the cuts; the 0.5-s guard does
    out = snap_segments([dict(start=5.6, end=12.3)], cuts, tolerance=0.2, fps=FPS)[0]
    assert (out['start'], out['end']) == (6.0, 12.0) and out['snap'] == dict(start='guard', end='guard')
    out = snap_segments([dict(start=5.6, end=12.3)], cuts, tolerance=0.2, guard=0.0, fps=FPS)[0]
    assert (out['start'], out['end']) == (5.6, 12.3)


def test_quietest_moment():
    rate = 32000
    t = np.arange(10 * rate) / rate
    audio = (0.3 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
    audio[(t >= 4.0) & (t < 4.5)] = 0  # a pause
    audio[(t >= 7.0) & (t < 7.05)] = 0  # a 50-ms gap between syllables is no pause
    env = LoudnessEnvelope(rate)
    for i in range(0, len(audio), 12345):  # any chunking
        env.push(audio[i:i + 12345])
    env.finish()
    assert env.duration == pytest.approx(10.0, abs=0.01)
    assert 4.0 <= env.quietest(5.0, 2.0) <= 4.5
    assert env.level(4.1, 4.4) < -90 and env.level(1, 2) > -20
    assert 4.0 <= env.quietest(3.0, 2.0) <= 4.5  # nearest moment of the quietest
    gap = env.quietest(7.5, 1.0)
    assert env.level(gap - 0.125, gap + 0.125) > -20 or 7.0 <= gap <= 7.05  # never deeper than a real pause
    assert env.quietest(8.0, 0.0) is None and LoudnessEnvelope().finish().quietest(1.0, 1.0) is None


def test_in_a_pause_starts_go_late_and_ends_early():
    rate = 32000
    audio = np.full(10 * rate, 0.3, np.float32) * np.sin(np.arange(10 * rate) * 0.05).astype(np.float32)
    audio[4 * rate:5 * rate] = 0  # a 1-s pause
    env = envelope_of([audio], rate)
    start, end = env.quietest(3.5, 2.0, prefer='last'), env.quietest(5.5, 2.0, prefer='first')
    assert 4.8 <= start <= 4.9 and 4.1 <= end <= 4.2  # the 0.25-s window inside the pause, against its edges
    assert 4.0 <= env.quietest(3.5, 2.0) <= 4.2  # the nearest


def test_a_snapped_clip_opens_on_the_new_shot_and_closes_on_the_old(scene, tmp_path):
    from highlight_plugin.render.cut import cut_clip
    video, transitions, envelope = scene
    seg = snap_segments([dict(start=5.2, end=11.3)], transitions, envelope, tolerance=2.0, fps=FPS)[0]
    assert (seg['start'], seg['end']) == (6.0, 12.0)
    clip = cut_clip(video.path, seg['start'], seg['end'], str(tmp_path / 'clip.mp4'), loudness=None)
    source = np.concatenate(list(read_tiny_frames(video.path, FPS))).astype(np.float32)
    frames = np.concatenate(list(read_tiny_frames(clip, FPS))).astype(np.float32)
    assert len(frames) == 150
    diff = lambda a, b: float(np.abs(a - b).mean())  # noqa: E731
    assert diff(frames[0], source[150]) < 5 < 40 < diff(frames[0], source[149])  # no flash of the previous shot
    assert diff(frames[-1], source[299]) < 5 < 40 < diff(frames[-1], source[300])  # nor of the next


def test_a_kept_span_is_never_snapped_into():
    """Football: the event with its margins stays in the clip; edges only move outwards to a change or a pause."""
    cuts = [Transition(9.5, 9.5, 9.5), Transition(21.0, 21.0, 21.0), Transition(28.6, 28.6, 28.6)]
    seg = dict(start=10.0, end=28.0, score=0.9, event=13.0)
    free, = EdgeSnapper(tolerance=2.0, fps=25)([seg], cuts, duration=60)
    assert (free['start'], free['end']) == (9.5, 28.6)  # the nearest changes, on either side
    seg = dict(start=10.0, end=22.0, score=0.9, event=11.0)
    kept, = EdgeSnapper(tolerance=2.0, fps=25)([seg], cuts, duration=60, keep=[(10.0, 22.0)])
    assert kept['start'] == 9.5 and kept['end'] == 22.0  # 21.0 would cut into the kept span: the end stays
    guarded, = EdgeSnapper(tolerance=0.3, fps=25)([dict(start=9.3, end=20.0, event=9.4, score=1)], cuts, duration=60,
                                                 keep=[(9.3, 15.0)])
    assert guarded['start'] == 9.3  # the guard would move it past the change at 9.5, after the event: not done
    unguarded, = EdgeSnapper(tolerance=0.3, fps=25)([dict(start=9.3, end=20.0, score=1)], cuts, duration=60)
    assert unguarded['start'] == 9.5 and unguarded['snap']['start'] in ('cut', 'guard')
