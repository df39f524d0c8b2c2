"""Devices: the default one, one GPU per rank, full fp32 for the feature networks, deterministic cuBLAS, and the
CUDA errors after which a process's GPU is no use.

* :func:`default_device`: 'cuda' when a GPU is visible, else 'cpu' (every tool's ``--device`` default).
* :func:`rank_device`: 'cuda' becomes ``cuda:<local rank>`` under torchrun (``LOCAL_RANK``), Slurm
  (``SLURM_LOCALID``) and MPI (Open MPI / MVAPICH / Intel MPI local ranks), checked against the visible GPUs.
* :func:`fp32_context`: TF32 off for cuDNN (convolutions, RNNs) and CUDA matrix products while a feature network
  runs, so CUDA rows stay within 1e-4 of the fp32 parity fixtures (Ampere and later default cuDNN to TF32).
* :func:`deterministic_env`: ``CUBLAS_WORKSPACE_CONFIG``, without which ``torch.use_deterministic_algorithms``
  raises at the first cuBLAS product.
* :func:`device_failure` / :func:`device_error`: a batch loop that records a bad video and goes on must
  stop instead on a CUDA error (an illegal access or a device-side assert leaves the CUDA context unusable: every
  later video would fail too) or on running out of GPU memory (the next video needs as much).
"""
import contextlib
import os
import re
import warnings
from typing import Optional, Tuple

import torch

from .errors import ConfigError, DeviceError

#: where each launcher puts a process's rank on its node ('pytorch': torchrun; 'mpi': Open MPI, MVAPICH2,
#: Intel MPI / MPICH hydra)
LOCAL_RANK_VARS = dict(
    pytorch=('LOCAL_RANK', ),
    slurm=('SLURM_LOCALID', 'LOCAL_RANK'),
    mpi=('OMPI_COMM_WORLD_LOCAL_RANK', 'MV2_COMM_WORLD_LOCAL_RANK', 'MPI_LOCALRANKID', 'LOCAL_RANK'))
#: the two workspace sizes with which cuBLAS is deterministic (CUDA >= 10.2)
CUBLAS_DETERMINISTIC = (':4096:8', ':16:8')
# messages of the CUDA runtime, cuBLAS, cuDNN and NCCL failures torch raises as RuntimeError
_CUDA_FAILURE = re.compile(r'CUDA error|CUBLAS_STATUS_|CUDNN_STATUS_|cuDNN error|NCCL error|device-side assert|'
                           r'illegal memory access|unspecified launch failure')


def default_device() -> str:
    """'cuda' when torch sees a GPU, else 'cpu'."""
    return 'cuda' if torch.cuda.is_available() else 'cpu'


def local_rank(launcher: Optional[str] = None) -> Optional[Tuple[int, str]]:
    """``(rank of this process on its node, variable it came from)`` under ``launcher`` ('pytorch', 'slurm',
    'mpi'; None: any of them), or None outside a launcher."""
    names = LOCAL_RANK_VARS.get(launcher, ()) if launcher else sum(LOCAL_RANK_VARS.values(), ())
    for name in names:
        value = os.environ.get(name, '').strip()
        if value:
            try:
                return int(value), name
            except ValueError:
                raise ConfigError(f'{name}={value!r} is not a process rank (an integer)') from None
    return None


def rank_device(device: str, launcher: Optional[str] = 'pytorch') -> str:
    """The device this process uses for ``device`` under ``launcher`` ('none': no launcher).

    'cpu' stays 'cpu' and an explicit ``cuda:N`` is kept (checked to exist). 'cuda' becomes ``cuda:<local rank>``,
    the way ``tools/dist_train.sh`` / ``tools/slurm_run.sh`` start one process per GPU; a process that sees a
    single GPU uses it whatever its rank (Slurm's ``--gpus-per-task=1`` or ``CUDA_VISIBLE_DEVICES`` per process).

    Raises:
        ConfigError: no GPU visible, or a local rank / index beyond the visible GPUs.
    """
    dev = torch.device(device)
    if dev.type != 'cuda':
        return str(dev)
    visible = os.environ.get('CUDA_VISIBLE_DEVICES')
    seen = f' (CUDA_VISIBLE_DEVICES={visible})' if visible is not None else ''
    if not torch.cuda.is_available():
        raise ConfigError(f'--device {device}: no CUDA GPU is visible{seen}; use --device cpu')
    count = torch.cuda.device_count()
    gpus = f'{count} GPU' + ('s' if count != 1 else '')
    if dev.index is not None:
        if dev.index >= count:
            raise ConfigError(f'--device {device}: this process sees {gpus}{seen} (cuda:0 to cuda:{count - 1})')
        return str(dev)
    found = local_rank(launcher) if launcher not in (None, 'none') else None
    if found is None:
        return 'cuda'
    rank, name = found
    if rank < count:
        return f'cuda:{rank}'
    if count == 1:
        return 'cuda:0'
    raise ConfigError(f'{name}={rank} but this process sees {gpus}{seen}: start at most {count} processes '
                      f'per node (one per GPU), or give each process its own GPU')


