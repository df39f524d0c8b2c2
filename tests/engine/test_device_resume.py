"""Resuming where mmengine asks for another device than the CPU: ``Runner.resume`` loads with
``map_location=get_device()`` ('cuda' on a GPU machine). Checkpoints and random states are read onto the CPU and
then placed (parameters into the model where it lives, optimizer state beside its parameters, random states into
their generators). The device is forced to 'meta' here: nothing on it can be read back, like a GPU's memory for
numpy."""
import time

import numpy as np
import pytest
import torch
from toy_components import final_weights, toy_cfg

from highlight_plugin.engine.checkpoint import from_plain, read_checkpoint, save_checkpoint, to_plain
from highlight_plugin.engine.launch import build_runner
from highlight_plugin.engine.rng import get_rng_state, set_rng_state
from tests.helpers.device import on_device

CRASH = dict(custom_hooks=[dict(type='CrashAtIterHook', iter=9)])


def _same(a, b):
    return all(torch.equal(a[k], b[k]) for k in a)


def test_resume_with_mmengine_asking_for_another_device(tmp_path, monkeypatch):
    build_runner(toy_cfg(tmp_path / 'reference')).train()
    with pytest.raises(RuntimeError, match='simulated crash'):
        build_runner(toy_cfg(tmp_path / 'run', **CRASH)).train()
    time.sleep(1.1)  # a new run directory
    runner = build_runner(toy_cfg(tmp_path / 'run', resume=True))  # the model is placed (on the CPU) here
    import mmengine.runner.runner as mm_runner
    monkeypatch.setattr(mm_runner, 'get_device', lambda: 'meta')  # what Runner.resume passes as map_location
    runner.train()
    assert _same(final_weights(tmp_path / 'reference'), final_weights(tmp_path / 'run'))


def test_read_checkpoint_reads_on_the_cpu_then_places(tmp_path):
    path = str(tmp_path / 'c.pth')
    save_checkpoint(dict(state_dict=dict(w=torch.arange(4.)), meta=dict(arr=np.arange(3, dtype=np.float32))), path)
    ckpt = read_checkpoint(path, map_location='meta')
    assert ckpt['state_dict']['w'].is_meta  # placed where asked
    np.testing.assert_array_equal(ckpt['meta']['arr'], np.arange(3, dtype=np.float32))  # numpy stays numpy
    assert read_checkpoint(path)['state_dict']['w'].tolist() == [0, 1, 2, 3]


def test_plain_arrays_and_random_states_from_device_tensors():
    tagged = to_plain(dict(arr=np.arange(5, dtype=np.int64)))
    tagged['arr']['data'] = on_device(tagged['arr']['data'])
    np.testing.assert_array_equal(from_plain(tagged)['arr'], np.arange(5))

    state = get_rng_state()
    expected = (np.random.rand(), torch.rand(3))
    kind, keys, *rest = state['numpy']
    state = dict(state, torch=on_device(state['torch']), numpy=[kind, on_device(keys), *rest])
    set_rng_state(state)
    got = (np.random.rand(), torch.rand(3))
    assert got[0] == expected[0] and torch.equal(got[1], expected[1])


def test_cuda_random_state_goes_to_this_process_gpu(monkeypatch):
    """A checkpoint holds the CUDA generator of the GPU that saved it; each process (one GPU per rank) restores it
    into its own GPU, also from an older checkpoint holding every GPU's (more GPUs than this machine has)."""
    restored = []
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'device_count', lambda: 1)
    monkeypatch.setattr(torch.cuda, 'current_device', lambda: 0)
    monkeypatch.setattr(torch.cuda, 'set_rng_state', lambda s, device='cuda': restored.append((s.device, device)))
    monkeypatch.setattr(torch.cuda, 'set_rng_state_all', lambda states: restored.extend(states))
    cuda_state = on_device(torch.zeros(16, dtype=torch.uint8))
    for saved in (cuda_state, [cuda_state, on_device(torch.ones(16, dtype=torch.uint8))]):
        restored.clear()
        set_rng_state(dict(get_rng_state(), cuda=saved))
        assert restored == [(torch.device('cpu'), 0)]
