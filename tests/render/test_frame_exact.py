"""Frame-exact at the rates films, TV, sport and phones are made at (issue 18): every clip holds exactly the frames
planned, its poster the frame planned, at 23.976, 24, 25, 29.97, 30, 50, 59.94 and 60 fps and on a variable-rate
phone video (24 then 60 fps), checked by decoding frames that show their own index."""
import json
from fractions import Fraction

import numpy as np
import pytest

from highlight_plugin.apis import HighlightResult
from highlight_plugin.media.clock import inspect_source
from highlight_plugin.media.probe import probe
from highlight_plugin.media.rates import STANDARD_RATES
from highlight_plugin.render.cut import LoudnessTarget, cut_clips, loudness_notes, plan_clips
from tests.helpers.synthetic import frame_indices

TINY = (64, 36)
# the phone video as it was made: frame k at k/24 s, then frame 48 + j at 2 + j/60 s
PHONE_TIMES = [k / 24 for k in range(48)] + [2 + j / 60 for j in range(120)]


def _frame(t, rate):
    """Frame nearest to t at a constant rate, ties to the later (12.5 -> 13), as the cut rounds."""
    return int(np.floor(Fraction(str(t)) * Fraction(rate) + Fraction(1, 2)))


def _nearest(times, t):
    """The frame whose time is nearest to t (ties to the later), by hand."""
    return min(range(len(times) + 1), key=lambda k: (abs((times[k] if k < len(times) else 4.0) - t), -k))


@pytest.mark.parametrize('rate', STANDARD_RATES, ids=lambda r: f'{float(r):.3f}')
def test_clips_and_posters_hold_the_planned_frames_at_every_rate(rate_videos, rate, tmp_path):
    source = inspect_source(rate_videos[rate])
    assert source.rate == rate and not source.grid.variable  # exact: 24000/1001, not 23.98
    last = int(3 * rate)  # frames in the file
    planned = [(0, 7), (13, 40), (last - 11, last)]
    # segment times as the JSON carries them (milliseconds), posters 5 frames in
    segments = [dict(start=round(float(a / rate), 3), end=round(float(b / rate), 3)) for a, b in planned]
    posters = [(float(5 / rate), str(tmp_path / f'{i}.jpg'), 64) for i in range(len(planned))]
    clips = cut_clips(source.path, segments, [str(tmp_path / f'{i}.mp4') for i in range(len(planned))],
                      loudness=None, source=source, posters=posters)
    for (a, b), clip, (_, poster, _) in zip(planned, clips, posters):
        np.testing.assert_array_equal(frame_indices(clip, TINY), np.arange(a, b), err_msg=f'{rate} {a}-{b}')
        assert frame_indices(poster, TINY).tolist() == [a + 5]


def test_a_long_23976_film_stays_on_its_frames(long_film, tmp_path):
    """At 4:00 a 23.98-fps grid is a frame late; the exact one is not (frame 5759 at 4:00.198)."""
    source = inspect_source(long_film)
    assert source.rate == Fraction(24000, 1001) and probe(long_film).fps == pytest.approx(23.976024)
    assert round(240.198 * 23.98) == 5760  # what the banner's rate would cut
    clip, = cut_clips(long_film, [dict(start=240.198, end=241.2)], [str(tmp_path / 'c.mp4')], loudness=None,
                      source=source)
    np.testing.assert_array_equal(frame_indices(clip, TINY, bits=13), np.arange(5759, 5783))


