"""The feature tests run their tiny networks on one torch thread; the parity tests run their networks on
``$HIGHLIGHT_TEST_DEVICE`` (default cpu; ``benchmarks/gpu_check.py`` runs them with cuda)."""
import os

import pytest


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    """See tests/conftest.py."""


@pytest.fixture(scope='session')
def feature_device():
    """The device the parity tests run the feature networks on."""
    import torch
    device = os.environ.get('HIGHLIGHT_TEST_DEVICE', 'cpu')
    if device.startswith('cuda') and not torch.cuda.is_available():
        pytest.skip(f'HIGHLIGHT_TEST_DEVICE={device} but no CUDA GPU is visible')
    return device
