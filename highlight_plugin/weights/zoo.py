"""The zoo: published models and weight files by name, as data (``zoo.json`` beside this file, plus a site's files).

A *weight entry* is one published file: its URLs, the hash its publisher gives (or null), size, format, licence,
the ``role`` it plays (a feature: clip, panns, slowfast, resnet, vggish, pca; or a model ``checkpoint``) and the
conversion (a ``WEIGHT_CONVERTERS`` name and the entries it reads) that turns it into what the network loads.
A *model entry* ties a config, its checkpoint entry and the weight entries of the feature recipe it was trained on
(``recipes``: recipe -> {role: weight entry}). ``hub.py`` fetches, verifies, converts and caches them.

A site adds entries (its own models, a newer release) in JSON or TOML files of the same form, named by
``HIGHLIGHT_PLUGIN_ZOO`` (several joined with ``os.pathsep``) or passed to :func:`register_zoo`; an entry named like
an earlier one replaces it. Entries are data: a zoo file is never executed.

    get_model('umt-qvhighlights')   # ModelEntry: config (absolute path), checkpoint, weights, reels
    get_weight('panns-cnn14')       # WeightEntry
    recipe_weights('hero_qvhighlights')  # {'clip': 'clip-vit-b-32-openai', ...}
"""
import dataclasses
import difflib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple
from urllib.parse import unquote, urlsplit

from highlight_plugin.engine.errors import CheckpointError, ConfigError

BUILTIN = Path(__file__).with_name('zoo.json')
ZOO_ENV = 'HIGHLIGHT_PLUGIN_ZOO'
ROLES = ('checkpoint', 'clip', 'panns', 'slowfast', 'resnet', 'vggish', 'pca')
HASH_LENGTHS = {'sha256': 64, 'md5': 32, 'git-blob-sha1': 40}  # full hex length; sha256 may be a prefix (>= 8)
HASH_IN_NAME = re.compile(r'-([0-9a-f]{8,64})\.[A-Za-z0-9]+$')  # torch.hub / mmengine / nncore: NAME-<sha256[:n]>.ext
_NAME = re.compile(r'^[a-z0-9][a-z0-9._-]*$')
_WEIGHT_KEYS = {'name', 'description', 'urls', 'filename', 'hash', 'size', 'format', 'licence', 'role',
                'conversion', 'network'}
_MODEL_KEYS = {'name', 'description', 'config', 'checkpoint', 'recipe', 'weights', 'no_reels'}
_registered: List[str] = []
_cache: Dict[tuple, 'Zoo'] = {}


@dataclass(frozen=True)
class FileHash:
    """A publisher's hash: ``algorithm`` (sha256, md5 or git-blob-sha1), ``value`` (hex; a sha256 may be a prefix,
    as in file names ``NAME-<sha256[:8]>.pth``) and where the value was published (``source``)."""
    algorithm: str
    value: str
    source: str = ''

    @property
    def is_prefix(self) -> bool:
        return len(self.value) < HASH_LENGTHS[self.algorithm]

    def matches(self, digest: str) -> bool:
        """Whether the full hex ``digest`` of this algorithm agrees (a prefix: starts with it)."""
        return digest.startswith(self.value)


@dataclass(frozen=True)
class Conversion:
    """``converter`` (a ``WEIGHT_CONVERTERS`` name) applied to the files of ``inputs`` (entry names, in the
    converter's order, the converted entry among them) writes a file ending in ``suffix``."""
    converter: str
    inputs: Tuple[str, ...]
    suffix: str


@dataclass(frozen=True)
class WeightEntry:
    """One published file. JSON fields: ``name``; ``description``; ``urls`` (http(s), tried in order);
    ``filename`` (default: the first URL's last path part, unquoted); ``hash`` (``{algorithm, value, source}`` or
    null); ``size`` (bytes or null); ``format`` (e.g. torch-pth, nncore-pth, torchscript, safetensors, caffe2-pkl,
    keras-h5, sklearn-pkl); ``licence``; ``role`` (:data:`ROLES`, or null for a file only other entries convert);
    ``conversion`` (``{converter, inputs, suffix}`` or absent); ``network`` (how ``tools/check_weights.py`` builds
    the network when no recipe names the entry: extractor options such as ``variant``, ``model_name``,
    ``clip_len``, or a checkpoint's ``config``). ``origin``: the zoo file that defined it."""
    name: str
    description: str
    urls: Tuple[str, ...]
    filename: str
    hash: Optional[FileHash]
    size: Optional[int]
    format: str
    licence: str
    role: Optional[str]
    conversion: Optional[Conversion] = None
    network: Dict[str, object] = field(default_factory=dict)
    origin: str = ''


