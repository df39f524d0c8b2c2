"""The report page plays sources whose names mean something in a URL (issue 18): ``#``, ``%``, ``?``, ``&``, spaces
and brackets are quoted in every link, and headless Chromium loads and plays each video."""
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pytest

from highlight_plugin.render.cut import cut_clip
from highlight_plugin.render.report import write_report
from tests.helpers.synthetic import index_video

NAMES = ('Match #1 (final).mp4', 'a%20b.mp4', 'what?&x=1.mp4')


@pytest.fixture(scope='module')
def pages(tmp_path_factory):
    """One folder per name: the source beside its report page and a clip with its poster."""
    out = {}
    for i, name in enumerate(NAMES):
        d = tmp_path_factory.mktemp(f'names{i}')
        source = index_video(d / name, seconds=2, size='64x36', fps=25)
        seg = dict(start=0.4, end=1.6, score=0.9, poster=str(d / 'clips' / 'highlight_001.jpg'))
        seg['clip'] = cut_clip(source, seg['start'], seg['end'], str(d / 'clips' / 'highlight_001.mp4'),
                               loudness=None, poster=(0.5, seg['poster'], 64))
        out[name] = write_report(str(d / 'index.html'), source, [seg], reel=seg['clip'], scores=np.full(2, 0.5),
                                 clip_len=1.0, duration=2.0, exports=[str(d / name)])
    return out


@pytest.mark.parametrize('name', NAMES)
def test_every_link_is_quoted(pages, name):
    text = open(pages[name]).read()
    assert f'src="{quote(name)}"' in text and f'href="{quote(name)}"' in text
    assert f'src="{name}"' not in text or quote(name) == name


def test_the_pages_play_their_sources_in_chromium(pages, selenium_browser):
    browser = selenium_browser
    for name in NAMES:
        browser.get(Path(pages[name]).as_uri())
        report = browser.execute_async_script('''
            var done = arguments[arguments.length - 1], t0 = Date.now();
            (function poll(){
              var r = window.__report;
              if (r && r.loaded >= r.videos || Date.now() - t0 > 20000) done(r); else setTimeout(poll, 100);
            })();''')
        assert report['videos'] == 3 and report['loaded'] == 3 and report['errors'] == [], (name, report)
        # the source itself plays: its URL resolves to the file, and time moves
        played = browser.execute_async_script('''
            var done = arguments[arguments.length - 1], v = document.getElementById('player');
            v.muted = true;
            v.addEventListener('timeupdate', function(){
              if (v.currentTime > 0.2) done([v.currentSrc, v.currentTime]); });
            v.play().catch(function(e){ done([v.currentSrc, -1, String(e)]); });''')
        assert played[0] == Path(pages[name]).with_name(name).as_uri() and played[1] > 0.2, (name, played)
        assert browser.execute_script('return document.querySelector("video[poster]").poster') == \
            Path(pages[name]).parent.joinpath('clips', 'highlight_001.jpg').as_uri()
        errors = [e for e in browser.get_log('browser') if e['level'] == 'SEVERE']
        assert errors == [], (name, errors)
