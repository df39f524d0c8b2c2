"""Zoo files fetched on first use, verified, converted once and cached (``$HIGHLIGHT_PLUGIN_HOME``).

    resolve_weights('panns-cnn14')                  # a zoo name -> the local file the network loads
    resolve_weights('my/Cnn14.pth', role='panns')   # an existing file wins
    resolve_model_weights(get_model('umt-qvhighlights'))  # {'checkpoint': ..., 'clip': ..., ...}

Cache layout: ``files/<name>/<file name>`` (downloads; ``.part`` while incomplete),
``converted/<name>/<name><suffix>``, ``manifest.json`` (:mod:`.manifest`) and ``locks/``. A download is checked
against the publisher's hash (a mismatch deletes it and stops with one line naming the URL and both hashes); with
no published hash the first sha256 seen is recorded, with a warning, and later downloads must match it. A file
lock per entry makes processes that ask at once (a catalogue under torchrun) share one download. Each entry's
licence is printed when it is first fetched.

Environment:

* ``HIGHLIGHT_PLUGIN_HOME``: the cache (default ``$XDG_CACHE_HOME/highlight_plugin``, else
  ``~/.cache/highlight_plugin``).
* ``HIGHLIGHT_PLUGIN_OFFLINE=1``: never download; a missing file is one line naming it, its URL and where to put it.
* ``HIGHLIGHT_PLUGIN_MIRROR``: a base URL that replaces the publishers' hosts, for air-gapped sites:
  ``https://<host>/<path>[?<query>]`` is fetched as ``<mirror>/<host>/<path>[?<query>]`` (a static server of a
  ``<host>/<path>`` tree ignores the query).
* ``HIGHLIGHT_PLUGIN_ZOO``: a site's zoo files (JSON or TOML), ``os.pathsep``-separated (:mod:`.zoo`).
* ``HIGHLIGHT_PLUGIN_TIMEOUT`` (seconds to connect and per read, default 30), ``HIGHLIGHT_PLUGIN_RETRIES``
  (attempts after the first, per URL, default 3), ``HIGHLIGHT_PLUGIN_RETRY_WAIT`` (seconds before the first
  retry, doubled after each, default 2): a network that does not answer fails in bounded time, never hangs.
"""
import contextlib
import os
import sys
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, Iterable, Optional
from urllib.parse import urlsplit

from filelock import FileLock, Timeout

from highlight_plugin.engine.errors import CheckpointError, ConfigError
from .download import DownloadFailed, Settings, download
from .manifest import Manifest, file_digests
from .zoo import ModelEntry, WeightEntry, close_names, get_weight, load_zoo

ENV_HOME, ENV_OFFLINE, ENV_MIRROR = 'HIGHLIGHT_PLUGIN_HOME', 'HIGHLIGHT_PLUGIN_OFFLINE', 'HIGHLIGHT_PLUGIN_MIRROR'


def cache_home() -> Path:
    if os.environ.get(ENV_HOME):
        return Path(os.environ[ENV_HOME]).expanduser()
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join('~', '.cache')
    return Path(base).expanduser() / 'highlight_plugin'


def is_offline() -> bool:
    return os.environ.get(ENV_OFFLINE, '').strip().lower() in ('1', 'true', 'yes', 'on')


def _env_number(name: str, default: float, cast=float):
    raw = os.environ.get(name)
    try:
        value = cast(raw) if raw not in (None, '') else default
    except ValueError:
        raise ConfigError(f'{name}={raw!r}: expected a number') from None
    if value < 0:
        raise ConfigError(f'{name}={raw!r}: expected a number >= 0')
    return value


def settings() -> Settings:
    """Time-out, retries and retry wait from the environment."""
    return Settings(timeout=_env_number('HIGHLIGHT_PLUGIN_TIMEOUT', 30.0) or 30.0,
                    retries=_env_number('HIGHLIGHT_PLUGIN_RETRIES', 3, int),
                    retry_wait=_env_number('HIGHLIGHT_PLUGIN_RETRY_WAIT', 2.0))


def source_urls(entry: WeightEntry) -> list:
    """The URLs to try: the publisher's, or with ``HIGHLIGHT_PLUGIN_MIRROR`` the mirror's copies of them (the
    publisher's host replaced: ``<mirror>/<host>/<path>[?<query>]``)."""
    mirror = os.environ.get(ENV_MIRROR, '').strip().rstrip('/')
    if not mirror:
        return list(entry.urls)
    urls = []
    for url in entry.urls:
        parts = urlsplit(url)
        urls.append(f'{mirror}/{parts.netloc}{parts.path}' + (f'?{parts.query}' if parts.query else ''))
    return list(dict.fromkeys(urls))


