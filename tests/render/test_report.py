"""The report page: readable curve of a long film, click-to-play, posters, shot changes, football lanes; checked in a
real headless Chromium when one is installed (issue 10: no console errors, every video reaches loadedmetadata)."""
import json
import re

import numpy as np
import pytest

from highlight_plugin.render import concat_clips, cut_clip, plot_saliency
from highlight_plugin.render.curve import saliency_svg
from highlight_plugin.render.cut import poster_frame
from highlight_plugin.render.plot import curve_summary, hms, time_ticks
from highlight_plugin.render.report import web_playable, write_report
from tests.helpers.synthetic import Shot, edited_video


def test_a_two_hour_curve_is_summarised_and_labelled_in_hms():
    rng = np.random.default_rng(0)
    scores = 0.4 + 0.15 * np.sin(np.arange(7200) / 900) + 0.12 * rng.standard_normal(7200)
    curve = curve_summary(scores, 1.0, max_points=1200)
    assert len(curve['times']) == 1200 and np.all(curve['lo'] <= curve['mean']) and np.all(curve['mean'] <= curve['hi'])
    assert np.std(np.diff(curve['smooth'])) < 0.1 * np.std(np.diff(curve['mean']))  # the trend, not the noise
    assert list(time_ticks(7200)) == [0, 900 * 1, 1800, 2700, 3600, 4500, 5400, 6300, 7200]
    assert hms(7200) == '2:00:00' and hms(83.46, precise=True) == '0:01:23.4'
    svg = saliency_svg(scores, 1.0, [dict(start=1500, end=1540, score=0.9)], transitions=[dict(time=60.0)])
    assert svg.count('<polyline class="smooth"') == 1 and 'class="spread"' in svg and '2:00:00' in svg
    assert 'class="shot"' in svg and '0:01:00.0' in svg  # the shot change, with its tooltip
    assert len(svg) < 200_000  # 1200 points, whatever the length
    short = curve_summary(np.arange(20.0), 1.0)
    np.testing.assert_array_equal(short['mean'], np.arange(20.0))  # a short video is drawn as it is


@pytest.fixture(scope='module')
def pages(tmp_path_factory):
    """A film report (MP4 source: played from the curve) and a two-file match report (transport streams: the nearest
    clip plays) with football events."""
    out = tmp_path_factory.mktemp('report')
    film = edited_video(out / 'film.mp4', [Shot('testsrc2', 8), Shot('smptehdbars', 8), Shot('rgbtestsrc', 8)],
                        fps=25, size='320x180')
    segments = [dict(start=9.0, end=14.0, score=0.91), dict(start=1.0, end=5.0, score=0.72)]
    for i, seg in enumerate(segments, 1):  # a poster from the clip's encode, and one seeked alone
        seg['poster'] = str(out / 'clips' / f'p{i}.jpg')
        seg['clip'] = cut_clip(film.path, seg['start'], seg['end'], str(out / 'clips' / f'highlight_{i:03d}.mp4'),
                               poster=(2.0, seg['poster'], 320) if i == 1 else None, loudness=None)
        if i == 2:
            poster_frame(film.path, (seg['start'] + seg['end']) / 2, seg['poster'], width=320)
    reel = concat_clips([s['clip'] for s in sorted(segments, key=lambda s: s['start'])], str(out / 'reel.mp4'))
    scores = np.clip(np.sin(np.arange(24) / 3) * 0.4 + 0.5, 0, 1)
    png = plot_saliency(scores, 1.0, segments, str(out / 'saliency.png'), title='film',
                        transitions=[dict(time=8.0), dict(time=16.0)])
    page = write_report(str(out / 'index.html'), film.path, segments, plot=png, reel=reel, scores=scores,
                        clip_len=1.0, duration=film.duration, transitions=[dict(time=8.0), dict(time=16.0)],
                        notes=['A note shown at the top.'])

    halves = [edited_video(out / f'half{h}.ts', [Shot('testsrc2', 6), Shot('smptebars', 6)], fps=25, size='320x180',
                           extra=['-f', 'mpegts']) for h in (1, 2)]
    match = [dict(start=2.0, end=6.0, score=0.8, event=4.0, clock='1st half 00:04', confidence=0.8, half=1,
                  source=halves[0].path, **{'class': 'goal'}),
             dict(start=7.0, end=10.0, score=0.6, event=8.0, clock='2nd half 00:08', confidence=0.6, half=2,
                  source=halves[1].path, **{'class': 'card'}),
             dict(start=1.0, end=3.0, score=0.5, event=2.0, clock='2nd half 00:02', confidence=0.5, half=2,
                  source=halves[1].path, **{'class': 'goal'})]
    for i, seg in enumerate(match, 1):
        seg['clip'] = cut_clip(seg['source'], seg['start'], seg['end'], str(out / 'match' / f'm{i}.mp4'),
                               loudness=None)
    match_page = write_report(str(out / 'match' / 'index.html'), halves[0].path, match, title='a match')
    return dict(film=page, match=match_page, out=out)


