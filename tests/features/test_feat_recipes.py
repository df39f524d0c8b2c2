"""Recipes, provenance, the shared decoder and the published weight formats (tiny networks, fast)."""
import json
import pickle

import numpy as np
import pytest
import torch

from highlight_plugin.engine.errors import CheckpointError, ConfigError
from highlight_plugin.features import check_recipe, get_layout, read_provenance, write_provenance
from highlight_plugin.features.clip import build_clip, read_clip_weights, timm_to_open_clip
from highlight_plugin.features.slowfast import caffe2_to_mmaction, hero_frame_indices
from highlight_plugin.media.branches import hero_geometry, read_branches
from highlight_plugin.media.frames import read_frames
from highlight_plugin.media.specs import FrameSpec


def test_one_decode_feeds_several_samplings(media_dir):
    """read_branches gives each FrameSpec the frames of its own ffmpeg run."""
    path = str(media_dir / 'good.mp4')  # 5 s, 10 fps, 64x48
    specs = [FrameSpec(0.5, 32), FrameSpec(0.5, 32, sampling='hero'), FrameSpec(10, 32, sampling='hero_dense')]
    outs = read_branches(path, specs, [1, 1, 20])
    got = [[], [], []]
    for _ in range(50):  # in step, as the pipeline reads them
        for i, it in enumerate(outs):
            chunk = next(it, None)
            if chunk is not None:
                got[i].append(chunk)
    centre, hero, dense = (np.concatenate(g) for g in got)
    np.testing.assert_array_equal(centre, np.concatenate(list(read_frames(path, 0.5, 32))))
    assert len(hero) == 3 and len(dense) == 50  # HERO's fps filter also emits the frame at 5 s (round=near)
    np.testing.assert_array_equal(hero[0], dense[9])  # the frame before the centre at 1 s, not the one at 1 s
    assert hero_geometry(176, 100, 224) == (394, 224, 85, 0) and hero_geometry(100, 176, 224) == (224, 394, 0, 85)


def test_hero_slowfast_indices():
    fast, slow = hero_frame_indices(30)
    assert fast[0] == 0 and fast[-1] == 59 and len(fast) == 32  # linspace(0, 63, 32) clamped to 59
    assert slow.tolist() == [0, 4, 8, 13, 17, 22, 26, 31]
    fast25, _ = hero_frame_indices(25.0)
    assert fast25[-1] == 52  # a 25-fps source: only the first ~1.75 s of the clip


def test_recipes_per_layout(panns_model):
    from highlight_plugin.features.builder import build_extractors
    net = dict(panns=dict(model=panns_model))  # a built network is no recipe setting
    ex = build_extractors(get_layout('hotstar'), ['panns'], random_init=True, options=net)['panns']
    assert (ex.recipe, ex.spec.method, ex.drop_partial, ex.clip_len) == ('univtg_hotstar', 'librosa', True, 2.0)
    custom = build_extractors(get_layout('hotstar'), ['panns'], clip_len=1.0, random_init=True, options=net)['panns']
    assert custom.recipe == 'custom' and custom.provenance['recipe'] == 'custom'
    with pytest.raises(ConfigError, match='makes qvhighlights features'):
        build_extractors(get_layout('hotstar'), ['panns'], random_init=True, recipe='hero_qvhighlights', options=net)
    with pytest.raises(ConfigError, match='unknown feature recipe'):
        build_extractors(get_layout('hotstar'), ['panns'], random_init=True, recipe='nope', options=net)


def test_provenance_sidecar_and_check(tmp_path):
    f = tmp_path / 'clip_features' / 'a.npz'
    rec = dict(recipe='univtg_hotstar', network='ViT-B-32-quickgelu', clip_len=1.0, sampling='hero',
               dtype='float32', weights=dict(file='ViT-B-32.pt', sha256='ab'), version='0.1.0')
    write_provenance(f, 'clip', rec)
    assert read_provenance(f, 'clip') == rec and read_provenance(f, 'panns') is None
    assert check_recipe('univtg_hotstar', rec, f) is True
    assert check_recipe(None, rec, f) is False and check_recipe('univtg_hotstar', None, f) is False
    with pytest.raises(ConfigError, match=r"a.npz: .*recipe 'univtg_hotstar', but the model was trained on "
                                          r"'hero_qvhighlights'"):
        check_recipe('hero_qvhighlights', rec, f)
    other = dict(rec, weights=dict(file='x.bin', sha256='cd'))
    with pytest.raises(ConfigError, match='--overwrite'):  # never two weight files in one directory silently
        write_provenance(f, 'clip', other)
    write_provenance(f, 'clip', other, overwrite=True)
    assert json.loads((f.parent / 'provenance.json').read_text())['clip']['weights']['sha256'] == 'cd'


