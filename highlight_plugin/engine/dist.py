"""Distributed set-up: one GPU per rank, or gloo on machines without a GPU; the work shares of batch tools.

mmengine's ``init_dist`` calls ``torch.cuda.set_device`` for every launcher, which
raises on a CPU-only machine. :func:`init_cpu_dist` creates the gloo process
group from the launcher's environment instead; mmengine's runner then sees an
initialised group and skips its own ``init_dist``. :func:`init_gpu_dist` does the same on GPUs, each rank on
the GPU :func:`~.device.rank_device` gives it (mmengine's Slurm set-up takes ``SLURM_LOCALID`` as the GPU index
even where each task sees one GPU, and its MPI set-up leaves DDP's ``LOCAL_RANK`` at 0 on every rank).
"""
import datetime
import os
import subprocess

import torch
import torch.distributed as torch_dist

from .device import rank_device
from .errors import ConfigError

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
    ``WORLD_SIZE``; 'slurm' srun's ``SLURM_PROCID`` / ``SLURM_NTASKS`` (``tools/slurm_run.sh``), and in a job array
    (``sbatch --array=A-B[:S]``) the tasks of every array job share the work too."""
    if launcher == 'none':
        return 0, 1
    if launcher == 'pytorch':
        return int(os.environ.get('RANK', 0)), int(os.environ.get('WORLD_SIZE', 1))
    if launcher == 'slurm':
        index, count = _slurm_array()
        tasks = int(os.environ.get('SLURM_NTASKS', 1))
        return index * tasks + int(os.environ.get('SLURM_PROCID', 0)), count * tasks
    raise ValueError(f'unknown launcher {launcher!r}')


def _slurm_array():
    """``(index of this job in its Slurm job array, number of array jobs)``; ``(0, 1)`` outside an array."""
    task = os.environ.get('SLURM_ARRAY_TASK_ID')
    if task is None:
        return 0, 1
    env = {k: int(os.environ.get(f'SLURM_ARRAY_TASK_{k}', default)) for k, default in
           (('ID', task), ('MIN', task), ('MAX', task), ('STEP', 1), ('COUNT', 1))}
    index, rest = divmod(env['ID'] - env['MIN'], env['STEP'])
    if rest or (env['MAX'] - env['MIN']) // env['STEP'] + 1 != env['COUNT']:
        raise ConfigError(f'Slurm job array of {env["COUNT"]} tasks between {env["MIN"]} and {env["MAX"]}: not a '
                          f'range, so the tasks cannot share the videos; submit it as --array=0-{env["COUNT"] - 1}')
    return index, env['COUNT']


def _env_from_launcher(launcher: str) -> None:
    """torchrun's ``RANK`` / ``WORLD_SIZE`` / ``LOCAL_RANK`` / ``MASTER_*`` from Slurm's or MPI's variables."""
    if launcher == 'slurm':
        _env_from_slurm()
    elif launcher == 'mpi':
        _env_from_mpi()
    elif launcher != 'pytorch':
        raise ValueError(f'unknown launcher {launcher!r}')


def init_gpu_dist(launcher: str, backend: str = 'nccl', timeout: int = 1800, **_ignored) -> None:
    """Create the process group for ``launcher`` ('pytorch', 'slurm' or 'mpi') with each rank on its GPU
    (:func:`~.device.rank_device`); ``LOCAL_RANK`` (DDP's ``device_ids``) is set to that GPU's index. Other
    ``dist_cfg`` keys are ignored."""
    _env_from_launcher(launcher)
    device = torch.device(rank_device('cuda', launcher))
    index = 0 if device.index is None else device.index
    torch.cuda.set_device(f'cuda:{index}')
    os.environ['LOCAL_RANK'] = str(index)
    torch_dist.init_process_group(
        backend=backend, init_method='env://',
        rank=int(os.environ['RANK']), world_size=int(os.environ['WORLD_SIZE']),
        timeout=datetime.timedelta(seconds=timeout))


def init_cpu_dist(launcher: str, timeout: int = 1800, **_ignored) -> None:
    """Create a gloo process group for ``launcher`` ('pytorch', 'slurm' or 'mpi').

    ``pytorch`` reads torchrun's ``RANK``/``WORLD_SIZE``/``MASTER_ADDR``/
    ``MASTER_PORT``; slurm and mpi map their own variables onto those first.
    Other ``dist_cfg`` keys (e.g. ``backend='nccl'``) are ignored: gloo is the
    only CPU backend.
    """
    _env_from_launcher(launcher)
    torch_dist.init_process_group(
        backend='gloo', init_method='env://',
        rank=int(os.environ['RANK']), world_size=int(os.environ['WORLD_SIZE']),
        timeout=datetime.timedelta(seconds=timeout))