@contextlib.contextmanager
def fp32_context():
    """Full fp32 inside: TF32 off for cuDNN convolutions and RNNs and for CUDA matrix products (and oneDNN's
    reduced precision on the CPU); the process's settings are restored on exit. Also a decorator
    (``@fp32_context()``). fp16/bf16 tensors are unaffected: this only stops fp32 from being rounded to TF32."""
    knobs = [torch.backends.cuda.matmul, torch.backends.cudnn.conv, torch.backends.cudnn.rnn]
    if all(hasattr(k, 'fp32_precision') for k in knobs):  # torch >= 2.9: the legacy flags must not be mixed in
        knobs += [getattr(torch.backends.mkldnn, n) for n in ('matmul', 'conv', 'rnn')
                  if hasattr(getattr(torch.backends.mkldnn, n, None), 'fp32_precision')]
        saved = [k.fp32_precision for k in knobs]
        try:
            for k in knobs:
                k.fp32_precision = 'ieee'
            yield
        finally:
            for k, value in zip(knobs, saved):
                k.fp32_precision = value
        return
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    try:
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def deterministic_env() -> None:
    """Set ``CUBLAS_WORKSPACE_CONFIG`` for deterministic cuBLAS (kept when it holds one of the two deterministic
    sizes). cuBLAS reads it when it starts: call this before the first CUDA product of the process."""
    value = os.environ.get('CUBLAS_WORKSPACE_CONFIG')
    if value in CUBLAS_DETERMINISTIC:
        return
    if value is not None:
        warnings.warn(f'CUBLAS_WORKSPACE_CONFIG={value} is not deterministic; using {CUBLAS_DETERMINISTIC[0]}')
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        warnings.warn('deterministic mode set after CUDA started: cuBLAS may keep its former workspace')
    os.environ['CUBLAS_WORKSPACE_CONFIG'] = CUBLAS_DETERMINISTIC[0]


def device_failure(error: BaseException) -> Optional[str]:
    """Why ``error`` leaves this process unable to go on on its GPU (one line), or None for any other error."""
    if isinstance(error, torch.OutOfMemoryError):
        first = str(error).strip().splitlines()[0] if str(error).strip() else 'out of memory'
        what = '. '.join(first.split('. ')[:2]).rstrip('.')
        return (f'out of GPU memory ({what}): free the GPU, or run smaller batches (--batch-size where the tool has '
                f'it); the batch stops here (a rerun skips what is finished)')
    accelerator = getattr(torch, 'AcceleratorError', ())
    if isinstance(error, accelerator) or (isinstance(error, RuntimeError) and _CUDA_FAILURE.search(str(error))):
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return (f'{first}: the GPU is unusable in this process; the batch stops here (a rerun skips what is '
                f'finished; CUDA_LAUNCH_BLOCKING=1 names the failing operation)')
    return None


def device_error(error: BaseException, where: str) -> Optional[DeviceError]:
    """A :class:`DeviceError` ``'<where>: <why>'`` when ``error`` is a device failure, else None: a batch loop
    records it as the item's failure, then raises it instead of going on."""
    why = device_failure(error)
    return None if why is None else DeviceError(f'{where}: {why}')


def stop_on_device_error(error: BaseException, where: str) -> None:
    """Raise :func:`device_error`'s error (from ``error``) when ``error`` is a device failure."""
    stop = device_error(error, where)
    if stop is not None:
        raise stop from error
