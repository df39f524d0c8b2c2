"""The review server's guard, in front of every request (docs/review.md §4): the token when the server listens
beyond this machine, the Host header when it does not (no DNS rebinding), JSON bodies only on POST (no cross-site
form posts), and headers that keep the pages to themselves (no framing, no referrer carrying the token, scripts
from the server only)."""
import secrets
from http.cookies import SimpleCookie
from typing import Optional
from urllib.parse import parse_qs

from starlette.responses import JSONResponse

COOKIE = 'review_token'
LOOPBACK_HOSTS = ('127.0.0.1', 'localhost', '::1')
HEADERS = [(b'x-content-type-options', b'nosniff'), (b'referrer-policy', b'no-referrer'),
           (b'x-frame-options', b'DENY'), (b'cache-control', b'no-store'),
           (b'content-security-policy', b"default-src 'self'; img-src 'self' data:; media-src 'self'; "
                                        b"style-src 'self'; script-src 'self'; frame-ancestors 'none'")]


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server to this machine."""
    return host in LOOPBACK_HOSTS or host.startswith('127.')


class Guard:
    """ASGI middleware: see the module doc. ``token``: required on every request (None: the server is reachable
    from this machine only, and then only under a loopback Host name)."""

    def __init__(self, app, token: Optional[str] = None):
        self.app, self.token = app, token

    async def __call__(self, scope, receive, send):
        if scope['type'] != 'http':
            return await self.app(scope, receive, send)
        headers = {k.decode('latin-1').lower(): v.decode('latin-1') for k, v in scope['headers']}
        refusal, set_cookie = self._check(scope, headers)
        if refusal is not None:
            status, message = refusal
            headers = {k.decode(): v.decode() for k, v in HEADERS}
            response = JSONResponse(dict(error=message), status_code=status, headers=headers)
            return await response(scope, receive, send)

        async def send_with_headers(message):
            if message['type'] == 'http.response.start':
                extra = list(HEADERS)
                if set_cookie:
                    extra.append((b'set-cookie', f'{COOKIE}={self.token}; HttpOnly; SameSite=Strict; Path=/'.encode()))
                message = dict(message, headers=list(message.get('headers', [])) + extra)
            await send(message)
        await self.app(scope, receive, send_with_headers)

    def _check(self, scope, headers):
        """``((status, message) or None, whether to set the token cookie)``."""
        set_cookie = False
        if self.token is None:
            host = headers.get('host', '')
            host = host[1:].split(']')[0] if host.startswith('[') else host.rsplit(':', 1)[0]
            if host not in LOOPBACK_HOSTS:
                return (421, f'this server answers to 127.0.0.1 or localhost, not {host!r}'), False
        else:
            given = parse_qs(scope.get('query_string', b'').decode('latin-1')).get('token', [None])[0]
            cookie = SimpleCookie(headers.get('cookie', ''))
            candidates = [given, headers.get('x-review-token'), cookie[COOKIE].value if COOKIE in cookie else None]
            if not any(c and secrets.compare_digest(c, self.token) for c in candidates):
                return (403, 'a token is required: open the URL the review server printed'), False
            set_cookie = given is not None
        if scope['method'] not in ('GET', 'HEAD', 'POST'):
            return (405, f'{scope["method"]} is not allowed'), False
        if scope['method'] == 'POST' and headers.get('content-type', '').split(';')[0].strip() != 'application/json':
            return (415, 'changes are sent as JSON (Content-Type: application/json)'), False
        return None, set_cookie
