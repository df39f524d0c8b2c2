import os
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer

from highlight_plugin.engine.checkpoint import (atomic_write, find_resumable_checkpoint, from_plain,
                                                load_checkpoint, read_checkpoint, save_checkpoint,
                                                to_plain)
from highlight_plugin.engine.errors import CheckpointError


class _Payload:
    """Unpickling this would create a marker file (it must never run)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, 'w'))


def test_plain_roundtrip_and_safe_globals(tmp_path):
    buf = HistoryBuffer()
    for v in (1.5, 2.5):
        buf.update(v)
    ckpt = dict(meta=dict(seed=np.int64(3), lr=np.float64(0.1), arr=np.arange(3, dtype=np.float32)),
                message_hub=dict(log_scalars=OrderedDict(loss=buf)),
                state_dict=OrderedDict(w=torch.ones(2)))
    path = str(tmp_path / 'c.pth')
    save_checkpoint(ckpt, path)
    assert torch.serialization.get_unsafe_globals_in_checkpoint(path) == []
    back = read_checkpoint(path)
    assert type(back['meta']['seed']) is int and back['meta']['seed'] == 3
    np.testing.assert_array_equal(back['meta']['arr'], np.arange(3, dtype=np.float32))
    restored = back['message_hub']['log_scalars']['loss']
    assert isinstance(restored, HistoryBuffer) and restored.mean() == 2.0
    assert restored.data[1].dtype == buf.data[1].dtype
    # from_plain(to_plain(x)) keeps a state_dict's _metadata
    sd = torch.nn.Linear(2, 2).state_dict()
    assert from_plain(to_plain(sd))._metadata == sd._metadata


def test_code_payload_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / 'pwned'
    path = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {}, 'x': _Payload(str(marker))}, path)
    with pytest.raises(CheckpointError, match=r'refusing to load .*\(io.open\)'):
        read_checkpoint(path)
    with pytest.raises(CheckpointError):
        load_checkpoint(torch.nn.Linear(2, 2), path)
    assert not marker.exists()


def test_missing_truncated_and_mismatching_checkpoints(tmp_path):
    with pytest.raises(CheckpointError, match='not found'):
        read_checkpoint(str(tmp_path / 'nope.pth'))
    path = str(tmp_path / 'ok.pth')
    save_checkpoint({'state_dict': torch.nn.Linear(4, 2).state_dict()}, path)
    trunc = str(tmp_path / 'trunc.pth')
    with open(path, 'rb') as f, open(trunc, 'wb') as g:
        g.write(f.read()[:200])
    with pytest.raises(CheckpointError, match='truncated'):
        read_checkpoint(trunc)
    with pytest.raises(CheckpointError, match=r"'weight' is \[2, 4\] in the checkpoint but \[3, 4\]"):
        load_checkpoint(torch.nn.Linear(4, 3), path)
    with pytest.raises(CheckpointError, match='shares no weight name'):
        load_checkpoint(torch.nn.Sequential(torch.nn.Linear(4, 2)), path)
    model = torch.nn.Linear(4, 2)
    load_checkpoint(model, path)


def test_atomic_write_keeps_old_file_when_saving_dies(tmp_path, monkeypatch):
    path = str(tmp_path / 'epoch_1.pth')
    save_checkpoint({'state_dict': {'w': torch.zeros(3)}}, path)
    before = Path(path).read_bytes()

    def dies_halfway(obj, f, *args, **kwargs):
        f.write(b'PK\x03\x04 half a checkpoint')
        raise KeyboardInterrupt  # e.g. Ctrl-C while writing

    monkeypatch.setattr(torch, 'save', dies_halfway)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint({'state_dict': {'w': torch.ones(3)}}, path)
    assert Path(path).read_bytes() == before
    assert os.listdir(tmp_path) == ['epoch_1.pth']  # no temporary left behind
    with pytest.raises(RuntimeError):
        with atomic_write(str(tmp_path / 'last_checkpoint'), 'w') as f:
            f.write('partial')
            raise RuntimeError
    assert not (tmp_path / 'last_checkpoint').exists()


def test_resume_ignores_stale_pointer_and_incomplete_files(tmp_path):
    for epoch in (1, 2):
        save_checkpoint({'state_dict': {}}, str(tmp_path / f'epoch_{epoch}.pth'))
    (tmp_path / 'epoch_3.pth').write_bytes(b'PK\x03\x04 truncated')
    (tmp_path / 'last_checkpoint').write_text('')  # e.g. killed while mmengine wrote it
    assert find_resumable_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_2.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_1.pth'))
    assert find_resumable_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_1.pth')
    assert find_resumable_checkpoint(str(tmp_path / 'empty')) is None
