import json

import numpy as np
import pytest

from highlight_plugin.media.probe import probe
from highlight_plugin.render import (concat_clips, cut_clip, plot_saliency, write_edl, write_json, write_otio,
                                     write_report)


@pytest.fixture(scope='module')
def video(tmp_path_factory, make_media):
    return make_media(tmp_path_factory.mktemp('render') / 'src.mp4', seconds=12, size='160x90', fps=25)


def test_cut_vertical_and_concat(video, tmp_path):
    a = cut_clip(video, 1.0, 3.0, str(tmp_path / 'a.mp4'))
    b = cut_clip(video, 6.0, 9.0, str(tmp_path / 'b.mp4'), vertical='blur', vertical_height=1920)
    info_a, info_b = probe(a), probe(b)
    assert info_a.duration == pytest.approx(2.0, abs=0.1) and info_a.audio
    assert (info_b.width, info_b.height) == (1080, 1920)  # asked for: upscaled
    c = cut_clip(video, 6.0, 9.0, str(tmp_path / 'c.mp4'), vertical='crop')
    assert (probe(c).width, probe(c).height) == (50, 90)  # the default: the source's height, never upscaled
    reel = concat_clips([a, str(tmp_path / 'a.mp4')], str(tmp_path / 'reel.mp4'))
    assert probe(reel).duration == pytest.approx(4.0, abs=0.2)
    assert not list(tmp_path.glob('.*.tmp*'))


def test_bad_video_names_the_output(tmp_path):
    bad = tmp_path / 'bad.mp4'
    bad.write_bytes(b'not a video')
    with pytest.raises(Exception, match='out.mp4'):
        cut_clip(bad, 0, 1, str(tmp_path / 'out.mp4'))
    assert not (tmp_path / 'out.mp4').exists() and not list(tmp_path.glob('.*.tmp*'))


def _events(edl):
    return [ln.split()[4:] for ln in open(edl).read().splitlines() if ln[:3].isdigit()]


def test_exports_plot_and_report(video, tmp_path):
    import opentimelineio as otio
    segs = [dict(start=1.0, end=3.0, score=0.9), dict(start=6.5, end=11.0, score=0.5)]
    edl = (tmp_path / 'h.edl')
    write_edl(segs, str(video), str(edl))
    assert edl.read_text().splitlines()[:2] == ['TITLE: highlights', 'FCM: NON-DROP FRAME']
    assert _events(edl) == [['00:00:01:00', '00:00:03:00', '00:00:00:00', '00:00:02:00'],
                            ['00:00:06:13', '00:00:11:00', '00:00:02:00', '00:00:06:12']]  # 162.5: ties go late
    timeline = otio.adapters.read_from_file(write_otio(segs, str(video), str(tmp_path / 'h.otio')))
    clip = timeline.video_tracks()[0][1]
    assert clip.source_range.start_time == otio.opentime.RationalTime(163, 25)  # as the cut rounds
    png = plot_saliency(np.linspace(0, 1, 40), 2.0, segs, str(tmp_path / 'p.png'), title='t')
    assert open(png, 'rb').read(8) == b'\x89PNG\r\n\x1a\n'
    page = write_report(str(tmp_path / 'index.html'), str(video), [dict(segs[0], clip=str(video))], plot=png,
                        exports=[str(edl)])
    html = open(page).read()
    assert 'src="p.png"' in html and 'h.edl' in html and '0:00:01' in html
    write_json(str(tmp_path / 'x.json'), dict(segments=segs))
    assert json.load(open(tmp_path / 'x.json'))['segments'] == segs


def test_event_markers_and_sources(tmp_path, make_media):
    import opentimelineio as otio
    halves = [make_media(tmp_path / f'{h}.mkv', seconds=40, size='32x18', fps=25, audio=None) for h in (1, 2)]
    segs = [dict(start=10.0, end=30.0, score=0.9, confidence=0.95, half=1, event=19.0, clock='1st half 0:19',
                 source=str(halves[0]), **{'class': 'goal'}),
            dict(start=5.0, end=9.0, score=0.5, confidence=0.6, half=2, event=6.5, clock='2nd half 0:06',
                 source=str(halves[1]), **{'class': 'card'})]
    edl = write_edl(segs, 'ignored.mkv', str(tmp_path / 'h.edl'))
    lines = open(edl).read().splitlines()
    assert [ln for ln in lines if ln.startswith('* FROM')] == ['* FROM CLIP NAME:  1.mkv', '* FROM CLIP NAME:  2.mkv']
    # locators on the source's timecode (no audio: picture-only events)
    assert [ln for ln in lines if ln.startswith('* LOC')] == ['* LOC: 00:00:19:00 RED     1ST HALF 0:19, GOAL',
                                                              '* LOC: 00:00:06:13 YELLOW  2ND HALF 0:06, CARD']
    assert '* COMMENT: 1st half 0:19, goal (confidence 0.95)' in lines and ' V     C ' in lines[3]
    timeline = otio.adapters.read_from_file(write_otio(segs, 'ignored.mkv', str(tmp_path / 'h.otio')))
    clips = list(timeline.video_tracks()[0])
    assert [c.media_reference.target_url for c in clips] == [h.as_uri() for h in halves]
    marker, = clips[1].markers
    assert marker.name == '2nd half 0:06, card' and marker.marked_range.start_time.to_frames() == 163
    assert marker.metadata['highlight_plugin']['class'] == 'card' and marker.color == 'YELLOW'
    write_json(str(tmp_path / 'x.json'), dict(segments=segs, scores=[[0.5, 0.25]] * 3))
    text = (tmp_path / 'x.json').read_text()
    assert json.loads(text)['segments'] == segs and '[[0.5, 0.25], [0.5, 0.25], [0.5, 0.25]]' in text
