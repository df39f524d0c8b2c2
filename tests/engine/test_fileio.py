"""The shared JSON-lines reader (datasets, feature extraction and the standalone evaluator)."""
import pytest

from highlight_plugin.engine.errors import DataError
from highlight_plugin.engine.fileio import read_jsonl


def test_read_jsonl_line_numbers_and_errors(tmp_path):
    path = tmp_path / 'a.jsonl'
    path.write_text('{"qid": 1}\n\n{"qid": 2}\n')
    assert read_jsonl(str(path)) == [(1, {'qid': 1}), (3, {'qid': 2})]
    with pytest.raises(DataError, match=r'a.jsonl:2: not valid JSON'):
        read_jsonl(str(path), skip_blank=False)  # strict: record i stands on line i + 1
    path.write_text('{"qid": 1}\n[1, 2]\n')
    with pytest.raises(DataError, match=r'a.jsonl:2: expected a JSON object'):
        read_jsonl(str(path))
    with pytest.raises(DataError, match='file not found: .*missing.jsonl'):
        read_jsonl(str(tmp_path / 'missing.jsonl'))
