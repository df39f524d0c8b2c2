"""The review page in headless Chromium, driven by Selenium (issue 20): an editor drops a clip, drags another's out
point 2 s later with snapping off, moves a clip earlier, renders; the new reel, its JSON and EDL are the edit; a
reload shows the edits; the catalogue's list sets a review status."""
import json
import os.path as osp
import shutil
import time

import httpx
import pytest

from highlight_plugin.media.probe import probe

WAIT = 60


def wait_for(browser, script, timeout=WAIT):
    """Poll ``script`` (JavaScript returning a value) until it is truthy; returns it."""
    end = time.time() + timeout
    value = None
    while time.time() < end:
        value = browser.execute_script(script)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f'timed out waiting for {script!r} (last: {value!r}); page errors: '
                         f'{browser.execute_script("return window.__review && window.__review.errors")}')


def cards(browser):
    """``(id, dropped, start, end)`` of the cards, in the page's order."""
    return browser.execute_script(
        "return [...document.querySelectorAll('#cards .card')].map(c => [c.dataset.id, "
        "c.classList.contains('dropped'), Number(c.dataset.start), Number(c.dataset.end)])")


def changed(browser, before):
    wait_for(browser, f'return window.__review.changes > {before} && !document.getElementById("saved")'
                      f'.classList.contains("busy")')
    return browser.execute_script('return window.__review.changes')


def edl_events(path):
    lines = open(path).read().splitlines()
    return [line.split()[-4:] for line in lines if line[:3].isdigit()]


def seconds(timecode, fps=25):
    h, m, s, f = map(int, timecode.split(':'))
    return h * 3600 + m * 60 + s + f / fps