@contextlib.contextmanager
def _locked(home: Path, key: str, what: str):
    """An exclusive lock shared by every process using the cache at ``home``."""
    (home / 'locks').mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(home / 'locks' / f'{key}.lock'))
    try:
        lock.acquire(timeout=1)
    except Timeout:
        print(f'waiting for another process {what} ...', file=sys.stderr)
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec='seconds')


def _hash_dict(entry: WeightEntry) -> Optional[dict]:
    return None if entry.hash is None else dict(algorithm=entry.hash.algorithm, value=entry.hash.value)


def _verify(entry: WeightEntry, path: Path, manifest: Manifest, where: str) -> Dict[str, str]:
    """Digests of ``path``; CheckpointError (the file deleted) when its size is not the zoo's or its hash disagrees
    with the publisher's, or without one with the sha256 first seen."""
    if entry.size is not None and path.stat().st_size != entry.size:
        found = path.stat().st_size
        path.unlink()
        raise CheckpointError(f'{where}: {entry.name} has {found} bytes, the zoo says {entry.size}; the file was '
                              f'deleted')
    algorithm = entry.hash.algorithm if entry.hash else 'sha256'
    digests = file_digests(path, [algorithm])
    expected = entry.hash.value if entry.hash else manifest.first_seen(entry.name)
    if expected is not None and not digests[algorithm].startswith(expected):
        path.unlink()
        kind = algorithm if entry.hash else 'sha256 (recorded at the first download)'
        raise CheckpointError(f'{where}: {kind} mismatch for {entry.name}: expected {expected}, found '
                              f'{digests[algorithm]}; the file was deleted')
    return digests


def _record(entry: WeightEntry, url: str, digests: Dict[str, str]) -> dict:
    return dict(name=entry.name, kind='download', sha256=digests['sha256'], url=url, source=entry.urls[0],
                licence=entry.licence, fetched=_now(), hash=_hash_dict(entry))


def _cached(entry: WeightEntry, dest: Path, manifest: Manifest) -> bool:
    """Whether ``dest`` is a verified copy (re-hashed only when it changed or was put there by hand)."""
    if not dest.is_file():
        return False
    record = manifest.get(dest)
    if record is not None and record.get('hash') != _hash_dict(entry):  # the entry changed since: fetch again
        dest.unlink()
        return False
    if Manifest.unchanged(dest, record) and record.get('name') == entry.name:
        return True
    digests = _verify(entry, dest, manifest, str(dest))
    url = record.get('url') if record else 'put in the cache by hand'
    manifest.put(dest, _record(entry, url, digests))
    return True


def _missing_message(entry: WeightEntry, dest: Path, why: str) -> str:
    return (f'{why}: {entry.name} ({entry.filename}) is not in the cache; download {entry.urls[0]} and put it at '
            f'{dest} (or set {ENV_MIRROR} to a mirror)')


def fetch(name: str, progress: Optional[bool] = None) -> str:
    """The verified local copy of the published file of entry ``name`` (downloaded once; no conversion).

    ``progress``: a progress bar on stderr (default: when stderr is a terminal).
    """
    entry = get_weight(name)
    home = cache_home()
    dest = home / 'files' / entry.name / entry.filename
    manifest = Manifest(home)
    with _locked(home, entry.name, f'fetching {entry.name}'):
        if _cached(entry, dest, manifest):
            return str(dest)
        if is_offline():
            raise CheckpointError(_missing_message(entry, dest, f'offline ({ENV_OFFLINE}=1)'))
        part = dest.with_name(dest.name + '.part')
        try:
            url = download(source_urls(entry), part, settings(), entry.size, progress, entry.filename)
        except DownloadFailed as e:
            raise CheckpointError(_missing_message(entry, dest, f'cannot download ({e})')) from None
        digests = _verify(entry, part, manifest, url)
        os.replace(part, dest)
        manifest.put(dest, _record(entry, url, digests))
    print(f'{entry.name}: {entry.filename} from {url}; licence: {entry.licence}', file=sys.stderr)
    if entry.hash is None:
        warnings.warn(f'{entry.name}: its publisher gives no hash; recorded sha256 {digests["sha256"]} in '
                      f'{manifest.path} (later downloads must match it)', stacklevel=2)
    return str(dest)


def _register_converters() -> None:
    from highlight_plugin import features  # noqa: F401  (the converters live next to their networks)
    from . import umt  # noqa: F401


