import pytest
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample

import highlight_plugin  # noqa: F401
from highlight_plugin.engine.errors import ConfigError
from highlight_plugin.models.losses import MultiLabelBCELoss
from highlight_plugin.models.spotter import centred_windows

D = 8
POOL = dict(type='NetVLAD', in_channels=D, num_clusters=4, out_channels=D, context_gating=False)
FUSIONS = {
    'concat': dict(fusion=dict(type='ConcatFusion', dims=D), audio_pool=POOL),
    'early-concat': dict(fusion=dict(type='ConcatFusion', dims=D), fusion_position='before_pool',
                         video_pool=dict(POOL, type='NetRVLAD', in_channels=2 * D)),
    'gmu': dict(fusion=dict(type='GMUFusion', dims=D), audio_pool=POOL),
    'cmga-after': dict(fusion=dict(type='CMGAFusion', dims=D, num_heads=2), audio_pool=POOL),
    'cmga-before': dict(fusion=dict(type='CMGAFusion', dims=D, num_heads=2), fusion_position='before_pool'),
    'transformer': dict(fusion=dict(type='TransformerFusion', dims=D, num_heads=2, feedforward_channels=16),
                        audio_pool=POOL),
    'bottleneck': dict(fusion=dict(type='UMTBottleneckFusion', dims=D, num_tokens=2, heads=2, max_len=64),
                       fusion_position='before_pool'),
    'video-only': dict(fusion=None),
}


def build(name, **kwargs):
    cfg = dict(type='SoccerSpotter', num_classes=3, video_pool=POOL, window_size=4, fps=2, test_chunk=3)
    cfg.update(FUSIONS[name], **kwargs)
    return MODELS.build(cfg)


def window_batch(b=4, n=8):
    samples = []
    for i in range(b):
        ds = ActionDataSample()
        ds.set_metainfo(dict(sample_mode='window'))
        ds.gt_multilabel = torch.tensor([1.0, 0.0, 0.0]) if i % 2 else torch.tensor([0.0, 1.0, 1.0])
        samples.append(ds)
    return dict(video=torch.randn(b, n, D), audio=torch.randn(b, n, D)), samples


@pytest.mark.parametrize('name', sorted(FUSIONS))
def test_loss_backward_and_predict(name):
    model = build(name)
    inputs, samples = window_batch()
    loss = model(inputs, samples, mode='loss')['loss_cls']
    loss.backward()
    assert torch.isfinite(loss) and all(p.grad is not None for p in model.parameters() if p.requires_grad)
    model.eval()
    out = model(inputs, samples, mode='predict')
    assert out[0].pred_multilabel.shape == (3, ) and 0 <= out[0].pred_multilabel.min()


def test_centred_windows():
    x = torch.arange(10.0)[:, None]  # T = 10 rows at 2 fps, windows of 4 rows (2 s)
    w = centred_windows(x, 4, 2)
    assert w.shape == (5, 4, 1)
    assert w[0, :, 0].tolist() == [0, 0, 0, 1]  # rows -2..1, the first repeated
    assert w[2, :, 0].tolist() == [2, 3, 4, 5]  # second i covers rows [2i - 2, 2i + 2)
    assert w[4, :, 0].tolist() == [6, 7, 8, 9]
    assert centred_windows(torch.arange(11.0)[:, None], 4, 2)[-1, :, 0].tolist() == [6, 7, 8, 9]


def test_predict_half_equals_window_by_window():
    torch.manual_seed(0)
    model = build('cmga-after').eval()
    half = dict(video=torch.randn(23, D), audio=torch.randn(23, D))
    scores = model.predict_half(half)
    assert scores.shape == (11, 3)  # one row per second, batched in chunks of 3 windows
    model.test_chunk = None  # one pass over all windows gives the same scores
    torch.testing.assert_close(model.predict_half(half), scores)
    for i in (0, 5, 10):
        win = {k: centred_windows(v, 8, 2)[i:i + 1] for k, v in half.items()}
        torch.testing.assert_close(scores[i], torch.sigmoid(model(win))[0])
    # a padded batch of two halves: each is cut to its valid length
    ds = [ActionDataSample(), ActionDataSample()]
    for d in ds:
        d.set_metainfo(dict(sample_mode='half'))
    video = torch.zeros(2, 30, D)
    audio = torch.zeros(2, 30, D)
    video[0, :23], audio[0, :23] = half['video'], half['audio']
    mask = torch.zeros(2, 30)
    mask[0, :23], mask[1] = 1, 1
    out = model.predict(dict(video=video, audio=audio, video_mask=mask), ds)
    torch.testing.assert_close(out[0].pred_second_scores, scores)
    assert out[1].pred_second_scores.shape == (15, 3)


def test_bad_configs():
    with pytest.raises(ConfigError, match='audio_pool'):
        build('gmu', audio_pool=None)
    with pytest.raises(ConfigError, match='fusion_position'):
        build('gmu', fusion_position='middle')


def test_loss_options():
    logits = torch.tensor([[0.5, -1.0, 2.0], [0.0, 1.0, -2.0]])
    target = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    elem = torch.nn.functional.binary_cross_entropy_with_logits(logits, target, reduction='none')
    torch.testing.assert_close(MultiLabelBCELoss()(logits, target), elem.sum(1).mean())
    torch.testing.assert_close(MultiLabelBCELoss(reduction='mean')(logits, target), elem.mean())
    weighted = MultiLabelBCELoss(pos_weight=[2.0, 1.0, 1.0], reduction='sum')(logits, target)
    assert weighted > elem.sum()
    auto = MultiLabelBCELoss(pos_weight='auto')
    with pytest.raises(ConfigError, match='AutoPosWeightHook'):
        auto(logits, target)
    # N_neg / N_pos per class; a class never positive gets 1
    assert auto.set_class_counts([10, 2, 0], 100).tolist() == [9.0, 49.0, 1.0]
    assert auto(logits, target) > 0
    with pytest.raises(ConfigError):
        MultiLabelBCELoss(reduction='avg')
