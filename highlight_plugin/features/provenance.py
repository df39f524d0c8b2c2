"""Where features came from: a ``provenance.json`` sidecar in each feature directory.

Every extraction writes, next to the files it made, one JSON object per feature name::

    clip_features/provenance.json
    {"clip": {"recipe": "hero_qvhighlights", "extractor": "clip", "network": "ViT-B-32-quickgelu",
              "clip_len": 2.0, "sampling": "hero", "dtype": "float16",
              "weights": {"file": "ViT-B-32.pt", "sha256": "40d37154..."},
              "version": "0.1.0"}}

(``sha256`` of the weight file, computed once per run; ``null`` for random weights. A file fetched by zoo name
adds ``zoo`` (the name), ``licence`` and ``url``, and its sha256 comes from the cache's manifest.) The datasets'
readers open feature files by name and never see the sidecar. A model config names the recipe of
its training features (``inference_cfg.recipe``); :func:`check_recipe` refuses other features.

For precomputed features (``make_highlights --features DIR``)::

    found = read_provenance(feature_file, 'clip')      # None when the directory has no sidecar
    check_recipe(cfg.get('recipe'), found, feature_file) # ConfigError (one line) on another recipe
"""
import hashlib
import json
import os
from pathlib import Path
from typing import Dict, Mapping, Optional

from highlight_plugin.engine.errors import ConfigError
from highlight_plugin.engine.fileio import atomic_write

SIDECAR = 'provenance.json'
_SHA_CACHE: Dict[tuple, str] = {}


def weights_sha256(path: Optional[str]) -> Optional[str]:
    """sha256 of a weight file (hex), once per file and run (keyed by path, size and mtime); None when
    ``path`` is not a local file (random weights, a hub tag)."""
    if not path or not os.path.isfile(str(path)):
        return None
    st = os.stat(path)
    key = (os.path.abspath(path), st.st_size, st.st_mtime_ns)
    if key not in _SHA_CACHE:
        h = hashlib.sha256()
        with open(path, 'rb') as f:
            for block in iter(lambda: f.read(1 << 22), b''):
                h.update(block)
        _SHA_CACHE[key] = h.hexdigest()
    return _SHA_CACHE[key]


def weights_record(path) -> dict:
    """The ``weights`` of a provenance record: ``file`` and ``sha256`` (None for random weights or a hub tag); for
    a file of the zoo cache also its zoo ``name``, ``licence`` and ``url``, its sha256 taken from the cache's
    manifest (``highlight_plugin.weights.hub``)."""
    if not path or str(path).lower() == 'none':
        return dict(file=None, sha256=None)
    local = str(path)
    if local.startswith(('http://', 'https://')):
        from .base import resolve_checkpoint
        local = str(resolve_checkpoint(local))
    from highlight_plugin.weights.hub import cached_record
    cached = cached_record(local)
    if cached is None:
        return dict(file=Path(local).name if os.path.isfile(local) else str(path), sha256=weights_sha256(local))
    return dict(file=Path(local).name, sha256=cached['sha256'], zoo=cached.get('name'),
                licence=cached.get('licence'), url=cached.get('source') or cached.get('url'))


def describe(extractor, recipe: str, dtype: str) -> dict:
    """The provenance record of an extractor built for ``recipe``."""
    import highlight_plugin
    spec = extractor.spec
    sampling = getattr(spec, 'sampling', None) or getattr(spec, 'method', None)
    record = dict(recipe=recipe, extractor=extractor.name, network=extractor.network,
                  clip_len=extractor.clip_len, sampling=sampling, dtype=dtype,
                  weights=weights_record(getattr(extractor, 'checkpoint', None)), version=highlight_plugin.__version__)
    if getattr(extractor, 'pca_file', None):  # the PCA applied to the rows (SoccerNet's, by zoo name or file)
        record['pca'] = weights_record(extractor.pca_file)
    return record


def sidecar_path(feature_file) -> Path:
    return Path(feature_file).parent / SIDECAR


def read_provenance(feature_file, feature: str) -> Optional[dict]:
    """The record of ``feature`` in the sidecar beside ``feature_file``; None without one."""
    path = sidecar_path(feature_file)
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text()).get(feature)
    except (ValueError, AttributeError) as e:
        raise ConfigError(f'{path}: unreadable provenance sidecar ({e})') from None


def _same(a: Mapping, b: Mapping) -> bool:
    keys = ('recipe', 'network', 'clip_len', 'sampling', 'dtype')
    return all(a.get(k) == b.get(k) for k in keys) and a.get('weights', {}).get('sha256') == \
        b.get('weights', {}).get('sha256')


def check_same(feature_file, feature: str, record: dict):
    """Raise ConfigError when the sidecar beside ``feature_file`` records ``feature`` made otherwise than
    ``record`` (another recipe, network, weights, ...)."""
    old = read_provenance(feature_file, feature)
    if old is not None and not _same(old, record):
        raise ConfigError(f'{sidecar_path(feature_file).parent}: holds {feature} features of recipe '
                          f'{old.get("recipe")} ({old.get("network")}, weights '
                          f'{old.get("weights", {}).get("sha256")}); '
                          f'these would be {record.get("recipe")} ({record.get("network")}, weights '
                          f'{record.get("weights", {}).get("sha256")}): use another --out-dir, or --overwrite')


def write_provenance(feature_file, feature: str, record: dict, overwrite: bool = False):
    """Record ``feature``'s provenance beside ``feature_file`` (other features' entries are kept).

    Raises:
        ConfigError: the directory already holds ``feature`` files made otherwise (another recipe,
            network or weights) and ``overwrite`` is False: mixing them would be silent.
    """
    if not overwrite:
        check_same(feature_file, feature, record)
    path = sidecar_path(feature_file)
    data = json.loads(path.read_text()) if path.is_file() else {}
    if data.get(feature) == record:
        return
    data[feature] = record
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(str(path)) as f:
        f.write((json.dumps(data, indent=1, sort_keys=True) + '\n').encode())


def check_recipe(expected: Optional[str], found: Optional[Mapping], path) -> bool:
    """Refuse features of another recipe than the model's.

    Args:
        expected: the model's ``inference_cfg.recipe`` (None: the model does not say; anything goes).
        found: the features' provenance record (:func:`read_provenance`, or an extractor's
            ``provenance``); None when unknown (e.g. the published QVHighlights release, made before sidecars).
        path: named in the message (the feature file or extractor).

    Returns:
        True when the recipes match, False when either side is unknown.

    Raises:
        ConfigError: one line naming ``path`` and both recipes.
    """
    if expected is None or found is None:
        return False
    if found.get('recipe') != expected:
        raise ConfigError(f'{path}: {found.get("feature", found.get("extractor", "these"))} features of recipe '
                          f'{found.get("recipe")!r}, but the model was trained on {expected!r} features '
                          f'(re-extract with --recipe {expected})')
    return True
