import numpy as np
import pytest
import torch

from highlight_plugin.models.pooling import NetRVLAD, NetVLAD, TemporalPooling


def numpy_netvlad(x, w_c, bias, centres, w_h, residual=True):
    """Direct evaluation of docs/soccer.md §2 (no BN: a bias), per sample and element."""
    b, n, d = x.shape
    k = w_c.shape[1]
    out = []
    for s in range(b):
        logits = x[s] @ w_c + bias
        a = np.exp(logits - logits.max(1, keepdims=True))
        a /= a.sum(1, keepdims=True)
        v = np.zeros((d, k))
        for dd in range(d):
            for kk in range(k):
                v[dd, kk] = sum(a[t, kk] * x[s, t, dd] for t in range(n))
                if residual:
                    v[dd, kk] -= centres[dd, kk] * a[:, kk].sum()
        v /= np.linalg.norm(v, axis=0, keepdims=True)
        flat = np.array([v[dd, kk] for dd in range(d) for kk in range(k)])  # index d*K + k
        flat /= np.linalg.norm(flat)
        out.append(flat @ w_h)
    return np.stack(out)


@pytest.mark.parametrize('cls,residual', [(NetVLAD, True), (NetRVLAD, False)])
def test_equation_matches_numpy_for_k_not_d(cls, residual):
    torch.manual_seed(0)
    pool = cls(in_channels=6, num_clusters=4, out_channels=5, context_gating=False, use_bn=False)
    x = torch.randn(2, 7, 6)
    got = pool(x).detach().numpy()
    p = {k: v.detach().numpy().astype(np.float64) for k, v in pool.named_parameters()}
    want = numpy_netvlad(x.numpy().astype(np.float64), p['cluster_weights'], p['cluster_bias'],
                         p['centers'][0] if residual else None, p['hidden_weights'], residual)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    with torch.no_grad():  # the in-place inference path
        np.testing.assert_allclose(pool(x).numpy(), want, rtol=1e-4, atol=1e-5)


def test_netvlad_with_bn_in_eval_mode_is_bn_then_softmax():
    torch.manual_seed(1)
    pool = NetVLAD(in_channels=3, num_clusters=5, out_channels=2, context_gating=False).eval()
    with torch.no_grad():
        pool.cluster_bn.running_mean.uniform_(-1, 1)
        pool.cluster_bn.running_var.uniform_(0.5, 2)
        pool.cluster_bn.weight.uniform_(0.5, 2)
        pool.cluster_bn.bias.uniform_(-1, 1)
    x = torch.randn(2, 4, 3)
    bn = pool.cluster_bn
    scale = (bn.weight / torch.sqrt(bn.running_var + bn.eps)).detach().numpy()
    shift = (bn.bias - bn.running_mean * bn.weight / torch.sqrt(bn.running_var + bn.eps)).detach().numpy()
    p = {k: v.detach().numpy().astype(np.float64) for k, v in pool.named_parameters()}
    want = numpy_netvlad(x.numpy().astype(np.float64), p['cluster_weights'] * scale, shift, p['centers'][0],
                         p['hidden_weights'])
    np.testing.assert_allclose(pool(x).detach().numpy(), want, rtol=1e-4, atol=1e-5)


def test_parameter_counts_and_no_unused_gating():
    # docs/soccer.md §2 table (K = 64; the K = 128/512 rows follow the same formula)
    assert sum(p.numel() for p in NetVLAD(num_clusters=64).parameters()) == 17_106_048
    no_gate = NetVLAD(num_clusters=64, context_gating=False)
    assert sum(p.numel() for p in no_gate.parameters()) == 16_842_880
    assert not any('gating' in name for name, _ in no_gate.named_parameters())
    assert sum(p.numel() for p in NetRVLAD(num_clusters=64).parameters()) == 17_073_280


@pytest.mark.parametrize('k', [3, 8, 16])
def test_any_k_and_all_parameters_get_gradients(k):
    pool = NetVLAD(in_channels=8, num_clusters=k, out_channels=4)
    x = torch.randn(3, 5, 8)
    out = pool(x)
    assert out.shape == (3, 4)
    out.square().sum().backward()
    assert all(p.grad is not None for p in pool.parameters())


def test_bn_sees_all_frames_and_mask_ignores_padding():
    pool = NetVLAD(in_channels=4, num_clusters=3, out_channels=2, use_bn=False, context_gating=False)
    x = torch.randn(2, 6, 4)
    mask = torch.tensor([[1, 1, 1, 1, 0, 0], [1] * 6]).float()
    padded = x.clone()
    padded[0, 4:] = 100.0
    np.testing.assert_allclose(pool(padded, mask)[0].detach(), pool(x[:1, :4])[0].detach(), atol=1e-6)
    with pytest.raises(ValueError, match=r'\(B, N, D\)'):
        pool(x[0])


def test_temporal_pooling():
    x = torch.tensor([[[1.0], [3.0], [50.0]]])
    mask = torch.tensor([[1.0, 1.0, 0.0]])
    assert TemporalPooling(1, 'mean')(x, mask).item() == 2.0
    assert TemporalPooling(1, 'max')(x, mask).item() == 3.0