@dataclass(frozen=True)
class ModelEntry:
    """A model by name: ``config`` (absolute path once returned by :func:`get_model`; in a zoo file relative to the
    package's configs, or for a site's file to that file's folder), its ``checkpoint`` entry, the ``recipe`` of its
    features and the ``weights`` entry of each of their roles (the recipe's from ``recipes``, updated by the
    entry's own ``weights``); ``reels``: whether the package makes a reel from a raw video with it (else
    ``no_reels`` says why: JSON field ``no_reels``, required when ``recipe`` is null)."""
    name: str
    description: str
    config: str
    checkpoint: str
    recipe: Optional[str]
    weights: Dict[str, str]
    no_reels: str = ''
    licence: str = ''
    origin: str = ''

    @property
    def reels(self) -> bool:
        return not self.no_reels

    def require_reels(self) -> None:
        """Raise ConfigError (one line) when the model cannot make a reel from a raw video."""
        if not self.reels:
            raise ConfigError(f'{self.name}: no reel from a raw video: the model reads {self.no_reels} '
                              f'(evaluate it with tools/test.py {self.name})')


@dataclass
class Zoo:
    """The merged entries of the built-in and site zoo files."""
    weights: Dict[str, WeightEntry] = field(default_factory=dict)
    models: Dict[str, ModelEntry] = field(default_factory=dict)
    recipes: Dict[str, Dict[str, str]] = field(default_factory=dict)
    recipe_origin: Dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------------- parsing
def _fail(origin: str, what: str, message: str):
    raise ConfigError(f'{origin}: {what}: {message}')


def _text(obj: dict, key: str, origin: str, what: str, required: bool = True, default: str = '') -> str:
    value = obj.get(key, default)
    if value is None and not required:
        return default
    if not isinstance(value, str) or (required and not value):
        _fail(origin, what, f'"{key}" must be a non-empty string (got {value!r})')
    return value


def _check_keys(obj, allowed: set, origin: str, what: str):
    if not isinstance(obj, dict):
        _fail(origin, what, f'expected an object, got {type(obj).__name__}')
    unknown = sorted(k for k in obj if k not in allowed and not str(k).startswith('_'))
    if unknown:
        _fail(origin, what, f'unknown field(s) {", ".join(unknown)} (known: {", ".join(sorted(allowed))})')


def _parse_hash(raw, origin: str, what: str) -> Optional[FileHash]:
    if raw is None:
        return None
    _check_keys(raw, {'algorithm', 'value', 'source'}, origin, what + ' hash')
    algorithm = _text(raw, 'algorithm', origin, what)
    value = _text(raw, 'value', origin, what).lower()
    if algorithm not in HASH_LENGTHS:
        _fail(origin, what, f'hash algorithm {algorithm!r} is not one of {", ".join(HASH_LENGTHS)}')
    full = HASH_LENGTHS[algorithm]
    shortest = 8 if algorithm == 'sha256' else full
    if not re.fullmatch(r'[0-9a-f]+', value) or not shortest <= len(value) <= full:
        _fail(origin, what, f'{algorithm} value {value!r} must be {full} hex digits'
              + (' (or a prefix of at least 8)' if shortest < full else ''))
    return FileHash(algorithm, value, _text(raw, 'source', origin, what, required=False))


def _parse_conversion(raw, name: str, origin: str, what: str) -> Optional[Conversion]:
    if raw is None:
        return None
    _check_keys(raw, {'converter', 'inputs', 'suffix'}, origin, what + ' conversion')
    inputs = raw.get('inputs', [name])
    if not isinstance(inputs, list) or not inputs or not all(isinstance(i, str) for i in inputs):
        _fail(origin, what, 'conversion "inputs" must be a list of entry names')
    if name not in inputs:
        _fail(origin, what, f'conversion "inputs" must include the entry itself ({name!r})')
    suffix = _text(raw, 'suffix', origin, what)
    if not re.fullmatch(r'\.[A-Za-z0-9]+', suffix):
        _fail(origin, what, f'conversion "suffix" must look like ".safetensors" (got {suffix!r})')
    return Conversion(_text(raw, 'converter', origin, what), tuple(inputs), suffix)


