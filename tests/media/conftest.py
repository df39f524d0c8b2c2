"""The media tests run their tiny networks on one torch thread."""
import pytest


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    """See tests/conftest.py."""
