import os

import pytest
from mmengine.registry import init_default_scope

import highlight_plugin  # noqa: F401  (registers the components)

os.environ.setdefault('OMP_NUM_THREADS', '2')
TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(TESTS_DIR)
QVH_DIR = os.path.join(TESTS_DIR, 'data', 'qvhighlights')


@pytest.fixture(autouse=True, scope='session')
def _mmaction_scope():
    init_default_scope('mmaction')
