import importlib.util
import json

import numpy as np
import pytest
from SoccerNet.Evaluation.ActionSpotting import evaluate as devkit_evaluate
from SoccerNet.Evaluation.utils import EVENT_DICTIONARY_V2

from highlight_plugin.engine import run_cli

from .synthetic import random_games


def load_tool():
    spec = importlib.util.spec_from_file_location('eval_spotting', 'tools/eval_spotting.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_equals_devkit_and_reports_errors(tmp_path, capsys):
    tool = load_tool()
    games = random_games(tmp_path / 'gt', tmp_path / 'pred', 2, np.random.default_rng(5), per_half=15)
    (tmp_path / 'split.txt').write_text(games[0] + '\n')
    tool.main([str(tmp_path / 'gt'), str(tmp_path / 'pred'), '--metric', 'tight', '--split-file',
               str(tmp_path / 'split.txt')])
    ours = json.loads(capsys.readouterr().out)
    # the devkit on the same single game
    (tmp_path / 'gt1' / games[0]).mkdir(parents=True)
    (tmp_path / 'gt1' / games[0] / 'Labels-v2.json').write_text((tmp_path / 'gt' / games[0] / 'Labels-v2.json')
                                                                .read_text())
    ref = devkit_evaluate(str(tmp_path / 'gt1'), str(tmp_path / 'pred'), dataset=None, version=2, metric='tight',
                          EVENT_DICTIONARY=EVENT_DICTIONARY_V2)
    assert ours['num_games'] == 1 and ref['a_mAP'] > 0
    assert ours['a_mAP'] == pytest.approx(ref['a_mAP'], abs=5e-5)
    np.testing.assert_allclose(ours['a_mAP_per_class'], ref['a_mAP_per_class'], atol=5e-5)

    with pytest.raises(SystemExit) as exit_info:
        run_cli(tool.main, [str(tmp_path / 'gt'), str(tmp_path / 'nothing')])
    assert exit_info.value.code == 2 and 'no results_spotting.json found' in capsys.readouterr().err
