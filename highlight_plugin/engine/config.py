"""Config checks the tools run before building a runner.

* :func:`check_cfg_options` rejects a ``--cfg-options`` key that does not exist
  (mmengine's ``merge_from_dict`` silently adds it, so a typo trains with the
  default). A new key is accepted only where it is a known argument: of the
  registered class named by the dict's ``type``, of a runner-level dict
  (dataloaders, loops, randomness, ...), or of the runner itself.
* :func:`check_data_roots` names a missing ``data_root`` before anything is built.
"""
import difflib
import inspect
import os.path as osp
from typing import Callable, Iterable, Optional

from mmengine.config import Config

from .errors import ConfigError


def _params(fn: Callable) -> Optional[set]:
    """Keyword names ``fn`` accepts, or None when it takes ``**kwargs`` (anything goes)."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
        return None
    return {name for name in sig.parameters if name not in ('self', 'cls')}


def _registered(type_name) -> Optional[Callable]:
    """The class/function a config ``type`` names, searched in mmaction's registries."""
    if not isinstance(type_name, str):
        return type_name if callable(type_name) else None
    import mmaction.registry as reg
    for name in dir(reg):
        registry = getattr(reg, name)
        if name.isupper() and hasattr(registry, 'get'):
            try:
                found = registry.get(type_name)
            except Exception:  # noqa: BLE001 - a registry that cannot resolve the scope
                found = None
            if found is not None:
                return found
    return None


def _untyped_params(top: str, node: dict) -> Optional[set]:
    """Keys accepted by the runner-level dicts that carry no ``type``."""
    from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop, Runner, TestLoop, ValLoop
    from torch.utils.data import DataLoader

    def of(fn):
        return _params(fn) or set()

    table = {
        'train_dataloader': of(DataLoader), 'val_dataloader': of(DataLoader),
        'test_dataloader': of(DataLoader),
        'train_cfg': of(EpochBasedTrainLoop if node.get('by_epoch', True) else IterBasedTrainLoop)
        | {'by_epoch'},
        'val_cfg': of(ValLoop), 'test_cfg': of(TestLoop),
        'randomness': of(Runner.set_randomness),
        'env_cfg': {'cudnn_benchmark', 'mp_cfg', 'dist_cfg', 'resource_limit'},
        'auto_scale_lr': {'enable', 'base_batch_size'},
    }
    params = table.get(top)
    return None if params is None else params - {'dataloader', 'runner', 'evaluator'}


_RUNNER_KEYS = {'runner_type', 'custom_imports', 'default_scope', 'gpu_ids', 'sync_bn',
                'find_unused_parameters', 'compile', 'activation_checkpointing',
                'efficient_conv_bn_eval', 'launcher', 'load_from', 'resume'}


def check_cfg_options(cfg: Config, options: dict) -> None:
    """Raise :class:`ConfigError` for an option key that names nothing in ``cfg``."""
    from mmengine.runner import Runner
    top_level = (_params(Runner.__init__) or set()) | _RUNNER_KEYS
    for full_key in options:
        node, path = cfg._cfg_dict, []
        for part in full_key.split('.'):
            where = '.'.join(path) or 'the config'
            if isinstance(node, (list, tuple)):
                if not (part.isdigit() and int(part) < len(node)):
                    raise ConfigError(f'--cfg-options {full_key}: {where} is a list of '
                                      f'{len(node)} items; {part!r} is not an index in it')
                node = node[int(part)]
            elif isinstance(node, dict):
                if part not in node:
                    _check_new_key(full_key, part, node, path, top_level)
                    break
                node = node[part]
            else:
                raise ConfigError(f'--cfg-options {full_key}: {where} is a '
                                  f'{type(node).__name__} value, not a dict')
            path.append(part)


def _check_new_key(full_key: str, key: str, node: dict, path: list, top_level: set) -> None:
    if not path:
        accepted, owner = top_level, 'the runner'
    elif 'type' in node:
        target = _registered(node['type'])
        if target is None:
            return  # unknown type: the build will report it
        accepted = _params(target.__init__ if inspect.isclass(target) else target)
        owner = f"{'.'.join(path)} ({getattr(target, '__name__', node['type'])})"
    else:
        accepted, owner = _untyped_params(path[0], node) if len(path) == 1 else None, '.'.join(path)
    if accepted is None or key in accepted:
        return
    close = difflib.get_close_matches(key, sorted(set(accepted) | set(node)), n=3)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ''
    raise ConfigError(f'unknown --cfg-options key {full_key!r}: {owner} has no option {key!r}{hint}')


def check_data_roots(cfg: Config, loaders: Iterable[str]) -> None:
    """Raise :class:`ConfigError` when a dataloader's ``dataset.data_root`` is missing."""
    for name in loaders:
        loader = cfg.get(name)
        dataset = loader.get('dataset') if isinstance(loader, dict) else None
        root = dataset.get('data_root') if isinstance(dataset, dict) else None
        if isinstance(root, str) and root and '://' not in root and not osp.isdir(root):
            raise ConfigError(f'{name}.dataset.data_root: directory not found: {root} '
                              '(prepare the data, or pass --cfg-options '
                              f'{name}.dataset.data_root=DIR)')


def default_work_dir(config_path: str) -> str:
    """``./work_dirs/<config name>``, mmaction2's default."""
    return osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])
