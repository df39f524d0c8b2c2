"""The films recipes reproduce the reference pipelines (tests/data/films_parity, made once by
tests/fixtures/films_parity/make_reference.py with HERO / UniVTG / Moment-DETR / PySlowFast / panns_inference
code and random weights in the official file formats). The weights are rebuilt here from the fixture's seed
and written in those formats again: OpenAI's TorchScript archive (fp16), open_clip safetensors, PySlowFast's
Caffe2 pickle, the PANNs trainer's checkpoint with numpy side data. On ``$HIGHLIGHT_TEST_DEVICE`` (cuda:
``benchmarks/gpu_check.py``) the recipes run CLIP in fp16, as the references did on their GPUs: those rows are held to
fp16's tolerance, the fp32 networks (SlowFast, PANNs) to 1e-4."""
import hashlib
import importlib.util
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.helpers.device import FP16_TOLERANCE

ROOT = Path(__file__).parents[2]
DATA = ROOT / 'tests' / 'data' / 'films_parity'
VIDEO = DATA / 'film.mp4'


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


W = _load('films_parity_weights', ROOT / 'tests' / 'fixtures' / 'films_parity' / 'weights.py')


def close(got, ref, rtol=1e-4):
    """Rows equal to ``rtol`` of the reference's scale (shared decoding: only float order differs)."""
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, rtol=rtol, atol=rtol * float(np.abs(ref).max()))


@pytest.fixture(scope='module')
def ref():
    return dict(np.load(DATA / 'reference.npz')), json.loads((DATA / 'reference.json').read_text())


@pytest.fixture(scope='module')
def clip_files(tmp_path_factory):
    """OpenAI's ViT-B-32.pt format (a TorchScript archive: convert_weights' fp16 tensors, the sizes as tensors)
    and the Hugging Face open_clip_model.safetensors of the same weights."""
    import open_clip
    from safetensors.torch import save_file
    d = tmp_path_factory.mktemp('clip')
    model = open_clip.create_model('ViT-B-32-quickgelu').eval()
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items() if k != 'attn_mask'}
    state = {k: torch.from_numpy(v) for k, v in W.random_state(shapes).items()}
    model.load_state_dict(state, strict=False)
    for k, v in dict(input_resolution=224, context_length=77, vocab_size=49408).items():
        if k in vars(model):
            delattr(model, k)
        model.register_buffer(k, torch.tensor(v))
    traced = torch.jit.trace_module(model, dict(encode_image=(torch.zeros(1, 3, 224, 224),)), check_trace=False)
    with torch.no_grad():
        for name, p in traced.named_parameters():
            if W.openai_fp16(name):
                p.data = p.data.half()
    torch.jit.save(traced, str(d / 'ViT-B-32.pt'))
    save_file({k: (v.half() if W.openai_fp16(k) else v).contiguous() for k, v in state.items()},
              str(d / 'open_clip_model.safetensors'))
    return d / 'ViT-B-32.pt', d / 'open_clip_model.safetensors'


def clip_rtol(device, rtol=1e-4):
    """The recipes' CLIP runs in fp16 on CUDA (fp32 on the CPU)."""
    return rtol if device == 'cpu' else max(rtol, FP16_TOLERANCE)


def _tool(name):
    spec = importlib.util.spec_from_file_location(f'{name}_tool', ROOT / 'tools' / f'{name}.py')
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_hotstar_clip_from_openai_archive_and_safetensors(tmp_path, ref, clip_files, feature_device):
    """Must show: extract_features --layout hotstar with ViT-B-32.pt, and with open_clip_model.safetensors,
    gives the rows open_clip.load_openai_model gives on UniVTG's frames (1 fps)."""
    cli = _tool('extract_features')
    for ckpt in clip_files:
        out = tmp_path / ckpt.suffix[1:]
        assert cli.main([str(VIDEO), '--out-dir', str(out), '--layout', 'hotstar', '--features', 'clip',
                         '--clip-checkpoint', str(ckpt), '--no-progress', '--device', feature_device]) == 0
        rows = np.load(out / 'clip_features' / 'film.npz')['features']
        assert rows.dtype == np.float32
        close(rows, ref[0]['clip_hotstar'], clip_rtol(feature_device))
        prov = json.loads((out / 'clip_features' / 'provenance.json').read_text())['clip']
        assert prov['recipe'] == 'univtg_hotstar' and prov['network'] == 'ViT-B-32-quickgelu'
        assert prov['weights']['sha256'] == hashlib.sha256(ckpt.read_bytes()).hexdigest()


