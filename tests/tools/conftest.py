import importlib.util
import os
import sys

import pytest

TOOLS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'tools')
ENGINE_TESTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'engine')
if ENGINE_TESTS not in sys.path:  # the toy components of tests/engine
    sys.path.insert(0, ENGINE_TESTS)


def load_tool(name):
    """Import tools/<name>.py as a module (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f'tool_{name}', os.path.join(TOOLS, f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def cli(capsys):
    """cli('train', [...]) runs a tool in-process like its __main__; returns (exit code, stderr)."""
    from highlight_plugin.engine import run_cli

    def run(tool, argv):
        try:
            run_cli(load_tool(tool).main, argv)
            code = 0
        except SystemExit as exc:
            code = exc.code
        return code, capsys.readouterr().err
    return run
