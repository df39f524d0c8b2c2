"""End-to-end checks of zoo entries (``tools/check_weights.py``): fetch, verify, convert, strict-load into the
network, one forward pass on random input; one :class:`CheckResult` per entry.

A feature entry is built as the recipe that names it builds it (else with its ``network`` options); a checkpoint
entry is loaded into the model of the config of the model entry that names it (else its ``network.config``).
"""
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Optional

import numpy as np
import torch

from highlight_plugin.engine.errors import CheckpointError, HighlightError
from ..weights.hub import cached_record, converted
from ..weights.zoo import WeightEntry, close_names, get_weight, load_zoo, resolve_config


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    message: str

    def line(self) -> str:
        return f'{"OK  " if self.ok else "FAIL"} {self.name}: {self.message}'


def expand_names(names: Iterable[str]) -> List[str]:
    """Weight entry names to check: a model name stands for its checkpoint and feature weights, in that order;
    no names: every weight entry of the zoo."""
    zoo = load_zoo()
    names = list(names) or sorted(zoo.weights)
    out = []
    for name in names:
        if name in zoo.models:
            from ..weights.zoo import get_model
            model = get_model(name)
            out += [model.checkpoint] + list(model.weights.values())
        else:
            out.append(name)
    return list(dict.fromkeys(out))


def _finite(out, what: str) -> None:
    out = out if torch.is_tensor(out) else torch.as_tensor(np.asarray(out, np.float64))
    if not bool(torch.isfinite(out.float()).all()):
        raise CheckpointError(f'{what}: the forward pass gave non-finite values')


def _feature_build(entry: WeightEntry):
    """``(extractor name, clip length, options)``: as the first recipe naming ``entry`` builds it, else from the
    entry's ``network`` (``extractor``, ``clip_len`` and constructor options)."""
    from highlight_plugin.features.recipes import RECIPES
    for recipe, roles in load_zoo().recipes.items():
        feature = RECIPES[recipe].features.get(entry.role) if recipe in RECIPES else None
        if roles.get(entry.role) == entry.name and feature is not None:
            return feature.extractor, feature.clip_len, dict(feature.options)
    options = dict(entry.network)
    return options.pop('extractor', entry.role), float(options.pop('clip_len', 2.0)), options


def _check_feature(entry: WeightEntry, path: str, device: str) -> str:
    from highlight_plugin.features.base import build_extractor
    extractor, clip_len, options = _feature_build(entry)
    ex = build_extractor(extractor, clip_len, device=device, batch_size=1, checkpoint=path, **options)
    rng = np.random.default_rng(0)
    if ex.modality == 'video':
        rows = rng.integers(0, 256, (1, ex.units_per_row, ex.spec.size, ex.spec.size, 3), dtype=np.uint8)
    else:
        rows = (0.1 * rng.standard_normal((1, ex.units_per_row))).astype(np.float32)
    with torch.no_grad():
        out = np.asarray(ex.forward_rows(rows))
    if out.shape != (1, ex.dim):
        raise CheckpointError(f'{entry.name}: the forward pass gave shape {out.shape}, not (1, {ex.dim})')
    _finite(out, entry.name)
    return f'{ex.network} loaded strictly, forward {out.shape}'


def _check_pca(entry: WeightEntry, path: str, device: str) -> str:
    from highlight_plugin.features.pca import PCA
    pca = PCA.load(path)
    out = pca(np.zeros((1, pca.in_dim)))
    _finite(out, entry.name)
    return f'PCA {pca.in_dim} -> {pca.out_dim}, forward {out.shape}'


def _checkpoint_config(entry: WeightEntry) -> str:
    zoo = load_zoo()
    for model in sorted(zoo.models.values(), key=lambda m: m.name):
        if model.checkpoint == entry.name:
            return resolve_config(model.config, model.origin, model.name)
    if 'config' in entry.network:
        return resolve_config(str(entry.network['config']), entry.origin, entry.name)
    raise CheckpointError(f'{entry.name}: no model entry names it and it has no network.config to load it into')


def _umt_inputs(model, clips: int = 8) -> dict:
    """Random inputs of the model's feature sizes (a HighlightUMT: video, [audio], [query])."""
    torch.manual_seed(0)
    inputs = dict(video=torch.randn(1, clips, model.video_enc.input_proj.in_features),
                  video_mask=torch.ones(1, clips))
    if getattr(model, 'audio_enc', None) is not None:
        inputs['audio'] = torch.randn(1, clips, model.audio_enc.input_proj.in_features)
    if getattr(model, 'query_gen', None) is not None:
        inputs.update(query=torch.randn(1, 5, model.query_gen.proj.in_features), query_mask=torch.ones(1, 5))
    return inputs


def _check_checkpoint(entry: WeightEntry, path: str, device: str) -> str:
    from highlight_plugin.engine.checkpoint import check_state_dict, read_checkpoint
    from ..weights.umt import build_target_model
    config = _checkpoint_config(entry)
    model = build_target_model(config).eval()
    state = read_checkpoint(path).get('state_dict')
    if not isinstance(state, dict):
        raise CheckpointError(f'{path}: no state_dict')
    check_state_dict(model, state, path)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise CheckpointError(f'{path} does not match {Path(config).name}: missing {missing[:3]}, '
                              f'unexpected {unexpected[:3]}')
    if not hasattr(model, 'video_enc'):
        return f'{type(model).__name__} ({Path(config).name}) loaded strictly'
    with torch.no_grad():
        out = model(_umt_inputs(model), mode='tensor')
    for key, value in out.items():
        _finite(value, f'{entry.name} {key}')
    shape = tuple(out["saliency"].shape)
    return f"{type(model).__name__} ({Path(config).name}) loaded strictly, forward saliency {shape}"


def check_entry(name: str, device: str = 'cpu', progress: Optional[bool] = None) -> CheckResult:
    """Fetch, verify, convert, strict-load and run ``name`` once; a failure is a FAIL result, never raised."""
    try:
        zoo = load_zoo()
        if name not in zoo.weights:
            close = close_names(name, list(zoo.weights) + list(zoo.models))
            raise CheckpointError(f'no model or weight entry named {name!r} in the zoo (close: {", ".join(close)})')
        entry = get_weight(name)
        path = converted(name, progress)
        if entry.role is None:
            what = 'fetched and verified (an input of other entries)'
        elif entry.role == 'checkpoint':
            what = _check_checkpoint(entry, path, device)
        elif entry.role == 'pca':
            what = _check_pca(entry, path, device)
        else:
            what = _check_feature(entry, path, device)
        record = cached_record(path) or {}
        return CheckResult(name, True, f'{what}; {Path(path).name} sha256 {str(record.get("sha256"))[:16]}')
    except HighlightError as e:
        return CheckResult(name, False, ' '.join(str(e).split()))
    except Exception as e:  # noqa: BLE001 - a network that fails to load or run is this check's finding
        return CheckResult(name, False, f'{type(e).__name__}: {" ".join(str(e).split())[:300]}')