def test_qvhighlights_clip_and_text(tmp_path, ref, clip_files, feature_device):
    from highlight_plugin.apis.extract_catalogue import collect_videos, run_extraction, run_text_extraction
    from highlight_plugin.features import get_layout
    from highlight_plugin.features.builder import build_extractors, build_text_encoder
    layout = get_layout('qvhighlights')
    ex = build_extractors(layout, ['clip'], checkpoints=dict(clip=str(clip_files[0])), device=feature_device)
    assert ex['clip'].recipe == 'hero_qvhighlights' and ex['clip'].dtype == 'float16'
    run_extraction(collect_videos([VIDEO]), tmp_path, layout, ex, progress=False)
    rows = np.load(tmp_path / 'clip_features' / 'film.npz')['features']
    assert rows.dtype == np.float16  # HERO --half_precision 1
    close(rows.astype(np.float32), ref[0]['clip_qvhighlights'].astype(np.float16).astype(np.float32),
          rtol=clip_rtol(feature_device, 2e-3))
    # Moment-DETR's text features: 32 tokens at most, '!' (id 0) not counted, projected end-token pooler
    enc = build_text_encoder(layout, ex['clip'])
    queries = ref[1]['queries']
    run_text_extraction(list(enumerate(queries)), tmp_path, layout, enc)
    for i in range(len(queries)):
        got = np.load(tmp_path / 'clip_text_features' / f'qid{i}.npz')
        close(got['last_hidden_state'], ref[0][f'text{i}_last_hidden_state'], clip_rtol(feature_device))
        close(got['pooler_output'], ref[0][f'text{i}_pooler_output'], clip_rtol(feature_device))
    assert json.loads((tmp_path / 'clip_text_features' / 'provenance.json').read_text())['text']['recipe'] == \
        'hero_qvhighlights'


def _caffe2_pickle(path, meta):
    blobs = W.random_state({k: tuple(v) for k, v in meta['slowfast_blobs'].items()})
    blobs.update(model_iter=np.array([1000]), lr=np.array([0.1], np.float32),
                 pred_w=W.random_array('pred_w', (400, 2304)), pred_b=W.random_array('pred_b', (400,)))
    with open(path, 'wb') as f:
        pickle.dump(dict(blobs=blobs), f, protocol=2)  # PySlowFast's Caffe2 files are Python 2 pickles
    return path


def test_slowfast_8x8_from_caffe2(tmp_path, ref, feature_device):
    from highlight_plugin.apis.extract import extract
    from highlight_plugin.features import get_layout
    from highlight_plugin.features.builder import build_extractors
    pkl = _caffe2_pickle(tmp_path / 'SLOWFAST_8x8_R50.pkl', ref[1])
    _tool('convert_weights').main(['slowfast-caffe2', str(pkl), '--out', str(tmp_path / 'slowfast_8x8.safetensors')])
    torch.set_num_threads(2)
    ex = build_extractors(get_layout('qvhighlights'), ['slowfast'],
                          checkpoints=dict(slowfast=str(tmp_path / 'slowfast_8x8.safetensors')),
                          device=feature_device)['slowfast']
    assert ex.network == 'SlowFast R50 pyslowfast_8x8' and ex.dtype == 'float16'
    rows = extract(str(VIDEO), dict(slowfast=ex)).features['slowfast']
    close(rows, ref[0]['slowfast'])  # 3 rows for 5.5 s: HERO's padded last clip, ceil(duration / 2)


def test_panns_librosa_with_trainer_checkpoint(tmp_path, ref, feature_device):
    from highlight_plugin.apis.extract import extract
    from highlight_plugin.features import get_layout
    from highlight_plugin.features.builder import build_extractors
    from highlight_plugin.features.panns import build_cnn14
    shapes = {k: tuple(v.shape) for k, v in build_cnn14(None).state_dict().items()}
    state = {k: torch.from_numpy(v) for k, v in W.random_state(shapes).items()}
    sampler = dict(indexes=np.arange(10), random_state=np.random.RandomState(0).get_state(), queue=[3, 4])
    torch.save(dict(iteration=1000, model=state, sampler=sampler), tmp_path / 'Cnn14_mAP=0.431.pth')
    ex = build_extractors(get_layout('qvhighlights'), ['panns'],
                          checkpoints=dict(panns=str(tmp_path / 'Cnn14_mAP=0.431.pth')), device=feature_device)
    res = extract(str(VIDEO), ex, drop_partial=['panns'])
    close(res.features['panns'], ref[0]['panns'])  # 5.1 channel mean, soxr_hq, 2 whole windows of 5.5 s
