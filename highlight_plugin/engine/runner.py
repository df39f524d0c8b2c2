"""``HighlightRunner``: mmengine's Runner with safe, exact-resume checkpoints and CPU DDP.

Select it in a config with ``runner_type = 'HighlightRunner'``. Compared with
``mmengine.runner.Runner`` it changes exactly these points:

================================  ==========================================================
``load_checkpoint``               :func:`engine.checkpoint.read_checkpoint` (``weights_only``,
                                  one-line :class:`CheckpointError`) instead of mmengine's
                                  ``CheckpointLoader``; rejects shape mismatches; always reads
                                  onto the CPU (``resume`` asks for ``get_device()``).
                                  ``resume``, ``load_from`` and ``test`` all come through here.
``save_checkpoint``               writes a temporary file, then ``os.replace``-s it.
``call_hook``                     after all ``before_save_checkpoint`` hooks ran, converts
                                  the payload to plain values (:func:`to_plain`).
``load_or_resume``                auto-resume skips an empty/stale ``last_checkpoint`` pointer.
``setup_env`` / ``wrap_model``    each rank on its GPU (:func:`init_gpu_dist`); gloo process
                                  group and ``device_ids=None`` DDP without GPU.
``set_randomness``                deterministic mode sets ``CUBLAS_WORKSPACE_CONFIG`` first.
``build_dataloader``              resolves ``collate_fn`` types in mmaction's registry; gives
                                  each DataLoader its own generator (exact resume).
``register_hooks``                adds :class:`RandomStateHook` and :class:`SkippedSamplesHook`;
                                  upgrades ``CheckpointHook``
                                  to :class:`SafeCheckpointHook`.
================================  ==========================================================
"""
import os.path as osp

import torch
from mmaction.registry import RUNNERS
from mmengine.dist import is_distributed, master_only
from mmengine.runner import Runner

from .checkpoint import (existing_checkpoint, find_resumable_checkpoint, load_state_dict_checked, read_checkpoint,
                         to_plain)
from .compat import resolve_function
from .device import deterministic_env
from .dist import CPU_DDP_WRAPPER, init_cpu_dist, init_gpu_dist
from .errors import ConfigError
from .fileio import atomic_path


