"""A headless Chromium driven over the DevTools protocol with the standard library only, for the report page tests.

The tests that use the ``browser`` fixture skip when no Chromium is installed (Debian: ``apt-get install
chromium``; or set ``CHROMIUM`` to its path). Nothing here is part of the package.
"""
import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import time
import urllib.request
from urllib.parse import urlparse

import pytest


def find_chromium():
    for name in (os.environ.get('CHROMIUM'), 'chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'):
        path = name and shutil.which(name)
        if path:
            return path
    return None


class DevTools:
    """One page of a headless Chromium: ``call(method, **params)`` and the events received (``events``)."""

    def __init__(self, ws_url, timeout=30):
        url = urlparse(ws_url)
        self.sock = socket.create_connection((url.hostname, url.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f'GET {url.path} HTTP/1.1\r\nHost: {url.hostname}:{url.port}\r\nUpgrade: websocket\r\n'
                           f'Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n')
                          .encode())
        head = b''
        while b'\r\n\r\n' not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError('DevTools closed the connection')
            head += chunk
        if b' 101 ' not in head.split(b'\r\n', 1)[0]:
            raise ConnectionError(head.decode(errors='replace'))
        self.buffer = head.split(b'\r\n\r\n', 1)[1]
        self.next_id, self.events = 0, []

    def _read(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError('DevTools closed the connection')
            self.buffer += chunk
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def _message(self):
        data = b''
        while True:
            b0, b1 = self._read(2)
            length = b1 & 0x7F
            if length == 126:
                length = struct.unpack('>H', self._read(2))[0]
            elif length == 127:
                length = struct.unpack('>Q', self._read(8))[0]
            payload = self._read(length)
            opcode = b0 & 0x0F
            if opcode == 0x8:
                raise ConnectionError('DevTools closed the connection')
            if opcode in (0x9, 0xA):  # ping / pong
                continue
            data += payload
            if b0 & 0x80:
                return json.loads(data)

    def call(self, method, **params):
        self.next_id += 1
        payload = json.dumps(dict(id=self.next_id, method=method, params=params)).encode()
        header = bytes([0x81])
        n = len(payload)
        header += bytes([0x80 | n]) if n < 126 else (bytes([0x80 | 126]) + struct.pack('>H', n) if n < 1 << 16
                                                      else bytes([0x80 | 127]) + struct.pack('>Q', n))
        mask = os.urandom(4)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
        while True:
            msg = self._message()
            if msg.get('id') == self.next_id:
                if 'error' in msg:
                    raise RuntimeError(f'{method}: {msg["error"]}')
                return msg.get('result', {})
            self.events.append(msg)

    def evaluate(self, expression):
        result = self.call('Runtime.evaluate', expression=expression, returnByValue=True, awaitPromise=True)
        if 'exceptionDetails' in result:
            raise RuntimeError(str(result['exceptionDetails']))
        return result['result'].get('value')

    def wait_for(self, expression, timeout=20.0):
        """Poll ``expression`` until it is truthy; its value (or the last one at the timeout)."""
        end = time.time() + timeout
        value = None
        while time.time() < end:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.2)
        return value

    def errors(self):
        """Console errors, uncaught exceptions and error log entries (failed loads, media errors) seen so far."""
        out = []
        for msg in self.events:
            method, params = msg.get('method'), msg.get('params', {})
            if method == 'Runtime.consoleAPICalled' and params.get('type') in ('error', 'assert'):
                out.append('console: ' + ' '.join(str(a.get('value', a.get('description'))) for a in params['args']))
            elif method == 'Runtime.exceptionThrown':
                out.append('exception: ' + params['exceptionDetails'].get('text', ''))
            elif method == 'Log.entryAdded' and params['entry'].get('level') == 'error':
                out.append('log: ' + params['entry'].get('text', ''))
        return out


@pytest.fixture(scope='session')
def browser(tmp_path_factory):
    """A function opening a file in a fresh headless Chromium page: returns its :class:`DevTools`."""
    exe = find_chromium()
    if exe is None:
        pytest.skip('chromium is not installed (apt-get install chromium)')
    profile = tmp_path_factory.mktemp('chromium')
    proc = subprocess.Popen([exe, '--headless=new', '--no-sandbox', '--disable-gpu', '--mute-audio',
                             '--no-first-run', '--remote-debugging-port=0', f'--user-data-dir={profile}',
                             '--window-size=1280,1000', '--allow-file-access-from-files', 'about:blank'],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    port, end = None, time.time() + 30
    while port is None and time.time() < end:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            break
        if 'DevTools listening on ws://' in line:
            port = urlparse(line.strip().split('listening on ', 1)[1]).port
    if port is None:
        proc.kill()
        pytest.skip('chromium did not start its DevTools server')
    # keep reading stderr so that chromium never blocks on a full pipe
    import threading
    threading.Thread(target=proc.stderr.read, daemon=True).start()

    pages = []

    def open_page(path):
        target = json.loads(urllib.request.urlopen(
            urllib.request.Request(f'http://127.0.0.1:{port}/json/new?about:blank', method='PUT'), timeout=10).read())
        page = DevTools(target['webSocketDebuggerUrl'])
        pages.append(page)
        for domain in ('Runtime', 'Log', 'Page'):
            page.call(f'{domain}.enable')
        page.call('Page.navigate', url=f'file://{os.path.abspath(path)}')
        page.wait_for('document.readyState === "complete"')
        return page

    yield open_page
    for page in pages:
        page.sock.close()
    proc.kill()
    proc.wait()


@pytest.fixture(scope='session')
def rate_videos(tmp_path_factory):
    """Frames that show their own index, 64x36, 3 s without audio, at each standard rate: Fraction -> path."""
    from highlight_plugin.media.rates import STANDARD_RATES
    from tests.helpers.synthetic import index_video
    d = tmp_path_factory.mktemp('rates')
    return {rate: index_video(d / f'{rate.numerator}_{rate.denominator}.mp4', seconds=3, size='64x36',
                              fps=str(rate), audio=False) for rate in STANDARD_RATES}


@pytest.fixture(scope='session')
def long_film(tmp_path_factory):
    """A 23.976-fps index video of 246 s (5898 frames, 13-bit index; 64x36, no audio): long enough for 23.98 (the
    rate a banner prints) to land a frame off, and for frame 5759 (4:00.198)."""
    from tests.helpers.synthetic import index_video
    return index_video(tmp_path_factory.mktemp('long') / 'film.mp4', seconds=246, size='64x36', fps='24000/1001',
                       audio=False, bits=13)


@pytest.fixture(scope='session')
def phone_video(tmp_path_factory):
    """A variable-rate MP4, 24 fps for 2 s then 60 fps for 2 s (48 + 120 frames showing their index), with a quiet
    tone (about -45 LUFS: the loudness target is out of the gain's reach)."""
    from tests.helpers.synthetic import variable_rate_video
    return variable_rate_video(tmp_path_factory.mktemp('phone') / 'phone.mp4', volume=-25)