def test_the_page_links_what_it_shows(pages):
    text = open(pages['film']).read()
    assert 'src="../film.mp4"' not in text and 'src="film.mp4"' in text  # the source, by a relative path
    assert text.count('poster="clips/p') == 2 and 'src="reel.mp4"' in text and 'href="saliency.png"' in text
    assert 'class="shot"' in text and 'A note shown at the top.' in text
    data = json.loads(re.search(r'id="report-data">(.*?)</script>', text).group(1))
    assert data['sources']['f0']['playable'] and [c['rank'] for c in data['clips']] == [1, 2]
    match = open(pages['match']).read()
    assert match.count('<svg') == 2 and 'Timeline of half2.ts' in match  # one timeline per file
    assert match.count('class="event"') == 3 and '>goal</text>' in match and '>card</text>' in match
    assert '2nd half 00:08 (0.60)' in match and 'not playable in a browser' in match
    assert not web_playable(pages['out'] / 'half1.ts') and web_playable(pages['film'].replace('index.html', 'film.mp4'))


def test_in_chromium_no_errors_every_video_loads_and_the_curve_plays(pages, open_page):
    page = open_page(pages['film'])
    report = page.loaded()
    assert report and report['videos'] == 4 and report['loaded'] == 4, report  # player, reel, 2 clips
    assert page.wait_for('Array.from(document.querySelectorAll("video")).every(v => v.readyState >= 1)')
    page.click_curve('curve-f0', 12.0)
    last = page.wait_for('window.__report.last')
    assert last['player'] == 'source' and last['t'] == pytest.approx(12.0, abs=0.3)
    assert page.wait_for('Math.abs(document.getElementById("player").currentTime - 12) < 0.5')
    assert page.errors() == [] and page.wait_for('window.__report.errors') == []

    match = open_page(pages['match'])
    report = match.loaded()
    assert report['videos'] == 3 and report['loaded'] == 3, report
    match.click_curve('curve-f1', 8.5)  # second half, not playable in a browser: the card clip, 1.5 s in
    last = match.wait_for('window.__report.last')
    assert last['player'] == 'clip-2' and last['file'] == 'f1'
    assert match.wait_for('Math.abs(document.getElementById("clip-2").currentTime - 1.5) < 0.5')
    assert match.errors() == [] and match.wait_for('window.__report.errors.length === 0')


def test_the_page_escapes_what_it_shows(tmp_path):
    """Notes, names and classes are text, never markup (the template autoescapes); file names in URLs are quoted."""
    from highlight_plugin.render import write_report
    source = tmp_path / 'a <b> & "c".mp4'
    source.write_bytes(b'')
    page = write_report(str(tmp_path / 'index.html'), str(source),
                        [dict(start=1.0, end=3.0, score=0.5, **{'class': '<i>goal</i>'}, clock='1st half 0:01')],
                        notes=['<script>alert(1)</script>'], playable=True)
    text = open(page).read()
    assert '<script>alert(1)</script>' not in text and '&lt;script&gt;alert(1)&lt;/script&gt;' in text
    assert '<i>goal</i>' not in text and '&lt;i&gt;goal&lt;/i&gt;' in text
    assert 'src="a%20%3Cb%3E%20%26%20%22c%22.mp4"' in text
