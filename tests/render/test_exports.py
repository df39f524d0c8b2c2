"""Editor exports written with OpenTimelineIO (issue 18): every ``.otio``, ``.edl`` and ``.xml`` read back with
OpenTimelineIO at the source's rate gives the segments' in and out points to the frame, at 23.976, 29.97 drop-frame,
25 and 59.94 and from a source starting at 01:00:00:00; and timecodes computed by hand, so that the library is not
only checked against itself."""
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from highlight_plugin.render.exports import edit_source, timecode_frames, write_exports
from tests.helpers.synthetic import index_video

NTSC30 = Fraction(30000, 1001)


@pytest.fixture(scope='module')
def coded(tmp_path_factory):
    """Sources whose files carry a start timecode (a ``tmcd`` track), and one with audio."""
    d = tmp_path_factory.mktemp('timecode')

    def make(name, fps, timecode=None, audio=False):
        extra = ['-timecode', timecode] if timecode else []
        return index_video(d / name, seconds=2, size='64x36', fps=fps, audio=audio, extra=extra)
    return dict(df=make('df.mp4', '30000/1001', '00:00:59;20'), ten=make('ten.mov', '30000/1001', '00:09:59;28'),
                hour=make('hour.mp4', '24000/1001', '01:00:00:00'), pal=make('pal.mp4', '25', audio=True),
                ten_fps=make('Match #1 (final).mp4', '10'))


def _frame(t, rate):
    """Frame nearest to t at ``rate``, ties to the later: the segment's edge as the cut rounds it."""
    return int(np.floor(Fraction(str(t)) * Fraction(rate) + Fraction(1, 2)))


def _round_trip(segments, source, tmp_path, rate, start=0):
    """Write the three exports, read each back with OpenTimelineIO and compare it to the segments."""
    import opentimelineio as otio
    paths = {kind: str(tmp_path / f'h.{kind}') for kind in ('edl', 'otio', 'xml')}
    write_exports(segments, source, **paths)
    want = [(start + _frame(s['start'], rate), start + _frame(s['end'], rate)) for s in segments]
    for kind, path in paths.items():
        timeline = otio.adapters.read_from_file(path, **(dict(rate=float(rate)) if kind == 'edl' else {}))
        for track in timeline.tracks:
            clips = [c for c in track if isinstance(c, otio.schema.Clip)]
            if not clips:
                continue
            assert all(c.source_range.start_time.rate == pytest.approx(float(rate)) for c in clips), kind
            got = [(c.source_range.start_time.to_frames(), c.source_range.end_time_exclusive().to_frames())
                   for c in clips]
            assert got == want, (kind, track.kind)
            record = [track.range_of_child_at_index(i).start_time.to_frames() for i in range(len(clips))]
            assert record == list(np.cumsum([0] + [b - a for a, b in want[:-1]])), kind  # end to end
        if kind != 'edl':  # file URLs, and the file's name as it is
            reference = timeline.video_tracks()[0][0].media_reference
            assert reference.target_url == Path(source).absolute().as_uri(), kind
            assert reference.name == Path(source).name, kind
    return open(paths['edl']).read().splitlines()


def _events(lines):
    return [ln.split()[2:] for ln in lines if ln[:3].isdigit()]


@pytest.mark.parametrize('rate', [Fraction(24000, 1001), Fraction(25), Fraction(60000, 1001), NTSC30],
                         ids=['23.976', '25', '59.94', '29.97-no-timecode'])
def test_round_trips_at_the_sources_rate(rate_videos, rate, tmp_path):
    segments = [dict(start=0.4, end=1.31, score=0.8), dict(start=2.0, end=2.95, score=0.6)]
    lines = _round_trip(segments, rate_videos[rate], tmp_path, rate)
    assert lines[1] == 'FCM: NON-DROP FRAME'  # no timecode of its own: non-drop, even at 29.97


def test_hand_computed_timecodes(long_film, rate_videos, tmp_path):
    lines = _round_trip([dict(start=240.198, end=241.2)], long_film, tmp_path, Fraction(24000, 1001))
    assert _events(lines) == [['V', 'C', '00:03:59:23', '00:04:00:23', '00:00:00:00', '00:00:01:00']]  # 5759 + 24
    # non-drop 59.94 counts 60 a second: 1.0 s is frame 60 (59.94), 2.0 s frame 120 (119.88)
    lines = _round_trip([dict(start=1.0, end=2.0)], rate_videos[Fraction(60000, 1001)], tmp_path,
                        Fraction(60000, 1001))
    assert _events(lines)[0][2:4] == ['00:00:01:00', '00:00:02:00']
    assert timecode_frames('00:01:00;02', NTSC30, True) == 1800 and timecode_frames('00:10:00;00', NTSC30, True) \
        == 17982 and timecode_frames('00:10:00:00', NTSC30, False) == 18000