def test_drop_extend_reorder_render_and_reload(reel, serving, selenium_browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    browser = selenium_browser
    with serving(reel) as base:
        browser.get(base + '/')  # one reel: its page
        wait_for(browser, "return document.querySelectorAll('#cards .card').length === 4")
        assert browser.current_url.endswith('/reel/film/')
        assert [c[0] for c in cards(browser)] == ['c2', 'c4', 'c1', 'c3']  # story order: by time
        wait_for(browser, "return document.getElementById('source').readyState >= 1")
        n = browser.execute_script('return window.__review.changes')

        # drop c2
        browser.find_element(By.CSS_SELECTOR, '#card-c2 .act-drop').click()
        n = changed(browser, n)
        assert cards(browser)[0][:2] == ['c2', True]

        # drag c1's out point 2 s later with Shift held (snapping off; a cut at 25 s would catch it otherwise)
        c1_end = dict((c[0], c[3]) for c in cards(browser))['c1']
        handle = browser.find_element(By.ID, 'h-c1-end')
        px_per_s = browser.execute_script(
            "var s = document.getElementById('tl'); return (s.width.baseVal.value - 16) / "
            "document.getElementById('source').duration")
        ActionChains(browser).move_to_element(handle).key_down(Keys.SHIFT).click_and_hold() \
            .move_by_offset(round(2 * px_per_s), 0).release().key_up(Keys.SHIFT).perform()
        n = changed(browser, n)
        shown = dict((c[0], c[3]) for c in cards(browser))['c1']
        assert shown == pytest.approx(c1_end + 2, abs=1.5 / px_per_s + 0.04)  # a pixel, on the frame grid
        assert round(shown * 25, 6) == round(shown * 25)  # on a frame

        # move c3 (the last) one place earlier, with its button
        browser.find_element(By.CSS_SELECTOR, '#card-c3 .act-left').click()
        n = changed(browser, n)
        order = [c[0] for c in cards(browser) if not c[1]]
        assert order == ['c4', 'c3', 'c1']

        # render: queued, cut, and the page plays the new reel
        browser.find_element(By.ID, 'render').click()
        wait_for(browser, "return window.__review.renders >= 1", timeout=90)
        assert browser.find_element(By.ID, 'job').get_attribute('data-state') == 'done'
        reel_duration = wait_for(browser, "var v = document.getElementById('reel'); "
                                          "return v.readyState >= 1 && v.src.indexOf('?v=') > 0 && v.duration")
        segs = json.load(open(osp.join(reel, 'highlights.json')))['segments']
        spans = {c[0]: (c[2], c[3]) for c in cards(browser)}
        assert [s['id'] for s in segs] == order
        assert [(s['start'], s['end']) for s in segs] == [spans[i] for i in order]
        total = sum(s['end'] - s['start'] for s in segs)
        assert reel_duration == pytest.approx(total, abs=0.15)
        assert probe(osp.join(reel, 'reel.mp4')).duration == pytest.approx(total, abs=0.15)
        events = edl_events(osp.join(reel, 'highlights.edl'))
        assert [seconds(e[0]) for e in events] == pytest.approx([spans[i][0] for i in order], abs=0.021)
        assert [seconds(e[1]) for e in events] == pytest.approx([spans[i][1] for i in order], abs=0.021)
        assert seconds(events[-1][3]) == pytest.approx(total, abs=0.05)
        assert 'up to date' in browser.find_element(By.ID, 'rendered').text
        assert not browser.execute_script('return window.__review.errors')

        # a reload shows the edits, as saved
        before = cards(browser)
        browser.refresh()
        wait_for(browser, "return document.querySelectorAll('#cards .card').length === 4")
        assert cards(browser) == before

        # undo (Ctrl+Z) brings the order back; the page says the reel is behind
        n = browser.execute_script('return window.__review.changes')
        browser.find_element(By.TAG_NAME, 'body').send_keys(Keys.CONTROL, 'z')
        changed(browser, n)
        assert [c[0] for c in cards(browser) if not c[1]] == ['c4', 'c1', 'c3']
        assert 'not rendered' in browser.find_element(By.ID, 'rendered').text


def test_add_a_clip_from_a_marked_range_and_set_the_status(reel_template, tmp_path, serving, selenium_browser):
    """In a catalogue: the list sets a reel's status; on its page, a range dragged on the timeline becomes a clip
    (its start snapped to the shot change at 5 s; its end, 2.4 s from any, where it was let go or in a pause near
    it)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    browser = selenium_browser
    shutil.copytree(reel_template, tmp_path / 'films' / 'one')
    with serving(tmp_path / 'films') as base:
        browser.get(base + '/')
        Select(browser.find_element(By.CSS_SELECTOR, 'select.status')).select_by_value('approved')
        wait_for(browser, "return document.querySelector('tr.status-approved')")
        status = json.load(open(tmp_path / 'films' / 'review_status.json'))
        assert status['reels']['one']['status'] == 'approved'
        browser.find_element(By.LINK_TEXT, 'one').click()
        wait_for(browser, "return document.querySelectorAll('#cards .card').length === 4")
        assert Select(browser.find_element(By.ID, 'status')).first_selected_option.get_attribute('value') == 'approved'
        svg = browser.find_element(By.ID, 'tl')
        width = svg.size['width']
        x = lambda t: 8 + t / 40.0 * (width - 16) - width / 2  # noqa: E731 (offsets from the centre)
        n = browser.execute_script('return window.__review.changes')
        ActionChains(browser).move_to_element_with_offset(svg, x(5.4), -40).click_and_hold() \
            .move_by_offset(x(12.4) - x(5.4), 0).release().perform()  # over the curve, not a clip
        wait_for(browser, "return !document.getElementById('add').disabled")
        browser.find_element(By.ID, 'add').click()
        changed(browser, n)
        added = [c for c in cards(browser) if c[0] == 'a1']
        assert added and added[0][2] == 5.0 and abs(added[0][3] - 12.4) <= 2.0
        clip = next(c for c in httpx.get(base + '/api/reels/one').json()['clips'] if c['id'] == 'a1')
        assert clip['snap']['start'] == 'cut' and clip['snap']['end'] in ('pause', None)
