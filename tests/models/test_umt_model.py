"""HighlightUMT: configs, parameter counts, variants in loss/predict mode, error handling."""
import copy
import os

import pytest
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.config import Config

from highlight_plugin.engine.errors import ConfigError, DataError
from highlight_plugin.models.fusion.base import BaseFusion
from highlight_plugin.models.umt.dropout import (drop_positions, dropout, relu_zero_dropped,
                                                 zero_dropped)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BASE = os.path.join(REPO, 'configs', '_base_', 'models', 'umt_base.py')
SMALL = os.path.join(REPO, 'configs', '_base_', 'models', 'umt_small.py')


def model_cfg(path=BASE, **overrides):
    cfg = Config.fromfile(path).model.to_dict()
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(cfg.get(key), dict):
            cfg[key].update(value)
        else:
            cfg[key] = value
    return cfg


def count(cfg):
    with torch.device('meta'):  # no memory, no init cost
        return sum(p.numel() for p in MODELS.build(cfg).parameters())


SALIENCY_ONLY = dict(boundary_head=None, saliency_head=dict(loss_weight=1.0))
BOUNDARY_ONLY = dict(saliency_head=None, boundary_head=dict(unit=1 / 6, window_loss_weight=0.05,
                                                          offset_loss_weight=0.5))


@pytest.mark.parametrize('path,overrides,expected', [
    (BASE, {}, 14_890_244),  # QVHighlights UMT-B
    (SMALL, {}, 14_890_244 - 2 * 1_053_440),  # UMT-S: one decoder layer
    (BASE, dict(video_enc=dict(in_channels=512), query_gen=None, query_dec=None,
                **SALIENCY_ONLY), 8_184_065),  # Hotstar fork
    (SMALL, dict(video_enc=dict(in_channels=2048), query_gen=None, **SALIENCY_ONLY),
     12_191_233),  # YouTube UMT-S, no query (decoder kept)
    (SMALL, dict(video_enc=dict(in_channels=2048), **SALIENCY_ONLY), 12_585_985),  # TVSum
    (BASE, dict(video_enc=dict(in_channels=4096), query_gen=dict(in_channels=300),
                **BOUNDARY_ONLY), 15_163_395),  # Charades V+A
    (BASE, dict(video_enc=dict(in_channels=4096), audio_enc=dict(in_channels=4096),
                query_gen=dict(in_channels=300), **BOUNDARY_ONLY), 15_687_683),  # Charades V+O
])
def test_parameter_counts(path, overrides, expected):
    assert count(model_cfg(path, **copy.deepcopy(overrides))) == expected


def test_breakdown_of_base_model():
    with torch.device('meta'):
        model = MODELS.build(model_cfg())
    sizes = {name: sum(p.numel() for p in child.parameters())
             for name, child in model.named_children()}
    assert sizes['video_enc'] == 2_790_912 and sizes['audio_enc'] == 2_594_304
    assert sizes['cross_enc'] == 3_388_416 and sizes['query_gen'] == 394_752
    assert sizes['query_dec'] == 5_720_832
    assert sizes['saliency_head'] + sizes['boundary_head'] == 1_028


def test_init_follows_the_original():
    torch.manual_seed(0)
    model = MODELS.build(model_cfg(video_enc=dict(in_channels=64), audio_enc=dict(in_channels=32),
                                   cross_enc=dict(max_len=100), query_dec=dict(max_len=100)))
    w = model.query_dec.layers[0].ffn.fc1.weight  # xavier normal, not kaiming: std sqrt(2/(256+1024))
    assert w.std().item() == pytest.approx((2 / 1280)**0.5, rel=0.05)
    assert model.query_dec.layers[0].ffn.fc1.bias.abs().max() == 0
    pe = model.video_enc.pos_enc.pe
    assert pe.shape == (1, 5000, 256) and pe.std().item() == pytest.approx(1 / 16, rel=0.02)
    assert model.cross_enc.tokens.shape == (4, 256)
    assert model.query_gen.proj.bias is None  # no bias before the LayerNorm