def test_openai_archive_always_quickgelu(tmp_path, tiny_clip_name, tiny_clip_model):
    """OpenAI's archive runs with QuickGELU even when a GELU model name is asked for; timm and open_clip files load."""
    state = {k: v for k, v in tiny_clip_model.state_dict().items() if k != 'attn_mask'}
    model = build_clip(tiny_clip_name, None)
    model.load_state_dict(state, strict=False)
    traced = torch.jit.trace_module(model, dict(encode_image=(torch.zeros(1, 3, 32, 32),)), check_trace=False)
    traced.save(str(tmp_path / 'tiny.pt'))
    loaded, fmt = read_clip_weights(str(tmp_path / 'tiny.pt'))
    assert fmt == 'openai-torchscript' and set(state) <= set(loaded)
    net = build_clip(tiny_clip_name, str(tmp_path / 'tiny.pt'))
    assert net.network_name == f'{tiny_clip_name}+quickgelu'
    assert type(net.visual.transformer.resblocks[0].mlp.gelu).__name__ == 'QuickGELU'
    torch.testing.assert_close(net.visual.conv1.weight, state['visual.conv1.weight'])
    # a timm image tower (vit_*_clip_*.openai naming) of the same weights
    v = {k[len('visual.'):]: t for k, t in state.items() if k.startswith('visual.')}
    timm = {'cls_token': v['class_embedding'][None, None], 'pos_embed': v['positional_embedding'][None],
            'patch_embed.proj.weight': v['conv1.weight'], 'norm_pre.weight': v['ln_pre.weight'],
            'norm_pre.bias': v['ln_pre.bias'], 'norm.weight': v['ln_post.weight'], 'norm.bias': v['ln_post.bias'],
            'head.weight': v['proj'].t()}
    for k, t in v.items():
        if k.startswith('transformer.resblocks.'):
            i, rest = k.split('.')[2], k.split('.', 3)[3]
            for a, b in (('ln_1', 'norm1'), ('ln_2', 'norm2'), ('attn.in_proj_weight', 'attn.qkv.weight'),
                         ('attn.in_proj_bias', 'attn.qkv.bias'), ('attn.out_proj', 'attn.proj'),
                         ('mlp.c_fc', 'mlp.fc1'), ('mlp.c_proj', 'mlp.fc2')):
                rest = rest.replace(a, b) if rest.startswith(a) else rest
            timm[f'blocks.{i}.{rest}'] = t
    assert {k: t.shape for k, t in timm_to_open_clip(timm).items()} == {f'visual.{k}': t.shape for k, t in v.items()}
    torch.save(timm, tmp_path / 'model.pth')
    img = build_clip(tiny_clip_name, str(tmp_path / 'model.pth'), image_only=True)
    torch.testing.assert_close(img.visual.proj, state['visual.proj'])
    with pytest.raises(CheckpointError, match='no text encoder'):
        build_clip(tiny_clip_name, str(tmp_path / 'model.pth'))
    # another architecture is an error, not a partial load
    torch.save({**state, 'visual.extra.weight': torch.zeros(1)}, tmp_path / 'extra.pth')
    with pytest.raises(CheckpointError, match='does not match.*unexpected'):
        build_clip(tiny_clip_name, str(tmp_path / 'extra.pth'))


def test_caffe2_names_and_refusals(tmp_path):
    from highlight_plugin.features.slowfast import caffe2_slowfast_state
    assert caffe2_to_mmaction('t_res4_5_branch2c_bn_subsample_bn_riv') == 'slow_path.layer3_lateral.bn.running_var'
    assert caffe2_to_mmaction('res3_0_branch2b_bn_s') == 'slow_path.layer2.0.conv2.bn.weight'
    assert caffe2_to_mmaction('t_res2_0_branch1_w') == 'fast_path.layer1.0.downsample.conv.weight'
    assert caffe2_to_mmaction('t_pool1_subsample_w') == 'slow_path.conv1_lateral.conv.weight'
    assert caffe2_to_mmaction('pred_w') is None and caffe2_to_mmaction('conv1_w_momentum') is None
    own = dict(**{'slow_path.conv1.conv.weight': torch.zeros(64, 3, 1, 7, 7)})
    with open(tmp_path / 'short.pkl', 'wb') as f:
        pickle.dump(dict(blobs=dict(conv1_w=np.zeros((64, 3, 1, 7, 7), np.float32))), f, protocol=2)
    assert caffe2_slowfast_state(str(tmp_path / 'short.pkl'), own)['slow_path.conv1.conv.weight'].shape[0] == 64
    with open(tmp_path / 'bad.pkl', 'wb') as f:
        pickle.dump(dict(blobs=dict(conv1_w=np.zeros((8, 3), np.float32))), f, protocol=2)
    with pytest.raises(CheckpointError, match='bad.pkl: blob conv1_w has shape'):
        caffe2_slowfast_state(str(tmp_path / 'bad.pkl'), own)
    with open(tmp_path / 'code.pkl', 'wb') as f:
        pickle.dump(dict(blobs=dict(conv1_w=torch.nn.ReLU())), f)
    with pytest.raises(CheckpointError, match='refusing to load'):
        caffe2_slowfast_state(str(tmp_path / 'code.pkl'), own)


def test_a_model_refuses_extractors_of_another_recipe(tmp_path):
    from types import SimpleNamespace

    from highlight_plugin.apis.base import extract_for_model
    clip = SimpleNamespace(provenance=dict(recipe='custom', extractor='clip', feature='clip'))
    cfg = dict(recipe='univtg_hotstar', layout='hotstar', video=('clip',))
    with pytest.raises(ConfigError, match="extractor 'clip': clip features of recipe 'custom', but the model was "
                                          "trained on 'univtg_hotstar'"):
        extract_for_model('film.mp4', dict(clip=clip), cfg, request=None)
