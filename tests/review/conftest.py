"""Shared fixtures of the review tests: one small reel made once (no network), copied per test; the review server
in a thread; a headless Chromium driven by Selenium (skipped without one, except on CI)."""
import contextlib
import os
import shutil
import socket
import threading
import time

import pytest

from tests.review.reels import make_reel


@pytest.fixture(scope='session')
def reel_template(tmp_path_factory):
    """A finished reel of a 40-s synthetic film (folder ``film`` beside ``film.mp4``), made once."""
    return make_reel(tmp_path_factory.mktemp('review'))


@pytest.fixture
def reel(reel_template, tmp_path):
    """A fresh copy of the template reel (its film stays where it is): the test may change it."""
    out = tmp_path / 'film'
    shutil.copytree(reel_template, out)
    return str(out)


@contextlib.contextmanager
def serving(root, token=None):
    """The review app of ``root`` served by uvicorn in a thread on a free loopback port: yields its base URL."""
    import uvicorn

    from highlight_plugin.review.app import create_app
    app = create_app(str(root), token=token)
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level='warning', access_log=False))
    thread = threading.Thread(target=server.run, kwargs=dict(sockets=[sock]), daemon=True)
    thread.start()
    end = time.time() + 20
    while not server.started and time.time() < end:
        time.sleep(0.02)
    try:
        yield f'http://127.0.0.1:{sock.getsockname()[1]}'
    finally:
        server.should_exit = True
        thread.join(10)
        app.state.queue.close()
        sock.close()


@pytest.fixture(name='serving')
def serving_fixture():
    """The :func:`serving` context manager."""
    return serving


def _browser_and_driver():
    chromium = next((shutil.which(n) for n in (os.environ.get('CHROMIUM'), 'chromium', 'chromium-browser',
                                              'google-chrome') if n and shutil.which(n)), None)
    driver = next((shutil.which(n) for n in (os.environ.get('CHROMEDRIVER'), 'chromedriver') if n and shutil.which(n)),
                  None)
    return chromium, driver


@pytest.fixture(scope='session')
def selenium_browser(tmp_path_factory):
    """A headless Chromium driven by Selenium (Debian: ``apt-get install chromium chromium-driver``). Skips when
    Chromium, chromedriver or Selenium is missing, except on CI (``CI=true``), where that fails the test."""
    chromium, driver = _browser_and_driver()
    try:
        from selenium import webdriver
    except ImportError:
        webdriver = None
    if not (chromium and driver and webdriver):
        why = 'the browser tests need chromium, chromium-driver and selenium'
        if os.environ.get('CI', '').lower() == 'true':
            pytest.fail(why + ' (CI=true: they may not be skipped)')
        pytest.skip(why)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ('--headless=new', '--no-sandbox', '--disable-gpu', '--mute-audio', '--no-first-run',
                '--autoplay-policy=no-user-gesture-required', '--window-size=1400,1100',
                f'--user-data-dir={tmp_path_factory.mktemp("selenium")}'):
        options.add_argument(arg)
    options.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    browser = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver))
    browser.set_script_timeout(30)
    yield browser
    browser.quit()
