"""tools/{dist,slurm}_{train,test}.sh forward their arguments to the launchers they wrap.

The launchers (``python -m torch.distributed.run``, ``srun``) are replaced by stand-ins on
PATH that print their command lines; tests/engine/test_distributed.py runs torchrun for real.
"""
import os
import subprocess

import pytest

TOOLS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), 'tools')


@pytest.fixture
def run_script(tmp_path):
    for name in ('python', 'srun'):
        stand_in = tmp_path / name
        stand_in.write_text(f'#!/bin/sh\necho "{name} $*"\n')
        stand_in.chmod(0o755)

    def run(script, *args, **env):
        env = {**{k: v for k, v in os.environ.items() if k not in ('PORT', 'NNODES')},
               'PATH': f"{tmp_path}:{os.environ['PATH']}", **env}
        proc = subprocess.run(['bash', os.path.join(TOOLS, script), *args], env=env,
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.split()
    return run


def test_dist_scripts(run_script):
    cmd = run_script('dist_train.sh', 'cfg.py', '2', '--seed', '1')
    assert cmd[:4] == ['python', '-m', 'torch.distributed.run', '--standalone']
    assert cmd[4:] == ['--nproc_per_node=2', os.path.join(TOOLS, 'train.py'), 'cfg.py',
                       '--launcher', 'pytorch', '--seed', '1']
    cmd = run_script('dist_test.sh', 'cfg.py', 'ck.pth', '3', '--dump', 'p.jsonl', PORT='29999')
    assert '--standalone' not in cmd and '--master_port=29999' in cmd and '--nnodes=1' in cmd
    assert cmd[-8:] == ['--nproc_per_node=3', os.path.join(TOOLS, 'test.py'), 'cfg.py', 'ck.pth',
                        '--launcher', 'pytorch', '--dump', 'p.jsonl']
    cmd = run_script('dist_train.sh', 'cfg.py', '2', NNODES='2', NODE_RANK='1',
                     MASTER_ADDR='10.0.0.1')
    assert {'--nnodes=2', '--node_rank=1', '--master_addr=10.0.0.1',
            '--master_port=29500'} <= set(cmd)


def test_slurm_scripts(run_script):
    cmd = run_script('slurm_train.sh', 'part', 'job', 'cfg.py', '--seed', '1', GPUS='2')
    assert cmd[:3] == ['srun', '-p', 'part'] and '--ntasks=2' in cmd
    assert cmd[cmd.index('python'):] == ['python', '-u', os.path.join(TOOLS, 'train.py'), 'cfg.py',
                                         '--launcher', 'slurm', '--seed', '1']
    cmd = run_script('slurm_test.sh', 'part', 'job', 'cfg.py', 'ck.pth', '--dump', 'p.pkl')
    assert '--job-name=job' in cmd and '--ntasks=8' in cmd
    assert cmd[cmd.index('python'):] == ['python', '-u', os.path.join(TOOLS, 'test.py'), 'cfg.py',
                                         'ck.pth', '--launcher', 'slurm', '--dump', 'p.pkl']
