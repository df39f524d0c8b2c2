"""A tiny registered dataset, model, metric and hooks for the engine tests (CPU, < 1 s/epoch).

Imported by the engine/tool tests and, through ``custom_imports``, by the
training subprocesses they start (``tests/engine`` is put on ``PYTHONPATH``).
"""
import os
import signal

import numpy as np
import torch
from mmaction.registry import DATASETS, HOOKS, METRICS, MODELS
from mmaction.structures import ActionDataSample
from mmengine.evaluator import BaseMetric
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from torch.utils.data import Dataset

from highlight_plugin.engine.errors import DataError

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, 'toy_config.py')


@DATASETS.register_module()
class ToyHighlightDataset(Dataset):
    """Seeded random clip features; saliency = 1 where feature 0 is positive.

    ``bad_index`` raises a :class:`DataError` for that sample (bad-input tests).
    """

    def __init__(self, num_samples=24, dim=8, min_clips=5, max_clips=9, seed=0, bad_index=None,
                 data_root=None, test_mode=False):
        self.num_samples, self.dim, self.seed, self.bad_index = num_samples, dim, seed, bad_index
        self.lengths = np.random.default_rng(seed).integers(min_clips, max_clips + 1, num_samples)
        self.metainfo = dict(dataset_name='toy')

    def __len__(self):
        return self.num_samples

    def __getitem__(self, idx):
        if idx == self.bad_index:
            raise DataError(f'toy sample {idx}: features/toy_{idx}.npy is corrupt')
        rng = np.random.default_rng([self.seed, idx])
        video = torch.from_numpy(rng.standard_normal((int(self.lengths[idx]), self.dim)).astype(np.float32))
        sample = ActionDataSample()
        sample.set_metainfo(dict(sample_idx=idx, num_clips=len(video)))
        sample.gt_saliency = (video[:, 0] > 0).float()
        return dict(inputs=dict(video=video), data_samples=sample)


@MODELS.register_module()
class ToyHighlightModel(BaseModel):
    """Per-clip MLP scorer with dropout (so resume tests exercise the RNG state)."""

    def __init__(self, in_channels=8, hidden=16, dropout=0.2, data_preprocessor=None):
        super().__init__(data_preprocessor=data_preprocessor)
        self.mlp = torch.nn.Sequential(
            torch.nn.Linear(in_channels, hidden), torch.nn.ReLU(), torch.nn.Dropout(dropout),
            torch.nn.Linear(hidden, 1))

    def forward(self, inputs, data_samples=None, mode='tensor'):
        logits = self.mlp(inputs['video']).squeeze(-1)
        mask = inputs['video_mask']
        if mode == 'tensor':
            return logits
        if mode == 'loss':
            target = torch.zeros_like(logits)
            for i, ds in enumerate(data_samples):
                target[i, :len(ds.gt_saliency)] = ds.gt_saliency
            bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, target, reduction='none')
            # mean over each sample's clips, then over samples: DDP's average of per-rank
            # means then equals the one-process mean over the same total batch
            return dict(loss_saliency=((bce * mask).sum(1) / mask.sum(1)).mean())
        for i, ds in enumerate(data_samples):
            ds.pred_saliency = logits[i, :ds.num_clips].sigmoid()
        return data_samples


@METRICS.register_module()
class ToySaliencyMetric(BaseMetric):
    """Clip accuracy, plus the counts that show every sample was evaluated exactly once."""

    default_prefix = 'toy'

    def process(self, data_batch, data_samples):
        for ds in data_samples:
            pred = ds['pred_saliency'].cpu()
            self.results.append(dict(idx=ds['sample_idx'], pred=pred,
                                     correct=((pred > 0.5).float() == ds['gt_saliency'].cpu())))

    def compute_metrics(self, results):
        correct = torch.cat([r['correct'] for r in results])
        return dict(acc=float(correct.float().mean()), count=len(results),
                    unique=len({r['idx'] for r in results}),
                    idx_sum=sum(r['idx'] for r in results),
                    pred_sum=float(sum(r['pred'].double().sum() for r in results)))


@HOOKS.register_module()
class CrashAtIterHook(Hook):
    """Simulate a crash after ``iter`` training iterations: raise, or SIGKILL the process."""

    def __init__(self, iter, kill=False):
        self.iter, self.kill = iter, kill

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.iter + 1 == self.iter:
            if self.kill:
                os.kill(os.getpid(), signal.SIGKILL)
            raise RuntimeError(f'simulated crash after iteration {self.iter}')


def toy_cfg(work_dir, **options):
    """The toy config with ``options`` (``--cfg-options`` style keys) and a fresh experiment name."""
    import uuid

    from mmengine.config import Config
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict(options)
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'toy_{uuid.uuid4().hex[:8]}'  # mmengine singletons are keyed by it
    return cfg


def final_weights(work_dir, epoch=3):
    """The model weights of ``epoch_<epoch>.pth`` in ``work_dir``."""
    return torch.load(os.path.join(str(work_dir), f'epoch_{epoch}.pth'), weights_only=True)['state_dict']


def val_metrics(work_dir):
    """Validation metric lines (dicts) of the newest run in ``work_dir``."""
    import glob
    import json
    runs = sorted(glob.glob(os.path.join(str(work_dir), '2*', 'vis_data', 'scalars.json')))
    with open(runs[-1]) as f:
        return [d for d in map(json.loads, f) if 'toy/acc' in d]