def _entry_name(raw, origin: str, what: str) -> str:
    name = _text(raw, 'name', origin, what)
    if not _NAME.match(name):
        _fail(origin, what, 'names are lowercase letters, digits, ".", "_" and "-"')
    return name


def _parse_weight(raw, origin: str) -> WeightEntry:
    what = f'weight entry {raw.get("name")!r}' if isinstance(raw, dict) else 'a weight entry'
    _check_keys(raw, _WEIGHT_KEYS, origin, what)
    name = _entry_name(raw, origin, what)
    urls = raw.get('urls')
    if not isinstance(urls, list) or not urls or not all(
            isinstance(u, str) and urlsplit(u).scheme in ('http', 'https') and urlsplit(u).netloc for u in urls):
        _fail(origin, what, '"urls" must be a non-empty list of http(s) URLs')
    filename = raw.get('filename') or unquote(Path(urlsplit(urls[0]).path).name)
    if not isinstance(filename, str) or not filename or '/' in filename or filename.startswith('.'):
        _fail(origin, what, f'"filename" must be a plain file name (got {filename!r})')
    size = raw.get('size')
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size <= 0):
        _fail(origin, what, f'"size" must be a positive number of bytes or null (got {size!r})')
    role = raw.get('role')
    if role is not None and role not in ROLES:
        _fail(origin, what, f'role {role!r} is not one of {", ".join(ROLES)} (or null: an input of other entries)')
    network = raw.get('network', {})
    if not isinstance(network, dict):
        _fail(origin, what, '"network" must be an object')
    return WeightEntry(name=name, description=_text(raw, 'description', origin, what), urls=tuple(urls),
                       filename=filename, hash=_parse_hash(raw.get('hash'), origin, what), size=size,
                       format=_text(raw, 'format', origin, what), licence=_text(raw, 'licence', origin, what),
                       role=role, conversion=_parse_conversion(raw.get('conversion'), name, origin, what),
                       network=dict(network), origin=origin)


def _parse_model(raw, origin: str) -> ModelEntry:
    what = f'model entry {raw.get("name")!r}' if isinstance(raw, dict) else 'a model entry'
    _check_keys(raw, _MODEL_KEYS, origin, what)
    name = _entry_name(raw, origin, what)
    weights = raw.get('weights', {})
    if not isinstance(weights, dict) or not all(isinstance(v, str) for v in weights.values()):
        _fail(origin, what, '"weights" must map roles to weight entry names')
    recipe = raw.get('recipe')
    if recipe is not None and not isinstance(recipe, str):
        _fail(origin, what, '"recipe" must be a recipe name or null')
    return ModelEntry(name=name, description=_text(raw, 'description', origin, what),
                      config=_text(raw, 'config', origin, what), checkpoint=_text(raw, 'checkpoint', origin, what),
                      recipe=recipe, weights=dict(weights),
                      no_reels=_text(raw, 'no_reels', origin, what, required=False), origin=origin)