@RUNNERS.register_module()
class HighlightRunner(Runner):
    """mmengine ``Runner`` for this project (see the module docstring for the changes)."""

    # ---- distributed: one GPU per rank, or gloo without GPU ------------------------------
    def setup_env(self, env_cfg: dict) -> None:
        if self.distributed and not is_distributed():
            init = init_gpu_dist if torch.cuda.is_available() else init_cpu_dist
            init(self.launcher, **env_cfg.get('dist_cfg', {}))
        super().setup_env(env_cfg)

    def set_randomness(self, seed, diff_rank_seed: bool = False, deterministic: bool = False) -> None:
        if deterministic:
            deterministic_env()  # before the first cuBLAS call: the model is built after this
        super().set_randomness(seed, diff_rank_seed=diff_rank_seed, deterministic=deterministic)

    def wrap_model(self, model_wrapper_cfg, model):
        if self.distributed and not torch.cuda.is_available():
            model_wrapper_cfg = dict(model_wrapper_cfg or CPU_DDP_WRAPPER)
            model_wrapper_cfg.setdefault('device_ids', None)
            if 'find_unused_parameters' in self.cfg:
                model_wrapper_cfg.setdefault('find_unused_parameters',
                                             self.cfg.find_unused_parameters)
        return super().wrap_model(model_wrapper_cfg, model)

    # ---- data ------------------------------------------------------------------------
    @staticmethod
    def build_dataloader(dataloader, seed=None, diff_rank_seed=False):
        """mmengine's, with ``collate_fn`` types also found in mmaction's registry, and a
        DataLoader-own generator.

        Without its own ``generator`` a DataLoader draws its workers' base seed from the
        global torch generator whenever it creates an iterator: every epoch, or with
        ``persistent_workers`` only once per run. A resumed run would then draw once
        more than an uninterrupted one and its dropout masks would differ.
        """
        if not isinstance(dataloader, dict):
            return Runner.build_dataloader(dataloader, seed=seed, diff_rank_seed=diff_rank_seed)
        dataloader = dict(dataloader)
        collate = dataloader.get('collate_fn')
        if isinstance(collate, dict) and isinstance(collate.get('type'), str):
            fn = resolve_function(collate['type'])
            if fn is None:
                raise ConfigError(f"collate_fn type {collate['type']!r} is not a registered function")
            dataloader['collate_fn'] = dict(collate, type=fn)
        dataloader.setdefault('generator', torch.Generator().manual_seed(seed or 0))
        return Runner.build_dataloader(dataloader, seed=seed, diff_rank_seed=diff_rank_seed)

    # ---- hooks ------------------------------------------------------------------------
    def register_hooks(self, default_hooks=None, custom_hooks=None) -> None:
        default_hooks = dict(default_hooks or {})
        ckpt = default_hooks.get('checkpoint')
        if isinstance(ckpt, dict) and ckpt.get('type') in ('CheckpointHook', None):
            default_hooks['checkpoint'] = dict(ckpt, type='SafeCheckpointHook')
        custom_hooks = list(custom_hooks or [])
        for always in ('RandomStateHook', 'SkippedSamplesHook'):
            if not any(_hook_type(h) == always for h in custom_hooks):
                custom_hooks.append(dict(type=always))
        super().register_hooks(default_hooks, custom_hooks)

    def call_hook(self, fn_name: str, **kwargs) -> None:
        super().call_hook(fn_name, **kwargs)
        if fn_name == 'before_save_checkpoint':
            # last step before torch.save: whatever the hooks added becomes plain
            checkpoint = kwargs['checkpoint']
            plain = to_plain(checkpoint)
            checkpoint.clear()
            checkpoint.update(plain)

    # ---- checkpoints ------------------------------------------------------------------
    def load_checkpoint(self, filename: str, map_location='cpu', strict: bool = False,
                        revise_keys: list = [(r'^module\.', '')]) -> dict:
        """Load weights safely; raise :class:`CheckpointError` if they do not fit the model. ``filename`` may be
        a zoo name (a model's or a checkpoint entry's: fetched and converted once).

        The file is read onto the CPU whatever ``map_location`` says (``Runner.resume`` passes ``get_device()``):
        the weights are copied into the parameters where they live, the optimizer moves its state beside its
        parameters, and the random states must be CPU tensors."""
        filename = existing_checkpoint(filename)
        checkpoint = read_checkpoint(filename, map_location='cpu')
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        load_state_dict_checked(self.model, checkpoint, filename, strict, revise_keys)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    @master_only
    def save_checkpoint(self, out_dir: str, filename: str, *args, **kwargs) -> None:
        """Save through a temporary name and ``os.replace``: never a truncated file."""
        if '://' in str(out_dir):  # remote backends: no rename, keep mmengine's behaviour
            return super().save_checkpoint(out_dir, filename, *args, **kwargs)
        with atomic_path(osp.join(out_dir, filename)) as tmp:
            super().save_checkpoint(out_dir, osp.basename(tmp), *args, **kwargs)

    def load_or_resume(self) -> None:
        if not self._has_loaded and self._resume and self._load_from is None:
            found = find_resumable_checkpoint(self.work_dir)
            if found is None:
                self.logger.info(f'No complete checkpoint in {self.work_dir}: training from scratch.')
                self._resume = False
            else:
                self.logger.info(f'Auto-resuming from {found}.')
                self._load_from = found
        super().load_or_resume()


def _hook_type(hook) -> str:
    return hook.get('type') if isinstance(hook, dict) else type(hook).__name__
