"""CheckpointHook whose ``last_checkpoint`` pointer is written atomically."""
import os.path as osp

from mmaction.registry import HOOKS
from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from .checkpoint import atomic_write


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` (same arguments, ``save_best`` included) with
    an atomic ``last_checkpoint`` pointer.

    mmengine writes the pointer with a plain ``open(..., 'w')``; a kill at that
    moment leaves an empty pointer that ``--resume`` would trust. Here the pointer
    goes through :func:`~highlight_plugin.engine.checkpoint.atomic_write`; the
    checkpoint file itself is written atomically by
    :meth:`HighlightRunner.save_checkpoint`. Everything else (``max_keep_ckpts``
    housekeeping, ``save_best``, publishing) is mmengine's.
    """

    def _save_checkpoint_with_step(self, runner, step, meta):
        self._forget_outdated(step)
        if self.max_keep_ckpts > 0:  # saved inside the checkpoint, so update first
            runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))
        filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir, filename, self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta, by_epoch=self.by_epoch, backend_args=self.backend_args, **self.args)
        if is_main_process():
            with atomic_write(osp.join(runner.work_dir, 'last_checkpoint'), 'w') as f:
                f.write(self.last_ckpt)

    def _forget_outdated(self, step: int) -> None:
        """Track ``step`` among the kept checkpoints; delete the one that falls out."""
        if self.max_keep_ckpts <= 0 or (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            return
        if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
            dropped = self.keep_ckpt_ids.popleft()
            path = self.file_backend.join_path(self.out_dir, self.filename_tmpl.format(dropped))
            if is_main_process() and self.file_backend.isfile(path):
                self.file_backend.remove(path)
        self.keep_ckpt_ids.append(step)
