import pytest
import torch


@pytest.fixture(autouse=True)
def single_thread():
    """These models are tiny: one intra-op thread avoids OpenMP spin-waiting on a busy 2-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
