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


def test_exports_plot_and_report(video, tmp_path):
    segs = [dict(start=1.0, end=3.0, score=0.9), dict(start=62.5, end=75.0, score=0.5)]
    edl = (tmp_path / 'h.edl')
    write_edl(segs, str(video), str(edl), fps=25)
    text = edl.read_text().splitlines()
    assert text[3].split()[4:] == ['00:00:01:00', '00:00:03:00', '00:00:00:00', '00:00:02:00']
    assert text[7].split()[4:] == ['00:01:02:12', '00:01:15:00', '00:00:02:00', '00:00:14:12']
    otio = json.loads(open(write_otio(segs, str(video), str(tmp_path / 'h.otio'), fps=25)).read())
    clip = otio['tracks']['children'][0]['children'][1]
    assert clip['source_range']['start_time']['value'] == 62.5 * 25
    png = plot_saliency(np.linspace(0, 1, 40), 2.0, segs, str(tmp_path / 'p.png'), title='t')
    assert open(png, 'rb').read(8) == b'\x89PNG\r\n\x1a\n'
    page = write_report(str(tmp_path / 'index.html'), str(video), [dict(segs[0], clip=str(video))], plot=png,
                        exports=[str(edl)])
    html = open(page).read()
    assert 'src="p.png"' in html and 'h.edl' in html and '0:00:01' in html
    write_json(str(tmp_path / 'x.json'), dict(segments=segs))
    assert json.load(open(tmp_path / 'x.json'))['segments'] == segs


def test_event_markers_and_sources(tmp_path):
    segs = [dict(start=10.0, end=30.0, score=0.9, confidence=0.95, half=1, event=19.0, clock='1st half 0:19',
                 source='/m/1.mkv', **{'class': 'goal'}),
            dict(start=5.0, end=9.0, score=0.5, confidence=0.6, half=2, event=6.5, clock='2nd half 0:06',
                 source='/m/2.mkv', **{'class': 'card'})]
    edl = write_edl(segs, 'ignored.mkv', str(tmp_path / 'h.edl'), fps=25)
    lines = open(edl).read().splitlines()
    assert [ln for ln in lines if ln.startswith('* FROM')] == ['* FROM CLIP NAME: 1.mkv', '* FROM CLIP NAME: 2.mkv']
    # locators in record time: 9 s into the first event, 20 + 1.5 s into the second
    assert [ln for ln in lines if ln.startswith('* LOC')] == ['* LOC: 00:00:09:00 RED     1st half 0:19, goal',
                                                              '* LOC: 00:00:21:13 YELLOW  2nd half 0:06, card']
    assert '* COMMENT: 1st half 0:19, goal (confidence 0.95)' in lines
    otio = json.load(open(write_otio(segs, 'ignored.mkv', str(tmp_path / 'h.otio'), fps=25)))
    clips = otio['tracks']['children'][0]['children']
    assert [c['media_reference']['target_url'] for c in clips] == ['/m/1.mkv', '/m/2.mkv']
    marker, = clips[1]['markers']
    assert marker['name'] == '2nd half 0:06, card' and marker['marked_range']['start_time']['value'] == 6.5 * 25
    assert marker['metadata']['class'] == 'card' and marker['color'] == 'YELLOW'
    write_json(str(tmp_path / 'x.json'), dict(segments=segs, scores=[[0.5, 0.25]] * 3))
    text = (tmp_path / 'x.json').read_text()
    assert json.loads(text)['segments'] == segs and '[[0.5, 0.25], [0.5, 0.25], [0.5, 0.25]]' in text
