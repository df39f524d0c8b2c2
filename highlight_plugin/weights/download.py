"""One HTTP download into a ``.part`` file: resumed with a Range request, bounded time-outs and retries, progress.

:func:`download` tries each URL in turn; per URL, up to ``1 + retries`` attempts, each resuming the ``.part``
file from its size (``Range: bytes=N-``; a server that answers 200 instead of 206 sends the whole file again).
Connection failures, time-outs, 5xx / 408 / 429 answers and a body cut short are retried after ``retry_wait``
seconds (doubled each time); other HTTP errors move on to the next URL. Standard library (urllib) only: the
requests are plain GETs and urllib keeps the Range header across redirects.
"""
import http.client
import os
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence
from urllib.parse import urlsplit

from highlight_plugin.engine.errors import CheckpointError

RETRYABLE_STATUS = (408, 429, 500, 502, 503, 504)
CHUNK = 1 << 16


@dataclass(frozen=True)
class Settings:
    """``timeout``: seconds for the connection and for each read; ``retries``: attempts after the first, per
    URL; ``retry_wait``: seconds before the first retry (doubled after each)."""
    timeout: float = 30.0
    retries: int = 3
    retry_wait: float = 2.0


class DownloadFailed(CheckpointError):
    """Every URL failed; ``reason`` is the last failure, ``attempts`` how many requests were made."""

    def __init__(self, message: str, reason: str, attempts: int):
        super().__init__(message)
        self.reason, self.attempts = reason, attempts


class _Retry(Exception):
    """A failure worth another attempt (the message says what happened)."""


class _Restart(_Retry):
    """The ``.part`` file is not a prefix of the file served (HTTP 416): start it again."""


class _NextURL(Exception):
    """A failure no retry of this URL fixes (404, an HTML page, a size other than the zoo's)."""


def _progress_bar(enabled: Optional[bool], total: Optional[int], done: int, label: str):
    from tqdm import tqdm
    if enabled is None:
        enabled = sys.stderr.isatty()
    return tqdm(total=total, initial=done, unit='B', unit_scale=True, unit_divisor=1024, desc=label,
                file=sys.stderr, disable=not enabled, leave=False)


def _start_of(content_range: Optional[str]) -> Optional[int]:
    """N of ``Content-Range: bytes N-M/T``."""
    try:
        return int(content_range.split()[1].split('-')[0])
    except (AttributeError, IndexError, ValueError):
        return None


def _open(url: str, have: int, timeout: float):
    request = urllib.request.Request(url, headers={'User-Agent': 'highlight_plugin (weights zoo)',
                                                   'Accept-Encoding': 'identity'})
    if have:
        request.add_header('Range', f'bytes={have}-')
    try:
        return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - http(s) URLs of the zoo only
    except urllib.error.HTTPError as e:
        e.close()
        if e.code == 416:  # the .part is not a prefix of this file: start again
            raise _Restart('HTTP 416 for a resumed download (restarting it)') from None
        if e.code in RETRYABLE_STATUS:
            raise _Retry(f'HTTP {e.code} {e.reason}') from None
        raise _NextURL(f'HTTP {e.code} {e.reason}') from None


def _attempt(url: str, part: Path, settings: Settings, size: Optional[int], progress, label: str) -> None:
    """One GET, appending to ``part`` (resumed when it has bytes)."""
    have = part.stat().st_size if part.exists() else 0
    if size is not None and have >= size:
        part.unlink()
        have = 0
    try:
        response = _open(url, have, settings.timeout)
    except _Restart:
        part.unlink(missing_ok=True)
        raise
    with response:
        if have and (response.status != 206 or _start_of(response.headers.get('Content-Range')) != have):
            have = 0  # the server sends the whole file
        if 'text/html' in (response.headers.get('Content-Type') or ''):
            raise _NextURL('the server answered with an HTML page (a login or confirmation page?), not the file')
        length = response.headers.get('Content-Length')
        length = int(length) if length and length.isdigit() else None
        total = have + length if length is not None else size
        if size is not None and total is not None and total != size:
            raise _NextURL(f'the server offers {total} bytes, the zoo says {size}')
        got = 0
        with open(part, 'ab' if have else 'wb') as out, _progress_bar(progress, total, have, label) as bar:
            while True:
                chunk = response.read(CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                got += len(chunk)
                bar.update(len(chunk))
        if length is not None and got < length:
            raise _Retry(f'the connection closed after {have + got} of {total} bytes')


def download(urls: Sequence[str], part: Path, settings: Settings, size: Optional[int] = None,
             progress: Optional[bool] = None, label: str = '') -> str:
    """Download the first URL that works into ``part``; returns that URL.

    Raises:
        DownloadFailed: every URL failed (one line: the last URL, the reason, how many attempts).
    """
    part.parent.mkdir(parents=True, exist_ok=True)
    attempts, reason = 0, 'no URL'
    for url in urls:
        for attempt in range(settings.retries + 1):
            if attempt:
                time.sleep(settings.retry_wait * 2 ** (attempt - 1))
            attempts += 1
            try:
                _attempt(url, part, settings, size, progress, label or os.path.basename(urlsplit(url).path))
                return url
            except _NextURL as e:
                reason = f'{url}: {e}'
                break
            except (_Retry, OSError, http.client.HTTPException) as e:  # URLError, time-outs, resets are OSErrors
                reason = f'{url}: {_describe(e, settings)}'
    raise DownloadFailed(f'{reason} ({attempts} attempt{"s" * (attempts != 1)})', reason, attempts)


def _describe(error: BaseException, settings: Settings) -> str:
    if isinstance(error, urllib.error.URLError) and not isinstance(error, urllib.error.HTTPError):
        error = error.reason if isinstance(error.reason, BaseException) else error
    if isinstance(error, TimeoutError):
        return f'no answer within {settings.timeout:g} s'
    return str(error) or type(error).__name__