def make_batch(lengths, dv=16, da=12, dq=8, num_tokens=5, audio=True, query=True, seed=0):
    g = torch.Generator().manual_seed(seed)
    b, t = len(lengths), max(lengths)
    mask = (torch.arange(t)[None] < torch.tensor(lengths)[:, None]).float()
    inputs = dict(video=torch.randn(b, t, dv, generator=g) * mask[..., None], video_mask=mask)
    if audio:
        inputs['audio'] = torch.randn(b, t, da, generator=g) * mask[..., None]
    if query:
        qmask = torch.ones(b, num_tokens)
        qmask[0, 3:] = 0
        inputs['query'] = torch.randn(b, num_tokens, dq, generator=g) * qmask[..., None]
        inputs['query_mask'] = qmask
    samples = []
    for i, n in enumerate(lengths):
        ds = ActionDataSample()
        ds.set_metainfo(dict(sample_idx=i, num_clips=n, clip_len=2.0, duration=2.0 * n))
        ds.gt_saliency = torch.rand(n, generator=g)
        ds.gt_windows = torch.tensor([[0.0, 4.0], [2.0 * (n // 2), 2.0 * n]])[:1 + i % 2]
        samples.append(ds)
    return inputs, samples


# small inputs, hidden size 32 and 32-row PE tables keep these tests fast
SMALL_IO = dict(video_enc=dict(in_channels=16), audio_enc=dict(in_channels=12),
                query_gen=dict(in_channels=8))
VARIANTS = {
    'umt_b': (BASE, {}, {}),
    'umt_s': (SMALL, {}, {}),
    'video_only': (BASE, dict(audio_enc=None, cross_enc=None), dict(audio=False)),
    'no_query': (SMALL, dict(query_gen=None, **SALIENCY_ONLY), dict(query=False)),
    'hotstar': (BASE, dict(query_gen=None, query_dec=None, **SALIENCY_ONLY), dict(query=False)),
    'boundary_only': (BASE, dict(saliency_head=None, boundary_head=dict(unit=2.0)), {}),
}


def build(name, **extra):
    """A variant with hidden size 32 and 32-row PE tables; ``extra`` overrides last."""
    path, overrides, _ = VARIANTS[name]
    cfg = model_cfg(path, **copy.deepcopy(SMALL_IO))
    for key, part in cfg.items():
        if isinstance(part, dict):
            part['dims'] = 32
            if key in ('video_enc', 'audio_enc', 'cross_enc', 'query_dec'):
                part['max_len'] = 32
    for key, value in copy.deepcopy({**overrides, **extra}).items():
        if isinstance(value, dict) and isinstance(cfg.get(key), dict):
            cfg[key].update(value)
        else:
            cfg[key] = value
    torch.manual_seed(0)
    return MODELS.build(cfg)


@pytest.mark.parametrize('name', sorted(VARIANTS))
def test_loss_and_backward(name):
    model = build(name).train()
    inputs, samples = make_batch([6, 4], **VARIANTS[name][2])
    losses = model(inputs, samples, mode='loss')
    prefix = {'umt_b': 'd2.', 'video_only': 'd2.', 'boundary_only': 'd2.'}.get(name, 'd0.')
    expected = set()
    if model.saliency_head is not None:
        expected.add(prefix + 'saliency_loss')
    if model.boundary_head is not None:
        expected |= {prefix + k for k in ('center_loss', 'window_loss', 'offset_loss')}
    assert set(losses) == expected
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    grads = {n: p.grad for n, p in model.named_parameters()}
    missing = [n for n, g in grads.items() if g is None and 'concat_proj' not in n]
    assert not missing
    assert grads['video_enc.input_proj.weight'].abs().sum() > 0
    # only the first T rows of a PE table are trained
    pe_grad = grads['video_enc.pos_enc.pe']
    assert pe_grad.shape == (1, 32, 32)
    assert pe_grad[0, :6].abs().sum() > 0 and pe_grad[0, 6:].abs().sum() == 0


@pytest.mark.parametrize('name', ['umt_b', 'hotstar'])
def test_predict_shapes(name):
    model = build(name).eval()
    inputs, samples = make_batch([6, 4], **VARIANTS[name][2])
    out = model(inputs, samples, mode='predict')
    for ds, n in zip(out, [6, 4]):
        assert ds.pred_saliency.shape == (n,) and ds.pred_saliency.dtype == torch.float32
        assert ((ds.pred_saliency > 0) & (ds.pred_saliency < 1)).all()
        if model.boundary_head is None:
            assert 'pred_windows' not in ds
            continue
        w = ds.pred_windows
        assert w.shape == (n, 3)  # top-k = min(100, T)
        assert (w[1:, 2] <= w[:-1, 2]).all()  # sorted by score
        assert (w[:, 0] >= 0).all() and (w[:, 1] <= 2.0 * n).all() and (w[:, 1] > w[:, 0]).all()
    tensors = model(inputs, mode='tensor')
    assert tensors['saliency'].shape == (2, 6)


def test_predict_on_padded_batch_matches_single_samples_for_encoder_only_model():
    model = build('hotstar').eval()
    inputs, samples = make_batch([6, 4], query=False)
    batched = model(inputs, samples, mode='predict')
    single_inputs = {k: v[1:2, :4] for k, v in inputs.items()}
    single = model(single_inputs, samples[1:], mode='predict')
    torch.testing.assert_close(batched[1].pred_saliency, single[0].pred_saliency)


def test_decoder_mask_flag_removes_padding_dependence():
    inputs, samples = make_batch([6, 4])
    single_inputs = {k: (v[1:2, :4] if k != 'query' and k != 'query_mask' else v[1:2])
                     for k, v in inputs.items()}
    for use_mask, same in ((False, False), (True, True)):
        model = build('umt_b', query_dec=dict(use_mask=use_mask)).eval()
        batched = model(inputs, mode='tensor')['saliency'][1, :4]
        single = model(single_inputs, mode='tensor')['saliency'][0]
        assert torch.allclose(batched, single, atol=1e-5) == same


def test_saliency_valid_mean_flag():
    inputs, samples = make_batch([6, 2])
    losses = {}
    for flag in (False, True):
        model = build('hotstar', saliency_head=dict(valid_mean=flag)).eval()
        losses[flag] = model({k: v for k, v in inputs.items() if 'query' not in k}, samples,
                             mode='loss')['d0.saliency_loss']
    # the original divides by B*T_pad = 12; the fix by the 8 valid clips
    torch.testing.assert_close(losses[True], losses[False] * 12 / 8)


def test_inputs_are_not_mutated():
    model = build('umt_b').train()
    inputs, samples = make_batch([6, 4])
    before = {k: v.clone() for k, v in inputs.items()}
    windows = [ds.gt_windows.clone() for ds in samples]
    model(inputs, samples, mode='loss')
    for k in before:
        assert torch.equal(before[k], inputs[k])
    for w, ds in zip(windows, samples):
        assert torch.equal(w, ds.gt_windows)


def test_no_gt_windows_gives_zero_boundary_losses():
    model = build('umt_b').train()
    inputs, samples = make_batch([6, 4])
    for ds in samples:
        ds.gt_windows = torch.zeros(0, 2)
    losses = model(inputs, samples, mode='loss')
    assert losses['d2.center_loss'] == 0 and losses['d2.window_loss'] == 0
    sum(losses.values()).backward()


def test_errors():
    with pytest.raises(ConfigError, match='audio_enc and model.cross_enc'):
        MODELS.build(model_cfg(**SMALL_IO, **dict(cross_enc=None)))
    with pytest.raises(ConfigError, match='query_gen needs'):
        MODELS.build(model_cfg(**{**SMALL_IO, 'query_dec': None}))
    with pytest.raises(ConfigError, match='kernel'):
        MODELS.build(dict(type='UMTBoundaryHead', kernel=2))
    model = build('hotstar', video_enc=dict(max_len=8)).eval()
    inputs, samples = make_batch([9], query=False)
    with pytest.raises(ConfigError, match='exceed the positional-encoding length 8'):
        model(inputs, samples, mode='predict')
    model = build('umt_b')
    inputs, samples = make_batch([5], query=False)
    with pytest.raises(DataError, match="no 'query'"):
        model(inputs, samples, mode='loss')
    inputs, samples = make_batch([5])
    samples[0].set_metainfo(dict(clip_len=1.0))
    with pytest.raises(ConfigError, match='clip_len'):
        model(inputs, samples, mode='loss')


@pytest.mark.parametrize('dims', [256, 512])
def test_bottleneck_fusion_interface(dims):
    fusion = MODELS.build(dict(type='UMTBottleneckFusion', dims=dims, max_len=16))
    assert isinstance(fusion, BaseFusion) and fusion.out_channels == dims
    v, a = torch.randn(2, 5, dims), torch.randn(2, 5, dims)
    mask = torch.tensor([[1.0] * 5, [1.0] * 3 + [0.0] * 2])
    out = fusion.eval()(v, a, mask)
    assert out.shape == (2, 5, dims)
    # a change of the padded video/audio clips does not reach valid clips... only via tokens,
    # and tokens ignore padded keys, so valid outputs of sample 1 stay the same
    v2, a2 = v.clone(), a.clone()
    v2[1, 3:], a2[1, 3:] = 100.0, -100.0
    torch.testing.assert_close(fusion(v2, a2, mask)[1, :3], out[1, :3])
    pooled = fusion(v[:, :1], a[:, :1], None)  # pooled vectors as length-1 sequences
    assert pooled.shape == (2, 1, dims)


def test_dropout_distribution():
    torch.manual_seed(0)
    x = torch.ones(200_000)
    for p in (0.5, 0.1, 0.3):
        y = dropout(x, p)
        kept = (y != 0).float().mean().item()
        assert kept == pytest.approx(1 - p, abs=0.005)
        assert torch.allclose(y[y != 0], torch.tensor(1 / (1 - p)))
    assert dropout(x, 0.5, training=False) is x
    # small p (the gaps are drawn at 24-bit resolution) and the limits
    assert drop_positions(2_000_000, 0.003).numel() / 2_000_000 == pytest.approx(0.003, rel=0.05)
    assert drop_positions(1000, 0.0).numel() == 0 and drop_positions(1000, 1.0).numel() == 1000
    # odd sizes: the packed bits are cut to the tensor size
    assert dropout(torch.ones(3, 7), 0.5).shape == (3, 7)


def test_drop_positions_are_iid_bernoulli():
    torch.manual_seed(0)
    n, p, draws = 1000, 0.1, 4000
    hits = torch.zeros(draws, n)
    for i in range(draws):
        pos = drop_positions(n, p)
        assert pos.dtype == torch.int64 and (pos[1:] > pos[:-1]).all()  # sorted, distinct
        assert pos.numel() == 0 or 0 <= pos[0] <= pos[-1] < n
        hits[i, pos] = 1
    # every position has rate p (no edge effects at either end) ...
    rate = hits.mean(0)
    assert rate.mean().item() == pytest.approx(p, abs=0.002)
    assert (rate - p).abs().max().item() < 6 * (p * (1 - p) / draws) ** 0.5
    assert rate[:5].mean().item() == pytest.approx(p, abs=0.01)
    assert rate[-5:].mean().item() == pytest.approx(p, abs=0.01)
    # ... and neighbours are independent
    centred = hits - p
    for lag in (1, 2, 7):
        corr = (centred[:, :-lag] * centred[:, lag:]).mean().item() / (p * (1 - p))
        assert abs(corr) < 0.01
    # a block too small to reach n is followed by more blocks, still covering [0, n) once
    torch.manual_seed(1)
    pos = drop_positions(100_000, 0.2, sigmas=-20.0)
    assert (pos[1:] > pos[:-1]).all() and pos[-1] < 100_000
    assert pos.numel() / 100_000 == pytest.approx(0.2, abs=0.01)
    assert drop_positions(10, 0.0).numel() == 0 and drop_positions(10, 1.0).tolist() == list(range(10))


def test_sparse_dropout_gradients():
    """Zeros at the dropped positions forward and backward; the in-place variants leave a
    gradient that other branches share (a residual connection) untouched."""
    torch.manual_seed(0)
    x = torch.randn(6, 50, requires_grad=True)
    for inplace in (False, True):
        torch.manual_seed(1)
        fresh = x * 1.0  # a fresh tensor, as a linear layer's output
        y = zero_dropped(fresh, 0.2, inplace=inplace)
        kept = y != 0
        assert 0.6 < kept.float().mean() < 0.95
        torch.testing.assert_close(y[kept], (x * 1.0)[kept])
        out = x + y  # residual: the same upstream gradient reaches both terms
        g = torch.randn_like(out)
        x.grad = None
        out.backward(g)
        torch.testing.assert_close(x.grad, g + g * kept)
    x.grad = None
    torch.manual_seed(2)
    h = relu_zero_dropped(x * 1.0, 0.2)
    active = h > 0
    assert active.sum() < (x > 0).sum()  # some positive entries were dropped
    torch.testing.assert_close(h, torch.where(active, x, 0.0).detach())
    g = torch.randn_like(h)
    h.backward(g)
    torch.testing.assert_close(x.grad, torch.where(active, g, 0.0))
    # p = 0.5 and non-contiguous inputs take the full-mask path
    t = torch.randn(20, 30).t()
    assert zero_dropped(t, 0.5).shape == (30, 20) and zero_dropped(t, 0.1).shape == (30, 20)


def test_training_blocks_are_unbiased_dropout_of_the_eval_blocks():
    """Dropout (with its scale folded into the linear layers) keeps every block's expectation:
    averaged over many independent draws, training outputs match eval outputs."""
    from highlight_plugin.models.umt.attention import (FeedForward, LearnablePositionalEncoding,
                                                       MultiHeadAttention)
    torch.manual_seed(0)
    n = 20_000  # batch copies, each with its own dropout masks
    x = torch.randn(1, 3, 8).expand(n, -1, -1)
    mem = torch.randn(1, 5, 8).expand(n, -1, -1)
    mask = torch.tensor([[True, True, True, True, False]]).expand(n, -1)
    blocks = [(MultiHeadAttention(8, heads=2, p=0.3), lambda m: m(x, mem, mem, mask=mask)),
              (FeedForward(8, ratio=2, p=0.3), lambda m: m(x)),
              (LearnablePositionalEncoding(8, max_len=10, p=0.3), lambda m: m(x))]
    for block, run in blocks:
        with torch.no_grad():
            reference = run(block.eval())[0]
            samples = run(block.train())
        assert not torch.allclose(samples[0], reference)
        torch.testing.assert_close(samples.mean(0), reference.expand_as(samples[0]), atol=0.03,
                                   rtol=0)
