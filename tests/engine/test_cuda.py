"""On a real GPU (marked ``cuda``: skipped without one; ``benchmarks/gpu_check.py`` runs them): the fp32 context keeps
cuDNN convolutions and CUDA products at fp32 accuracy, a rank's device exists, and the CUDA generator's state goes
through a checkpoint and back."""
import numpy as np
import pytest
import torch

from highlight_plugin.engine.checkpoint import read_checkpoint, save_checkpoint
from highlight_plugin.engine.device import fp32_context, rank_device
from highlight_plugin.engine.rng import get_rng_state, set_rng_state

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA GPU')]


def _relative_error(got, ref):
    return float((got.double().cpu() - ref).abs().max() / ref.abs().max())


def test_fp32_context_gives_fp32_accuracy():
    torch.manual_seed(0)
    x, w = torch.randn(4, 64, 56, 56), torch.randn(128, 64, 3, 3)
    a, b = torch.randn(512, 1024), torch.randn(1024, 512)
    conv_ref = torch.nn.functional.conv2d(x.double(), w.double(), padding=1)
    mm_ref = a.double() @ b.double()
    with fp32_context():
        conv = torch.nn.functional.conv2d(x.cuda(), w.cuda(), padding=1)
        mm = a.cuda() @ b.cuda()
    # TF32 (10-bit mantissas) leaves about 1e-3 here; fp32 kernels (Winograd included) stay under 1e-4
    assert _relative_error(conv, conv_ref) < 1e-4 and _relative_error(mm, mm_ref) < 1e-5


def test_rank_device_is_usable(monkeypatch):
    monkeypatch.setenv('LOCAL_RANK', str(torch.cuda.device_count() - 1))
    device = rank_device('cuda', 'pytorch')
    assert torch.ones(2, device=device).sum().item() == 2


def test_cuda_random_state_through_a_checkpoint(tmp_path):
    torch.cuda.init()
    state = get_rng_state()
    expected = torch.rand(8, device='cuda').cpu()
    save_checkpoint(dict(train_state=dict(rng=state)), str(tmp_path / 'c.pth'))
    loaded = read_checkpoint(str(tmp_path / 'c.pth'), map_location='cuda')  # as Runner.resume asks
    set_rng_state(loaded['train_state']['rng'])
    np.testing.assert_array_equal(torch.rand(8, device='cuda').cpu().numpy(), expected.numpy())
