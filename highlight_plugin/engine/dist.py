"""Distributed set-up that also works on machines without a GPU.

mmengine's ``init_dist`` calls ``torch.cuda.set_device`` for every launcher, which
raises on a CPU-only machine. :func:`init_cpu_dist` creates the gloo process
group from the launcher's environment instead; mmengine's runner then sees an
initialised group and skips its own ``init_dist``.
"""
import datetime
import os
import subprocess

import torch.distributed as torch_dist

#: wrapper config for DDP on CPU: no device ids, no buffer broadcast each step
CPU_DDP_WRAPPER = dict(type='MMDistributedDataParallel', device_ids=None, broadcast_buffers=False)


def _env_from_slurm() -> None:
    os.environ.setdefault('RANK', os.environ['SLURM_PROCID'])
    os.environ.setdefault('WORLD_SIZE', os.environ['SLURM_NTASKS'])
    os.environ.setdefault('LOCAL_RANK', os.environ.get('SLURM_LOCALID', '0'))
    if 'MASTER_ADDR' not in os.environ:
        nodes = os.environ['SLURM_NODELIST']
        os.environ['MASTER_ADDR'] = subprocess.getoutput(
            f'scontrol show hostname {nodes} | head -n1')
    os.environ.setdefault('MASTER_PORT', '29500')


def _env_from_mpi() -> None:
    os.environ.setdefault('RANK', os.environ['OMPI_COMM_WORLD_RANK'])
    os.environ.setdefault('WORLD_SIZE', os.environ['OMPI_COMM_WORLD_SIZE'])
    os.environ.setdefault('LOCAL_RANK', os.environ.get('OMPI_COMM_WORLD_LOCAL_RANK', '0'))
    os.environ.setdefault('MASTER_ADDR', '127.0.0.1')
    os.environ.setdefault('MASTER_PORT', '29500')


def launcher_shard(launcher: str):
    """``(rank, world size)`` of this process under ``launcher`` without a process group (work split by rank:
    ``extract_features``, ``make_highlights``): 'none' -> (0, 1); 'pytorch' reads torchrun's ``RANK`` /
    ``WORLD_SIZE``; 'slurm' srun's ``SLURM_PROCID`` / ``SLURM_NTASKS`` (``tools/slurm_run.sh``)."""
    if launcher == 'none':
        return 0, 1
    if launcher == 'pytorch':
        return int(os.environ.get('RANK', 0)), int(os.environ.get('WORLD_SIZE', 1))
    if launcher == 'slurm':
        return int(os.environ.get('SLURM_PROCID', 0)), int(os.environ.get('SLURM_NTASKS', 1))
    raise ValueError(f'unknown launcher {launcher!r}')


def init_cpu_dist(launcher: str, timeout: int = 1800, **_ignored) -> None:
    """Create a gloo process group for ``launcher`` ('pytorch', 'slurm' or 'mpi').

    ``pytorch`` reads torchrun's ``RANK``/``WORLD_SIZE``/``MASTER_ADDR``/
    ``MASTER_PORT``; slurm and mpi map their own variables onto those first.
    Other ``dist_cfg`` keys (e.g. ``backend='nccl'``) are ignored: gloo is the
    only CPU backend.
    """
    if launcher == 'slurm':
        _env_from_slurm()
    elif launcher == 'mpi':
        _env_from_mpi()
    elif launcher != 'pytorch':
        raise ValueError(f'unknown launcher {launcher!r}')
    torch_dist.init_process_group(
        backend='gloo', init_method='env://',
        rank=int(os.environ['RANK']), world_size=int(os.environ['WORLD_SIZE']),
        timeout=datetime.timedelta(seconds=timeout))
