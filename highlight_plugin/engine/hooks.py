"""Hooks that make a resumed run continue exactly like an uninterrupted one."""
from typing import Optional

from mmaction.registry import HOOKS
from mmengine.hooks import Hook

from .rng import get_rng_state, set_rng_state


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Save the training random state in checkpoints and restore it on resume.

    * ``before_save_checkpoint``: stores the python/numpy/torch generator states
      and the train sampler's seed under ``checkpoint['train_state']``.
    * ``after_load_checkpoint``: keeps them; ``before_train_epoch`` (the first
      epoch after resuming) restores them, after the runner has built and seeded
      everything, right before the data loader draws its base seed.
    * Validation during training is isolated: the generator states are snapshot
      before each validation epoch and restored after it, so checkpoints taken
      after validation, and whether/how often one validates, do not change the
      training trajectory.

    :class:`~highlight_plugin.engine.runner.HighlightRunner` adds this hook
    automatically. Priority ``VERY_HIGH`` puts the restore before every other
    hook, in particular before ``CheckpointHook`` re-saves after validation.
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._pending: Optional[dict] = None
        self._val_snapshot: Optional[dict] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        sampler = getattr(runner.train_dataloader, 'sampler', None)
        checkpoint['train_state'] = dict(
            rng=get_rng_state(), sampler_seed=getattr(sampler, 'seed', None))

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # only a resume continues the random stream; `load_from` starts afresh
        if getattr(runner, '_resume', False):
            self._pending = checkpoint.get('train_state')

    def before_train_epoch(self, runner) -> None:
        if self._pending is None:
            return
        state, self._pending = self._pending, None
        sampler = getattr(runner.train_dataloader, 'sampler', None)
        if state.get('sampler_seed') is not None and hasattr(sampler, 'seed'):
            sampler.seed = state['sampler_seed']
        if hasattr(sampler, 'set_epoch'):
            sampler.set_epoch(runner.epoch)
        set_rng_state(state['rng'])

    def before_val_epoch(self, runner) -> None:
        if self._in_training(runner):
            self._val_snapshot = get_rng_state()

    def after_val_epoch(self, runner, metrics=None) -> None:
        if self._val_snapshot is not None:
            set_rng_state(self._val_snapshot)
            self._val_snapshot = None

    @staticmethod
    def _in_training(runner) -> bool:
        loop = getattr(runner, '_train_loop', None)
        return loop is not None and not isinstance(loop, dict)