def read_zoo_file(path) -> dict:
    """The raw object of a JSON or TOML zoo file (ConfigError naming the file when unreadable)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f'{path}: zoo file not found')
    try:
        if path.suffix.lower() == '.toml':
            try:
                import tomllib
            except ImportError:  # Python < 3.11
                import tomli as tomllib
            with open(path, 'rb') as f:
                raw = tomllib.load(f)
        elif path.suffix.lower() == '.json':
            raw = json.loads(path.read_text(encoding='utf-8'))
        else:
            raise ConfigError(f'{path}: a zoo file is .json or .toml')
    except (ValueError, UnicodeDecodeError) as e:  # JSONDecodeError, TOMLDecodeError
        raise ConfigError(f'{path}: not a valid zoo file ({e})') from None
    if not isinstance(raw, dict):
        raise ConfigError(f'{path}: a zoo file holds an object with "weights", "models" and "recipes"')
    _check_keys(raw, {'version', 'weights', 'models', 'recipes'}, str(path), 'the file')
    return raw


def _merge_file(zoo: Zoo, path) -> None:
    raw, origin = read_zoo_file(path), str(path)
    for key, kind in (('weights', list), ('models', list), ('recipes', dict)):
        if not isinstance(raw.get(key, kind()), kind):
            _fail(origin, f'"{key}"', f'must be a {"list" if kind is list else "table/object"}')
    for item in raw.get('weights', []):
        entry = _parse_weight(item, origin)
        zoo.weights[entry.name] = entry
    for item in raw.get('models', []):
        entry = _parse_model(item, origin)
        zoo.models[entry.name] = entry
    for recipe, roles in raw.get('recipes', {}).items():
        if not isinstance(roles, dict) or not all(isinstance(v, str) for v in roles.values()):
            _fail(origin, f'recipe {recipe!r}', 'must map roles to weight entry names')
        zoo.recipes[recipe] = dict(roles)
        zoo.recipe_origin[recipe] = origin


def _check_refs(zoo: Zoo) -> None:
    """Every name an entry refers to exists, with the role it is used for."""
    def need(origin, what, name, role):
        entry = zoo.weights.get(name)
        if entry is None:
            _fail(origin, what, f'no weight entry named {name!r}')
        if role is not None and entry.role != role:
            _fail(origin, what, f'{name!r} is a {entry.role or "conversion input"} entry, not {role}')

    for entry in zoo.weights.values():
        for name in entry.conversion.inputs if entry.conversion else ():
            need(entry.origin, f'weight entry {entry.name!r} conversion', name, None)
    for recipe, roles in zoo.recipes.items():
        for role, name in roles.items():
            need(zoo.recipe_origin[recipe], f'recipe {recipe!r}', name, role)
    for model in zoo.models.values():
        what = f'model entry {model.name!r}'
        need(model.origin, what, model.checkpoint, 'checkpoint')
        if model.recipe is not None and model.recipe not in zoo.recipes:
            _fail(model.origin, what, f'recipe {model.recipe!r} has no weights in the zoo ("recipes")')
        if model.recipe is None and not model.no_reels:
            _fail(model.origin, what, 'a model without a recipe must say why it makes no reels ("no_reels")')
        for role, name in model_weights(model, zoo).items():
            need(model.origin, what, name, role)


def model_weights(model: ModelEntry, zoo: Optional[Zoo] = None) -> Dict[str, str]:
    """The feature weight entries of ``model``: its recipe's, updated by its own ``weights``."""
    zoo = zoo or _zoo()
    return {**zoo.recipes.get(model.recipe, {}), **model.weights} if model.recipe else dict(model.weights)


# ---------------------------------------------------------------------------------------------------- the zoo
def zoo_files() -> List[str]:
    """The zoo files read, in order: the built-in one, ``$HIGHLIGHT_PLUGIN_ZOO``'s, then :func:`register_zoo`'s."""
    env = [p for p in os.environ.get(ZOO_ENV, '').split(os.pathsep) if p.strip()]
    return [str(BUILTIN)] + env + list(_registered)


def register_zoo(path) -> None:
    """Add a site's zoo file (JSON or TOML, the form of ``zoo.json``); checked now (ConfigError on a bad entry)."""
    path = str(Path(path).resolve())
    if path not in _registered:
        _registered.append(path)
        try:
            _zoo()
        except ConfigError:
            _registered.remove(path)
            raise


def _zoo() -> Zoo:
    files = zoo_files()
    key = tuple((f, os.stat(f).st_mtime_ns if os.path.isfile(f) else None) for f in files)
    if key not in _cache:
        zoo = Zoo()
        for f in files:
            _merge_file(zoo, f)
        _check_refs(zoo)
        _cache.clear()
        _cache[key] = zoo
    return _cache[key]


def load_zoo() -> Zoo:
    """The merged zoo (built-in + site files), validated."""
    return _zoo()


def close_names(value: str, names: Sequence[str], n: int = 4) -> List[str]:
    return difflib.get_close_matches(value, sorted(names), n=n, cutoff=0.5)


def _unknown(kind: str, value: str, names: Sequence[str]) -> CheckpointError:
    close = close_names(value, names) or sorted(names)[:6]
    return CheckpointError(f'no {kind} named {value!r} in the zoo (close: {", ".join(close)}; '
                           f'all: python tools/check_weights.py --list)')


def weight_names(role: Optional[str] = None) -> List[str]:
    return sorted(n for n, e in _zoo().weights.items() if role is None or e.role == role)


def model_names() -> List[str]:
    return sorted(_zoo().models)


