"""One device per process: the GPU of each rank under torchrun, Slurm and MPI (a mocked device count: no GPU
here), the default device, the deterministic environment cuBLAS needs, and the CUDA errors that stop a batch."""
import os

import pytest
import torch

from highlight_plugin.engine.errors import ConfigError

LAUNCH_VARS = ('LOCAL_RANK', 'RANK', 'WORLD_SIZE', 'SLURM_LOCALID', 'SLURM_PROCID', 'SLURM_NTASKS',
               'SLURM_ARRAY_TASK_ID', 'SLURM_ARRAY_TASK_MIN', 'SLURM_ARRAY_TASK_MAX', 'SLURM_ARRAY_TASK_COUNT',
               'SLURM_ARRAY_TASK_STEP', 'OMPI_COMM_WORLD_LOCAL_RANK', 'OMPI_COMM_WORLD_RANK',
               'OMPI_COMM_WORLD_SIZE', 'CUDA_VISIBLE_DEVICES', 'CUBLAS_WORKSPACE_CONFIG', 'MASTER_ADDR', 'MASTER_PORT',
               'SLURM_NODELIST')


@pytest.fixture
def dev():
    from highlight_plugin.engine import device
    return device


@pytest.fixture
def env(monkeypatch):
    """A clean launcher environment; ``env(gpus=N, **vars)`` sets N visible GPUs and the variables."""
    for name in LAUNCH_VARS:
        monkeypatch.setenv(name, '')  # recorded: whatever the code sets is undone
        monkeypatch.delenv(name)

    def set_env(gpus=None, **variables):
        if gpus is not None:
            monkeypatch.setattr(torch.cuda, 'is_available', lambda: gpus > 0)
            monkeypatch.setattr(torch.cuda, 'device_count', lambda: gpus)
        for name, value in variables.items():
            monkeypatch.setenv(name, str(value))
    return set_env


def test_default_device_is_the_gpu_when_there_is_one(env, dev):
    env(gpus=0)
    assert dev.default_device() == 'cpu'
    env(gpus=2)
    assert dev.default_device() == 'cuda'


@pytest.mark.parametrize('launcher, variables, gpus, expected', [
    ('pytorch', dict(LOCAL_RANK=3, RANK=11, WORLD_SIZE=16), 8, 'cuda:3'),   # torchrun, 2 nodes x 8
    ('slurm', dict(SLURM_LOCALID=5, SLURM_PROCID=13, SLURM_NTASKS=16), 8, 'cuda:5'),  # srun, 8 tasks per node
    ('slurm', dict(SLURM_LOCALID=5, SLURM_PROCID=5, SLURM_NTASKS=8), 1, 'cuda:0'),  # srun --gpus-per-task=1
    ('mpi', dict(OMPI_COMM_WORLD_LOCAL_RANK=2, OMPI_COMM_WORLD_RANK=6), 4, 'cuda:2'),
    ('none', dict(LOCAL_RANK=3), 8, 'cuda'),  # no launcher: the process's (first visible) GPU
])
def test_each_rank_gets_its_gpu(env, dev, launcher, variables, gpus, expected):
    env(gpus=gpus, **variables)
    assert dev.rank_device('cuda', launcher) == expected
    assert dev.rank_device('cpu', launcher) == 'cpu'
    if gpus > 1:
        assert dev.rank_device('cuda:1', launcher) == 'cuda:1'  # an explicit GPU is kept


def test_more_processes_than_gpus_is_a_clear_error(env, dev):
    env(gpus=2, LOCAL_RANK=3)
    with pytest.raises(ConfigError, match=r'LOCAL_RANK=3 .* 2 GPUs'):
        dev.rank_device('cuda', 'pytorch')
    with pytest.raises(ConfigError, match=r'cuda:2: .* 2 GPUs'):
        dev.rank_device('cuda:2', 'none')
    env(gpus=0)
    with pytest.raises(ConfigError, match='no CUDA GPU'):
        dev.rank_device('cuda', 'none')


def test_mpi_ranks_train_on_their_own_gpu(env, tmp_path):
    """The mpi launcher: LOCAL_RANK (DDP's device_ids) comes from Open MPI's local rank, not 0 on every rank."""
    from toy_components import CONFIG

    from highlight_plugin.engine.launch import make_train_config
    env(OMPI_COMM_WORLD_LOCAL_RANK=3, OMPI_COMM_WORLD_RANK=7, OMPI_COMM_WORLD_SIZE=8)
    make_train_config(CONFIG, work_dir=str(tmp_path), launcher='mpi')
    assert os.environ['LOCAL_RANK'] == '3'
    os.environ.pop('LOCAL_RANK')
    env(SLURM_LOCALID=2, SLURM_PROCID=6, SLURM_NTASKS=8)
    make_train_config(CONFIG, work_dir=str(tmp_path), launcher='slurm')
    assert os.environ['LOCAL_RANK'] == '2'