def test_drop_frame_where_the_source_says_so(coded, tmp_path):
    """A 29.97 source starting at 00:00:59;20 (frame 1790): a clip across the minute, whose first two timecodes
    (00:01:00;00 and ;01) do not exist; another across the ten-minute mark, where none are dropped."""
    source = edit_source(coded['df'])
    assert source.drop_frame and source.start == 1790 and source.rate == NTSC30
    segments = [dict(start=round(4 / float(NTSC30), 3), end=round(14 / float(NTSC30), 3))]  # frames 4 to 14
    lines = _round_trip(segments, coded['df'], tmp_path, NTSC30, start=1790)
    assert lines[1] == 'FCM: DROP FRAME'
    assert _events(lines) == [['V', 'C', '00:00:59;24', '00:01:00;06', '00:00:00;00', '00:00:00;10']]
    lines = _round_trip([dict(start=0.0, end=round(5 / float(NTSC30), 3))], coded['ten'], tmp_path, NTSC30,
                        start=17980)
    assert _events(lines) == [['V', 'C', '00:09:59;28', '00:10:00;03', '00:00:00;00', '00:00:00;05']]
    assert 'DF' in (tmp_path / 'h.xml').read_text().split('<displayformat>')[1]


def test_a_source_starting_at_one_hour(coded, tmp_path):
    rate = Fraction(24000, 1001)
    lines = _round_trip([dict(start=1.0, end=1.75, score=0.5)], coded['hour'], tmp_path, rate, start=86400)
    assert lines[1] == 'FCM: NON-DROP FRAME'
    assert _events(lines) == [['V', 'C', '01:00:01:00', '01:00:01:18', '00:00:00:00', '00:00:00:18']]


def test_audio_tracks_markers_and_names(coded, tmp_path):
    """Picture and sound (AA/V), a football event as a marker with its class, confidence and clock."""
    import opentimelineio as otio
    segments = [dict(start=0.2, end=1.8, score=0.7, event=1.0, clock='1st half 12:00', confidence=0.91, half=1,
                     **{'class': 'goal'})]
    lines = _round_trip(segments, coded['pal'], tmp_path, Fraction(25))
    assert _events(lines) == [['AA/V', 'C', '00:00:00:05', '00:00:01:20', '00:00:00:00', '00:00:01:15']]
    assert '* FROM CLIP NAME:  pal.mp4' in lines and '* LOC: 00:00:01:00 RED     1ST HALF 12:00, GOAL' in lines
    timeline = otio.adapters.read_from_file(str(tmp_path / 'h.otio'))
    video, audio = timeline.video_tracks()[0], timeline.audio_tracks()[0]
    assert len(audio) == 1 and audio[0].source_range == video[0].source_range
    marker, = video[0].markers
    assert marker.name == '1st half 12:00, goal' and marker.marked_range.start_time.to_frames() == 25
    assert marker.metadata['highlight_plugin'] == dict(half=1, event=1.0, clock='1st half 12:00', confidence=0.91,
                                                       **{'class': 'goal'})
    xml_marker, = otio.adapters.read_from_file(str(tmp_path / 'h.xml')).video_tracks()[0][0].markers
    assert xml_marker.marked_range.start_time.to_frames() == 25


def test_a_rate_without_timecode_and_a_name_to_quote(coded, tmp_path):
    """10 fps has no SMPTE timecode: exported at the nearest standard rate (23.976), said in the notes; the file's
    name is quoted in URLs and kept as it is where people read it."""
    import opentimelineio as otio
    source = edit_source(coded['ten_fps'])
    assert source.rate == Fraction(24000, 1001) and source.average == 10
    lines = _round_trip([dict(start=0.5, end=1.5)], coded['ten_fps'], tmp_path, source.rate)
    assert '* FROM CLIP NAME:  Match #1 (final).mp4' in lines
    note, = write_exports([dict(start=0.5, end=1.5)], coded['ten_fps'], xml=str(tmp_path / 'h.xml'))
    assert 'is at 10 fps, a rate timecode does not have: its editor exports are at 23.976 fps' in note
    xml = (tmp_path / 'h.xml').read_text()
    assert '/Match%20%231%20%28final%29.mp4</pathurl>' in xml and '<name>Match #1 (final).mp4</name>' in xml
    reference = otio.adapters.read_from_file(str(tmp_path / 'h.xml')).video_tracks()[0][0].media_reference
    assert reference.name == 'Match #1 (final).mp4'