def get_weight(name: str) -> WeightEntry:
    zoo = _zoo()
    if name not in zoo.weights:
        raise _unknown('weight entry', name, zoo.weights)
    return zoo.weights[name]


def config_root() -> Optional[Path]:
    """Where the package's configs are: ``highlight_plugin/.mim/configs`` in an installed wheel that ships them,
    else ``configs/`` of the source checkout (an editable install)."""
    package = Path(__file__).resolve().parents[1]
    for root in (package / '.mim' / 'configs', package.parent / 'configs'):
        if root.is_dir():
            return root
    return None


def resolve_config(config: str, origin: str, owner: str) -> str:
    """The absolute path of an entry's ``config``: absolute as is; relative, beside the site zoo file that
    defines the entry (``origin``), else in the package's configs (:func:`config_root`)."""
    path = Path(config).expanduser()
    candidates = [path] if path.is_absolute() else []
    if not path.is_absolute():
        if origin and Path(origin) != BUILTIN:
            candidates.append(Path(origin).parent / path)  # a site's own config, beside its zoo file
        if config_root() is not None:
            candidates.append(config_root() / path)
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate.resolve())
    where = ', '.join(str(p) for p in candidates) or 'no configs/ folder beside the package (install from a ' \
                                                     'source checkout: pip install -e .)'
    raise ConfigError(f'{owner}: config {config} not found ({where})')


def get_model(name: str) -> ModelEntry:
    """The model entry ``name`` with its config as an absolute path, its feature ``weights`` (recipe's, then its
    own) and its checkpoint's licence. CheckpointError (one line, close names) for an unknown name."""
    zoo = _zoo()
    if name not in zoo.models:
        raise _unknown('model', name, zoo.models)
    model = zoo.models[name]
    return dataclasses.replace(model, config=resolve_config(model.config, model.origin, name),
                               weights=model_weights(model, zoo),
                               licence=zoo.weights[model.checkpoint].licence)


def recipe_weights(recipe: str) -> Dict[str, str]:
    """``{role: weight entry name}`` of a feature recipe (e.g. the football recipe's resnet, pca and vggish)."""
    zoo = _zoo()
    if recipe not in zoo.recipes:
        raise ConfigError(f'no weights for recipe {recipe!r} in the zoo (known: {", ".join(sorted(zoo.recipes))})')
    return dict(zoo.recipes[recipe])


def hash_in_filename(filename: str) -> Optional[str]:
    """The sha256 prefix a file name carries (``NAME-<hex>.ext``, at least 8 hex digits), or None."""
    match = HASH_IN_NAME.search(filename)
    return match.group(1) if match else None


# ---------------------------------------------------------------------------------------------------- README table
def _size(nbytes: Optional[int]) -> str:
    if nbytes is None:
        return '—'
    return f'{nbytes / 1e6:.0f} MB' if nbytes >= 1e6 else f'{nbytes / 1e3:.0f} kB'


def _cell(text: str) -> str:
    return str(text).replace('|', '\\|')


def _source(url: str) -> str:
    return f'[{urlsplit(url).netloc}]({url})'


def zoo_table(builtin_only: bool = True) -> str:
    """The zoo as a markdown table (name, what, licence, size, source): models first, then weight files.
    README.md holds the built-in zoo's between ``<!-- zoo:start -->`` and ``<!-- zoo:end -->``."""
    zoo = Zoo()
    _merge_file(zoo, BUILTIN)
    if not builtin_only:
        zoo = _zoo()
    rows = ['| Name | What | Licence | Size | Source |', '|---|---|---|---|---|']
    for model in sorted(zoo.models.values(), key=lambda m: m.name):
        ckpt = zoo.weights[model.checkpoint]
        what = f'model: {model.description}; ' + ('reels from a video' if model.reels else 'dataset features only')
        rows.append(f'| `{model.name}` | {_cell(what)} | {_cell(ckpt.licence)} | {_size(ckpt.size)} | '
                    f'{_source(ckpt.urls[0])} |')
    for entry in sorted(zoo.weights.values(), key=lambda e: e.name):
        role = entry.role or 'input'
        rows.append(f'| `{entry.name}` | {_cell(f"{role}: {entry.description}")} | {_cell(entry.licence)} | '
                    f'{_size(entry.size)} | {_source(entry.urls[0])} |')
    return '\n'.join(rows) + '\n'