def test_variable_rate_clips_and_posters(phone_video, tmp_path):
    info = probe(phone_video)
    assert info.variable_rate and 40 < info.fps < 43  # its average
    np.testing.assert_allclose(info.frame_times, PHONE_TIMES, atol=1e-4)
    source = inspect_source(phone_video)
    segments = [dict(start=0.3, end=1.0), dict(start=1.5, end=2.5), dict(start=2.95, end=3.9)]
    whens = [0.2, 0.9, 0.5]  # posters: seconds from the segment's start
    clips = cut_clips(phone_video, segments, [str(tmp_path / f'{i}.mp4') for i in range(3)], loudness=None,
                      source=source, posters=[(w, str(tmp_path / f'{i}.jpg'), 64) for i, w in enumerate(whens)])
    for i, (seg, clip, when) in enumerate(zip(segments, clips, whens)):
        a, b = _nearest(PHONE_TIMES, seg['start']), _nearest(PHONE_TIMES, seg['end'])
        np.testing.assert_array_equal(frame_indices(clip, TINY), np.arange(a, b))
        assert frame_indices(tmp_path / f'{i}.jpg', TINY).tolist() == [_nearest(PHONE_TIMES, seg['start'] + when)]
        assert probe(clip).duration == pytest.approx(PHONE_TIMES[b] - PHONE_TIMES[a], abs=0.02)


def test_a_variable_rate_phone_video_makes_a_complete_reel(phone_video, tmp_path):
    """The reel the issue saw fail ("the poster's seek finds no frame"): clips, posters, reel, exports and notes."""
    import opentimelineio as otio
    segments = [dict(start=1.2, end=2.9, score=0.9), dict(start=0.25, end=1.0, score=0.7),
                dict(start=3.0, end=3.9, score=0.5)]
    scores = np.array([0.1, 0.3, 0.9, 0.5])  # the first segment peaks in its second 2-3 s: its poster at 2.5 s
    result = HighlightResult(str(phone_video), 4.0, 1.0, scores, segments, sources={str(phone_video): True})
    out = tmp_path / 'out'
    result.write(str(out), loudness=LoudnessTarget())
    data = json.loads((out / 'highlights.json').read_text())
    posters = [78, 12, 138]  # the peaks' centres: 2.5 s (frame 48 + 30 at 60 fps), 0.5 s (12 at 24), 3.5 s (48 + 90)
    for seg, poster in zip(data['segments'], posters):
        a, b = _nearest(PHONE_TIMES, seg['start']), _nearest(PHONE_TIMES, seg['end'])
        np.testing.assert_array_equal(frame_indices(out / seg['clip'], TINY), np.arange(a, b))
        assert frame_indices(out / seg['poster'], TINY).tolist() == [poster]
    in_time = sorted(data['segments'], key=lambda s: s['start'])
    reel = np.concatenate([np.arange(_nearest(PHONE_TIMES, s['start']), _nearest(PHONE_TIMES, s['end']))
                           for s in in_time])
    np.testing.assert_array_equal(frame_indices(out / 'reel.mp4', TINY), reel)
    notes = ' '.join(data['notes'])
    assert 'variable frame rate (24 to 60 fps' in notes and 'exports are at 50 fps' in notes
    assert 'under the loudness target (-14 LUFS)' in notes and '+20 dB' in notes
    assert data['exports'] == ['highlights.edl', 'highlights.otio', 'highlights.xml']
    page = (out / 'index.html').read_text()
    assert 'highlights.xml' in page and 'variable frame rate' in page
    for name, kw in (('highlights.edl', dict(rate=50)), ('highlights.otio', {}), ('highlights.xml', {})):
        clips = list(otio.adapters.read_from_file(str(out / name), **kw).video_tracks()[0])
        got = [(c.source_range.start_time.to_frames(), c.source_range.end_time_exclusive().to_frames()) for c in clips]
        assert got == [(_frame(s['start'], 50), _frame(s['end'], 50)) for s in in_time], name


def test_a_quiet_source_says_it_missed_the_loudness_target(phone_video):
    source = inspect_source(phone_video)
    _, plans = plan_clips(source, [dict(start=0.5, end=3.5)], loudness=LoudnessTarget())
    assert plans[0].gain == pytest.approx(20.0) and plans[0].shortfall > 5
    note, = loudness_notes(plans, LoudnessTarget())
    assert note.startswith('Clip 1 stays up to') and 'under the loudness target (-14 LUFS)' in note
