"""A loopback HTTP server (127.0.0.1 only, one thread per request) standing in for the publishers of weight files.

It serves bytes by URL path, honours ``Range: bytes=N-`` (206), and can misbehave on purpose: stop half-way
(:meth:`cut`), serve corrupted bytes (:meth:`corrupt`), never answer (:meth:`hang`) or trickle (:meth:`throttle`).
Every request is logged (method, path, Range header, bytes served). The zoo's tests point
``HIGHLIGHT_PLUGIN_MIRROR`` at it, so ``https://host/path`` is served from ``/host/path``, and describe the files in
a site zoo file (``HIGHLIGHT_PLUGIN_ZOO``) whose entries :func:`zoo_entry` writes with the files' real hashes.
"""
import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List, Optional
from urllib.parse import unquote, urlsplit


@dataclass
class Request:
    method: str
    path: str
    range: Optional[str]
    served: int = 0


@dataclass
class _File:
    data: bytes
    cut_at: Optional[int] = None  # stop after this many body bytes ...
    cuts_left: int = 0            # ... on this many requests
    corrupt: bool = False
    hang: bool = False
    delay: float = 0.0            # seconds per 64 KiB chunk
    content_type: str = 'application/octet-stream'


@dataclass
class WeightServer:
    files: Dict[str, _File] = field(default_factory=dict)
    requests: List[Request] = field(default_factory=list)

    def __post_init__(self):
        self._stop = threading.Event()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):  # noqa: N802 - http.server's name
                server._serve(self)

        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs=dict(poll_interval=0.05), daemon=True)

    @property
    def base(self) -> str:
        return f'http://127.0.0.1:{self.httpd.server_address[1]}'

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    # ------------------------------------------------------------------ set-up
    def add(self, url: str, data: bytes, **behaviour) -> str:
        """Serve ``data`` as the mirror copy of the publisher's ``url``; returns the mirror path."""
        parts = urlsplit(url)
        path = unquote(f'/{parts.netloc}{parts.path}')
        self.files[path] = _File(bytes(data), **behaviour)
        return path

    def cut(self, path: str, at: int, times: int = 1):
        self.files[path].cut_at, self.files[path].cuts_left = at, times

    def corrupt(self, path: str, on: bool = True):
        self.files[path].corrupt = on

    def hang(self, path: str, on: bool = True):
        self.files[path].hang = on

    def throttle(self, path: str, delay: float):
        self.files[path].delay = delay

    def gets(self, path: str) -> List[Request]:
        return [r for r in self.requests if r.path == path]

    # ------------------------------------------------------------------ serving
    def _serve(self, handler: BaseHTTPRequestHandler):
        path = unquote(urlsplit(handler.path).path)
        request = Request('GET', path, handler.headers.get('Range'))
        with self._lock:
            self.requests.append(request)
            spec = self.files.get(path)
        if spec is None:
            handler.send_error(404)
            return
        if spec.hang:
            self._stop.wait(30)  # never answers (until the server stops)
            return
        data = bytearray(spec.data)
        if spec.corrupt:
            data[len(data) // 2] ^= 0xFF
        start = 0
        if request.range and request.range.startswith('bytes=') and request.range.endswith('-'):
            start = int(request.range[len('bytes='):-1])
            if start >= len(data):
                handler.send_response(416)
                handler.send_header('Content-Range', f'bytes */{len(data)}')
                handler.end_headers()
                return
            handler.send_response(206)
            handler.send_header('Content-Range', f'bytes {start}-{len(data) - 1}/{len(data)}')
        else:
            handler.send_response(200)
        body = bytes(data[start:])
        handler.send_header('Content-Type', spec.content_type)
        handler.send_header('Content-Length', str(len(body)))
        handler.send_header('Accept-Ranges', 'bytes')
        handler.end_headers()
        with self._lock:
            cut = spec.cut_at if spec.cuts_left > 0 else None
            spec.cuts_left -= cut is not None
        self._write(handler, body if cut is None else body[:max(0, cut - start)], spec.delay, request)
        if cut is not None:
            handler.close_connection = True  # the rest never comes

    def _write(self, handler, body: bytes, delay: float, request: Request):
        chunk = 1 << 16
        for i in range(0, len(body), chunk):
            if delay:
                time.sleep(delay)
            handler.wfile.write(body[i:i + chunk])
            request.served += len(body[i:i + chunk])
        handler.wfile.flush()


def mirror_path(url: str) -> str:
    """The server path of the mirror copy of the publisher's ``url``."""
    return unquote(f'/{urlsplit(url).netloc}{urlsplit(url).path}')


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_hash(data: bytes, kind: Optional[str]) -> Optional[dict]:
    """A zoo ``hash`` of ``data``: kind 'sha256', 'prefix' (sha256[:8]), 'md5', 'git-blob-sha1' or None."""
    if kind is None:
        return None
    value = {'sha256': lambda: hashlib.sha256(data).hexdigest(), 'prefix': lambda: hashlib.sha256(data).hexdigest()[:8],
             'md5': lambda: hashlib.md5(data).hexdigest(),
             'git-blob-sha1': lambda: hashlib.sha1(b'blob %d\0' % len(data) + data).hexdigest()}[kind]()
    return dict(algorithm='git-blob-sha1' if kind == 'git-blob-sha1' else 'md5' if kind == 'md5' else 'sha256',
                value=value, source='test')


def zoo_entry(name: str, url: str, data: bytes, hash: Optional[str] = 'sha256', **fields) -> dict:
    """A zoo weight entry (JSON) for ``data`` published at ``url`` (``hash``: see :func:`file_hash`); ``fields``
    add or replace entry fields (role, format, conversion, network, filename, ...)."""
    entry = dict(name=name, description=f'test file {name}', urls=[url], size=len(data),
                 licence=f'licence of {name}', format='torch-pth', role=None, hash=file_hash(data, hash))
    entry.update(fields)
    return entry
