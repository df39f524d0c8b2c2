"""Batches on GPUs: the tools pick the GPU by default and each rank its own one (mocked: no GPU here), and a CUDA
error that leaves the process's GPU unusable (or out of memory) stops an extraction or a catalogue with one line,
instead of failing every video after it."""
import importlib.util
import json
import shutil
from pathlib import Path

import pytest
import torch

from highlight_plugin.apis.catalogue import CatalogueItem, run_catalogue
from highlight_plugin.apis.extract_catalogue import collect_videos, run_extraction
from highlight_plugin.engine.errors import ConfigError, DeviceError
from highlight_plugin.features import CLIPExtractor, get_layout

REPO = Path(__file__).parents[2]
FILM = REPO / 'configs' / 'umt_hotstar.py'


def _tool(name):
    spec = importlib.util.spec_from_file_location(f'{name}_device_tool', REPO / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Stop(ConfigError):
    """Raised by the stand-ins below once they have seen the device."""


@pytest.fixture
def gpus(monkeypatch):
    """``gpus(n, **env)``: n visible (mocked) GPUs and a launcher environment."""
    for name in ('LOCAL_RANK', 'RANK', 'WORLD_SIZE', 'SLURM_LOCALID', 'SLURM_PROCID', 'SLURM_NTASKS'):
        monkeypatch.setenv(name, '')  # recorded: whatever the code sets is undone
        monkeypatch.delenv(name)

    def set_up(n, **env):
        monkeypatch.setattr(torch.cuda, 'is_available', lambda: n > 0)
        monkeypatch.setattr(torch.cuda, 'device_count', lambda: n)
        for key, value in env.items():
            monkeypatch.setenv(key, str(value))
    return set_up


@pytest.mark.parametrize('launcher, env, expected', [
    ('none', {}, 'cuda'),
    ('pytorch', dict(RANK=5, WORLD_SIZE=8, LOCAL_RANK=5), 'cuda:5'),
    ('slurm', dict(SLURM_PROCID=9, SLURM_NTASKS=16, SLURM_LOCALID=1), 'cuda:1'),
])
def test_extract_features_runs_each_rank_on_its_gpu(media_dir, tmp_path, gpus, monkeypatch, launcher, env, expected):
    gpus(8, **env)
    seen = []

    def build_extractors(layout, features, clip_len, device, *args, **kwargs):
        seen.append(device)
        raise _Stop('stop here')
    monkeypatch.setattr('highlight_plugin.features.builder.build_extractors', build_extractors)
    code = _tool('extract_features').main([str(media_dir / 'good.mp4'), '--out-dir', str(tmp_path), '--layout',
                                           'hotstar', '--random-init', '--launcher', launcher])
    assert code == 1 and seen == [expected]


@pytest.mark.parametrize('gpu_count, launcher, env, expected', [
    (4, 'none', {}, 'cuda'),
    (4, 'pytorch', dict(RANK=3, WORLD_SIZE=4, LOCAL_RANK=3), 'cuda:3'),
    (0, 'none', {}, 'cpu'),  # without a GPU the tools stay on the CPU
])
def test_make_highlights_runs_each_rank_on_its_gpu(media_dir, tmp_path, gpus, monkeypatch, gpu_count, launcher, env,
                                                   expected):
    gpus(gpu_count, **env)
    seen = []

    def init_model(config, checkpoint=None, device='cpu', **kwargs):
        seen.append(device)
        raise _Stop('stop here')
    monkeypatch.setattr('highlight_plugin.apis.predictor.init_model', init_model)
    with pytest.raises(_Stop):
        _tool('make_highlights').main([str(media_dir / 'good.mp4'), str(FILM), 'none', '--out-dir', str(tmp_path),
                                       '--features', str(tmp_path), '--launcher', launcher])
    assert seen == [expected]


@pytest.mark.parametrize('error, message', [
    (torch.AcceleratorError('CUDA error: an illegal memory access was encountered'), 'unusable'),
    (torch.OutOfMemoryError('CUDA out of memory. Tried to allocate 8.00 GiB'), 'out of GPU memory'),
])
def test_a_cuda_error_stops_the_extraction(media_dir, tmp_path, tiny_clip_model, monkeypatch, error, message):
    src = tmp_path / 'in'
    src.mkdir()
    for name in ('good.mp4', 'ramp.mkv', 'two_tracks.mkv'):
        shutil.copy(media_dir / name, src / name)
    ex = CLIPExtractor(1.0, model=tiny_clip_model)
    calls = []

    def broken(rows):
        calls.append(len(rows))
        raise error
    monkeypatch.setattr(ex, 'forward_rows', broken)
    out = tmp_path / 'out'
    with pytest.raises(DeviceError, match=message) as info:
        run_extraction(collect_videos([src]), out, get_layout('hotstar'), dict(clip=ex), progress=False)
    assert 'good.mp4' in str(info.value) and '\n' not in str(info.value)
    assert len(calls) == 1  # the other videos were not tried on the broken GPU
    failures = [json.loads(line) for line in (out / 'failures.jsonl').read_text().splitlines()]
    assert [f['type'] for f in failures] == ['DeviceError']


def test_a_cuda_error_stops_the_catalogue_but_not_a_bad_video(tmp_path):
    items = [CatalogueItem(name, f'films/{name}.mp4') for name in ('a', 'b', 'c', 'd')]
    tried = []

    def make(item, out_dir):
        tried.append(item.id)
        if item.id == 'a':
            raise RuntimeError('Invalid data found when processing input')  # one bad video: the batch goes on
        raise RuntimeError('CUDA error: device-side assert triggered')
    with pytest.raises(DeviceError, match='films/b.mp4: .*unusable'):
        run_catalogue(items, str(tmp_path), make, log=lambda line: None)
    assert tried == ['a', 'b']
    failures = [json.loads(line) for line in (tmp_path / 'failures.jsonl').read_text().splitlines()]
    assert [(f['id'], f['type']) for f in failures] == [('a', 'RuntimeError'), ('b', 'DeviceError')]
