"""``tools/train.py --amp``: mixed precision through mmengine's ``AmpOptimWrapper``, on the CPU too (bf16
autocast, no loss scaling: bf16 has fp32's range), fp16 or bf16 on a GPU. Here: training steps of the toy config
on the CPU, a resume of them, and the bad requests."""
import time

import pytest
import torch
from mmengine.optim import AmpOptimWrapper
from toy_components import CONFIG

from highlight_plugin.engine.errors import ConfigError
from highlight_plugin.engine.launch import build_runner, make_train_config

CUDA = torch.cuda.is_available()


def _amp_config(work_dir, amp=True, epochs=1):
    cfg = make_train_config(CONFIG, work_dir=str(work_dir), amp=amp,
                            cfg_options={'train_cfg.max_epochs': epochs, 'randomness.seed': 0})
    cfg.experiment_name = f'amp_{time.time_ns()}'
    return cfg


def test_amp_training_steps_autocast_and_resume(tmp_path):
    runner = build_runner(_amp_config(tmp_path))
    dtypes = []
    runner.model.mlp[0].register_forward_hook(lambda m, a, out: dtypes.append(out.dtype))
    before = {k: v.detach().cpu().clone() for k, v in runner.model.state_dict().items()}
    runner.train()
    assert isinstance(runner.optim_wrapper, AmpOptimWrapper)  # built by train()
    expected = torch.float16 if CUDA else torch.bfloat16
    assert dtypes and set(dtypes[:6]) == {expected}  # 6 training iterations autocast, then validation in fp32
    losses = runner.message_hub.get_scalar('train/loss').data[0]
    assert len(losses) == 6 and all(torch.isfinite(torch.tensor(losses)))
    after = runner.model.state_dict()
    assert all(v.dtype == torch.float32 for v in after.values())  # the weights stay fp32
    assert not torch.equal(before['mlp.0.weight'], after['mlp.0.weight'].cpu())
    time.sleep(1.1)
    cfg = _amp_config(tmp_path, epochs=2)
    cfg.resume = True
    resumed = build_runner(cfg)
    resumed.train()
    assert resumed.epoch == 2 and (tmp_path / 'epoch_2.pth').is_file()


@pytest.mark.skipif(CUDA, reason='the CPU refusals')
def test_fp16_autocast_on_the_cpu_is_refused(tmp_path):
    with pytest.raises(ConfigError, match='--amp fp16 needs a GPU'):
        make_train_config(CONFIG, work_dir=str(tmp_path), amp='fp16')
    cfg = make_train_config(CONFIG, work_dir=str(tmp_path), amp='bf16')
    assert cfg.optim_wrapper.dtype == 'bfloat16'


def test_amp_with_another_optim_wrapper_is_refused(tmp_path):
    with pytest.raises(ConfigError, match='--amp works with OptimWrapper'):
        make_train_config(CONFIG, work_dir=str(tmp_path), amp=True,
                          cfg_options={'optim_wrapper.type': 'ApexOptimWrapper'})