def _input_records(names: Iterable[str], progress) -> list:
    records = []
    for name in names:
        path = fetch(name, progress)
        records.append(dict(name=name, path=path, sha256=Manifest(cache_home()).get(path)['sha256']))
    return records


def converted(name: str, progress: Optional[bool] = None) -> str:
    """What the network loads for entry ``name``: its verified download, or that converted once (cached with its
    own sha256 and reused while its inputs and the package version are the same)."""
    import highlight_plugin
    from . import convert
    entry = get_weight(name)
    if entry.conversion is None:
        return fetch(name, progress)
    conv, home = entry.conversion, cache_home()
    inputs = _input_records(conv.inputs, progress)
    out = home / 'converted' / entry.name / f'{entry.name}{conv.suffix}'
    manifest = Manifest(home)
    wanted = dict(converter=conv.converter, version=highlight_plugin.__version__,
                  inputs=[dict(name=i['name'], sha256=i['sha256']) for i in inputs])
    with _locked(home, f'{entry.name}.converted', f'converting {entry.name}'):
        record = manifest.get(out)
        if Manifest.unchanged(out, record) and all(record.get(k) == v for k, v in wanted.items()):
            return str(out)
        _register_converters()
        tmp = out.with_name(f'.{entry.name}.converting{conv.suffix}')
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            convert(conv.converter, [i['path'] for i in inputs], str(tmp))
            digests = file_digests(tmp)
            os.replace(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)
        manifest.put(out, dict(name=entry.name, kind='converted', sha256=digests['sha256'], url=None,
                               source=entry.urls[0], licence=entry.licence, fetched=_now(), hash=None, **wanted))
    return str(out)


# ---------------------------------------------------------------------------------------------------- by name
def _unknown(value: str, role: Optional[str]) -> CheckpointError:
    zoo = load_zoo()
    names = [n for n, e in zoo.weights.items() if role is None or e.role == role]
    if role in (None, 'checkpoint'):
        names += list(zoo.models)
    kind = f'{role} weights' if role else 'weights'
    close = close_names(value, names) or sorted(names)[:6]
    return CheckpointError(f'{value}: no such file, nor a zoo name of {kind} (close: {", ".join(close)}; '
                           f'all: python tools/check_weights.py --list)')


def resolve_weights(value, role: Optional[str] = None, progress: Optional[bool] = None) -> str:
    """The local file for ``value``: an existing file as is, else a zoo name (a weight entry, or for
    ``role='checkpoint'`` a model name: its checkpoint) fetched, verified, converted and cached.

    Args:
        role: what the file is for ('checkpoint', 'clip', 'panns', 'slowfast', 'resnet', 'vggish', 'pca');
            a zoo entry of another role is refused. None: any.
    Raises:
        CheckpointError: one line; for an unknown name it lists close names.
    """
    text = os.path.expanduser(str(value))
    if os.path.isfile(text):
        return text
    zoo = load_zoo()
    if text in zoo.weights:
        entry = zoo.weights[text]
        if role is not None and entry.role != role:
            raise CheckpointError(f'{text}: a zoo entry of {entry.role or "conversion input"} weights, not {role} '
                                  f'weights (e.g. {", ".join(n for n, e in zoo.weights.items() if e.role == role)})')
        return converted(text, progress)
    if text in zoo.models:
        if role not in (None, 'checkpoint'):
            raise CheckpointError(f'{text}: a model name, not {role} weights')
        return converted(zoo.models[text].checkpoint, progress)
    raise _unknown(text, role)


def resolve_model_weights(entry: ModelEntry, roles: Optional[Iterable[str]] = None,
                          progress: Optional[bool] = None) -> Dict[str, str]:
    """``{role: local file}`` of a model entry (from :func:`~.zoo.get_model`): ``checkpoint`` and the feature
    weights of its recipe, fetched and converted as needed; ``roles`` limits which."""
    wanted = dict(checkpoint=entry.checkpoint, **entry.weights)
    if roles is not None:
        roles = set(roles)
        wanted = {k: v for k, v in wanted.items() if k in roles}
    return {role: converted(name, progress) for role, name in wanted.items()}


def cached_record(path) -> Optional[dict]:
    """The manifest record of ``path`` when it is a file of the cache (zoo name, sha256, URL, licence), else None."""
    if not path or not os.path.isfile(str(path)):
        return None
    manifest = Manifest(cache_home())
    record = manifest.get(path)
    return record if record is not None and Manifest.unchanged(path, record) else None
