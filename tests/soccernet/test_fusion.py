import pytest
import torch

from highlight_plugin.models.fusion import CMGAFusion, ConcatFusion, GMUFusion, TransformerFusion

HEADS = [
    (lambda: ConcatFusion(dims=(8, 6)), 14),
    (lambda: GMUFusion(dims=(8, 6), hidden_channels=10), 10),
    (lambda: CMGAFusion(dims=(8, 6), num_heads=2, dropout=0.0), 8),  # p > 0 can zero a N = 1 output
    (lambda: TransformerFusion(dims=(8, 6), embed_dims=8, num_heads=2, feedforward_channels=16, dropout=0.0), 8),
]


@pytest.mark.parametrize('make,out', HEADS)
@pytest.mark.parametrize('n', [1, 5])
def test_shapes_and_backward(make, out, n):
    head = make()
    video = torch.randn(3, n, 8, requires_grad=True)
    audio = torch.randn(3, n, 6, requires_grad=True)
    fused = head(video, audio)
    assert fused.shape == (3, n, out) and head.out_channels == out
    (fused * torch.randn_like(fused)).sum().backward()  # (a plain sum of a LayerNorm output is constant)
    assert video.grad.abs().sum() > 0 and audio.grad.abs().sum() > 0


@pytest.mark.parametrize('make,out', HEADS[1:])
def test_padding_does_not_change_valid_positions(make, out):
    torch.manual_seed(0)
    head = make().eval()
    video, audio = torch.randn(1, 6, 8), torch.randn(1, 6, 6)
    mask = torch.tensor([[1, 1, 1, 1, 0, 0]]).float()
    padded_v, padded_a = video.clone(), audio.clone()
    padded_v[:, 4:], padded_a[:, 4:] = 9.0, -9.0
    full = head(padded_v, padded_a, mask)
    torch.testing.assert_close(full[:, :4], head(video[:, :4], audio[:, :4]), atol=1e-5, rtol=1e-5)
    assert full[:, 4:].abs().sum() == 0


def test_gmu_equation():
    head = GMUFusion(dims=4)
    v, a = torch.randn(2, 1, 4), torch.randn(2, 1, 4)
    z = torch.sigmoid(head.gate(torch.cat([v, a], -1)))
    want = z * torch.tanh(head.video_proj(v)) + (1 - z) * torch.tanh(head.audio_proj(a))
    torch.testing.assert_close(head(v, a), want)


def test_cmga_on_pooled_vectors_is_gated_residual():
    """With N = 1 every softmax is 1: the cross-attention message is the projected video value."""
    head = CMGAFusion(dims=4, num_heads=2).eval()
    v, a = torch.randn(3, 1, 4), torch.randn(3, 1, 4)
    value = head.video_qkv(v)[..., 8:]
    h = torch.relu(v + head.message(value) * torch.sigmoid(head.forget_gate(torch.cat([value, a], -1))))
    want = head.fusion_proj(head.fusion_qkv(h)[..., 8:])
    torch.testing.assert_close(head(v, a), want)


def test_parameter_counts_at_512():
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(GMUFusion(512)) == 1_050_112
    assert count(CMGAFusion(512)) == 3_409_408
    head = TransformerFusion(512)
    assert count(head.encoder) == 4_205_568 and count(head) == 4_205_568 + 1024 + 512
