"""Shared fixtures of the review tests: one small reel made once (no network), copied per test; the review server
in a thread (the headless Chromium is tests/conftest.py's ``selenium_browser``)."""
import contextlib
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