def test_gpu_process_group_uses_each_rank_gpu(env, monkeypatch):
    from highlight_plugin.engine import dist
    calls = []
    monkeypatch.setattr(torch.cuda, 'set_device', lambda d: calls.append(('set_device', str(d))))
    monkeypatch.setattr(torch.distributed, 'init_process_group',
                        lambda **kw: calls.append(('group', kw['backend'], kw['rank'], kw['world_size'])))
    env(gpus=1, SLURM_LOCALID=3, SLURM_PROCID=3, SLURM_NTASKS=4, SLURM_NODELIST='node1', MASTER_ADDR='node1')
    dist.init_gpu_dist('slurm')
    assert calls == [('set_device', 'cuda:0'), ('group', 'nccl', 3, 4)] and os.environ['LOCAL_RANK'] == '0'
    calls.clear()
    env(gpus=4)
    dist.init_gpu_dist('slurm', backend='gloo')
    assert calls == [('set_device', 'cuda:3'), ('group', 'gloo', 3, 4)] and os.environ['LOCAL_RANK'] == '3'
    env(gpus=2)
    with pytest.raises(ConfigError, match='SLURM_LOCALID=3'):
        dist.init_gpu_dist('slurm')


def test_slurm_job_arrays_share_the_work(env):
    from highlight_plugin.engine.dist import launcher_shard
    env(SLURM_PROCID=1, SLURM_NTASKS=2)
    assert launcher_shard('slurm') == (1, 2)
    env(SLURM_ARRAY_TASK_ID=5, SLURM_ARRAY_TASK_MIN=1, SLURM_ARRAY_TASK_MAX=10, SLURM_ARRAY_TASK_COUNT=10)
    assert launcher_shard('slurm') == (9, 20)  # task 5 of --array=1-10, its 2nd srun task
    env(SLURM_ARRAY_TASK_ID=4, SLURM_ARRAY_TASK_MIN=0, SLURM_ARRAY_TASK_MAX=8, SLURM_ARRAY_TASK_COUNT=5,
        SLURM_ARRAY_TASK_STEP=2)
    assert launcher_shard('slurm') == (5, 10)  # --array=0-8:2
    env(SLURM_ARRAY_TASK_ID=3, SLURM_ARRAY_TASK_MIN=1, SLURM_ARRAY_TASK_MAX=7, SLURM_ARRAY_TASK_COUNT=3,
        SLURM_ARRAY_TASK_STEP=1)
    with pytest.raises(ConfigError, match='not a range'):
        launcher_shard('slurm')  # --array=1,3,7: not a range


def test_deterministic_training_sets_what_cublas_needs(env, tmp_path):
    from toy_components import toy_cfg

    from highlight_plugin.engine.launch import build_runner
    try:
        build_runner(toy_cfg(tmp_path, **{'randomness.deterministic': True, 'train_cfg.max_epochs': 1})).train()
        assert os.environ['CUBLAS_WORKSPACE_CONFIG'] in (':4096:8', ':16:8')
        assert torch.are_deterministic_algorithms_enabled()
    finally:
        torch.use_deterministic_algorithms(False)
        torch.backends.cudnn.deterministic = False
    from highlight_plugin.engine.device import deterministic_env
    env(CUBLAS_WORKSPACE_CONFIG=':16:8')
    deterministic_env()
    assert os.environ['CUBLAS_WORKSPACE_CONFIG'] == ':16:8'  # a valid setting of the user is kept
    env(CUBLAS_WORKSPACE_CONFIG=':4096:2')
    with pytest.warns(UserWarning, match='CUBLAS_WORKSPACE_CONFIG'):
        deterministic_env()
    assert os.environ['CUBLAS_WORKSPACE_CONFIG'] == ':4096:8'


@pytest.mark.parametrize('error, stops', [
    (torch.AcceleratorError('CUDA error: an illegal memory access was encountered'), 'unusable'),
    (RuntimeError('CUDA error: device-side assert triggered\nCompile with `TORCH_USE_CUDA_DSA`'), 'unusable'),
    (RuntimeError('CUDA error: CUBLAS_STATUS_EXECUTION_FAILED when calling `cublasSgemm( handle)`'), 'unusable'),
    (RuntimeError('cuDNN error: CUDNN_STATUS_INTERNAL_ERROR'), 'unusable'),
    (torch.OutOfMemoryError('CUDA out of memory. Tried to allocate 2.00 GiB'), 'out of GPU memory'),
    (RuntimeError('mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)'), None),
    (ValueError('CUDA error in a file name'), None),
])
def test_device_errors_are_told_apart(dev, error, stops):
    from highlight_plugin.engine.errors import DeviceError
    message = dev.device_failure(error)
    assert (message is None) == (stops is None)
    if stops:
        assert stops in message and '\n' not in message
        with pytest.raises(DeviceError, match=stops) as info:
            dev.stop_on_device_error(error, 'film.mp4')
        assert str(info.value).startswith('film.mp4: ') and info.value.__cause__ is error
    else:
        dev.stop_on_device_error(error, 'film.mp4')  # not a device failure: the caller records it and goes on
