import io

import pytest

from highlight_plugin.engine.progress import StageProgress


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_stages_share_one_bar_with_an_eta():
    out = _Terminal()
    with StageProgress(dict(extract=8, score=1, cut=1), file=out, desc='film.mp4') as progress:
        with progress.stage('extract', total=4) as update:
            for _ in range(4):
                update(1)
            assert progress.bar.n == 800
        with progress.stage('score'):
            pass
        assert progress.bar.n == 900
        with progress.stage('cut', total=10) as update:
            update(100)  # more than announced: capped at the stage's share
    text = out.getvalue()
    assert progress.bar.n == 1000 and 'film.mp4: extract' in text and 'film.mp4: cut' in text and '100%' in text
    assert '<' in text  # elapsed<remaining


def test_quiet_when_not_a_terminal_and_checks_its_stages():
    out = io.StringIO()
    progress = StageProgress(dict(a=1, b=1), file=out)
    with progress.stage('a', total=2) as update:
        update(2)
    progress.close()
    assert out.getvalue() == ''
    with pytest.raises(KeyError):
        with progress.stage('c'):
            pass
    with pytest.raises(ValueError):
        StageProgress({})
