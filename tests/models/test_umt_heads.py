"""UMT heads: boundary targets and decoding (worked examples of docs/umt.md §5), losses."""
import pytest
import torch

from highlight_plugin.models.umt.heads import UMTBoundaryHead, UMTSaliencyHead, gaussian_focal_loss


def targets(windows, num_clips=75, unit=2.0):
    head = UMTBoundaryHead(dims=8, unit=unit)
    w = torch.tensor(windows, dtype=torch.float32)[None]
    return head.get_targets(w, torch.ones(w.shape[:2], dtype=torch.bool), num_clips)


def test_worked_example_82_150():
    heat, window, offset, weight, num = targets([[82.0, 150.0]])
    expected = [0.0001, 0.0017, 0.0169, 0.1007, 0.3604, 0.7748, 1.0, 0.7748, 0.3604, 0.1007,
                0.0169, 0.0017, 0.0001]
    torch.testing.assert_close(heat[0, 51:64], torch.tensor(expected), atol=5e-5, rtol=0)
    assert heat[0, :51].abs().sum() == 0 and heat[0, 64:].abs().sum() == 0
    assert heat[0, 57] == 1.0  # exactly 1: a positive of the focal loss
    assert window[0, 57] == 33 and offset[0, 57] == 0.5 and num == 1
    assert weight[0].nonzero().flatten().tolist() == [57]
    assert window[0].count_nonzero() == 1


def test_worked_examples_short_windows():
    heat, window, offset, weight, num = targets([[0.0, 10.0], [20.0, 31.0]], num_clips=20)
    assert heat[0, 2] == 1 and heat[0, 1] == 0 and heat[0, 3] == 0  # c = 2, w = 4, radius 0
    assert window[0, 2] == 4 and offset[0, 2] == 0
    assert window[0, 12] == 4.5 and offset[0, 12] == pytest.approx(0.25)  # c = 12.25
    assert num == 2 and weight[0].sum() == 2


def test_targets_clamp_centre_and_combine_by_max():
    heat, window, offset, weight, _ = targets([[0.0, 40.0], [10.0, 30.0], [30.0, 60.0]],
                                              num_clips=20)
    # GT 3: c = (15 + 29) / 2 = 22 clamped to T - 0.5 = 19.5 -> k = 19, offset 0.5
    assert window[0, 19] == 14 and offset[0, 19] == 0.5
    # GT 1 (c = 9.5, w = 19, radius 3) and GT 2 (c = 9.5, w = 9, radius 1) share k = 9:
    # the later GT wins the window target, the heat is the element-wise max
    assert window[0, 9] == 9 and weight[0, 9] == 1 and weight[0].sum() == 2
    sigma = 0.2 * 4
    assert heat[0, 12].item() == pytest.approx(torch.exp(torch.tensor(-9 / (2 * sigma**2))).item())


def test_targets_batch_padding_rows_and_empty():
    head = UMTBoundaryHead(dims=8)
    w = torch.tensor([[[82.0, 150.0], [0.0, 0.0]], [[0.0, 10.0], [20.0, 31.0]]])
    valid = torch.tensor([[True, False], [True, True]])
    heat, window, offset, weight, num = head.get_targets(w, valid, 75)
    assert num == 3 and heat[0, 0] == 0 and weight[0].sum() == 1 and weight[1].sum() == 2
    single = targets([[82.0, 150.0]])
    torch.testing.assert_close(heat[0], single[0][0])
    empty = head.get_targets(torch.zeros(2, 0, 2), torch.zeros(2, 0, dtype=torch.bool), 5)
    assert empty[0].shape == (2, 5) and empty[0].sum() == 0 and empty[4] == 0


def decode_one(center, window, offset, kernel=1, unit=2.0):
    head = UMTBoundaryHead(dims=8, unit=unit, kernel=kernel)
    mask = torch.ones(1, center.numel())
    return head.decode((center[None], window[None], offset[None]), mask)[0]


def test_decoding_examples():
    center = torch.full((75,), 0.01)
    center[57], center[10] = 0.9, 0.5
    window, offset = torch.zeros(75), torch.zeros(75)
    window[57], offset[57] = 33, 0.5
    window[10], offset[10] = -3, -0.2
    out = decode_one(center, window, offset)
    assert out.shape == (75, 3)
    torch.testing.assert_close(out[0], torch.tensor([82.0, 150.0, 0.9]))
    torch.testing.assert_close(out[1], torch.tensor([20.0, 22.0, 0.5]))
    # a window past the end is clamped to the last clip, then one unit is added
    window[57] = 100
    assert decode_one(center, window, offset)[0, 1] == 150.0


def test_peak_suppression_kernel():
    center = torch.tensor([0.1, 0.5, 0.4, 0.2, 0.8, 0.3])
    zeros = torch.zeros(6)
    assert decode_one(center, zeros, zeros, kernel=1)[:, 2].tolist() == pytest.approx(
        [0.8, 0.5, 0.4, 0.3, 0.2, 0.1])
    scores = decode_one(center, zeros, zeros, kernel=3)[:, 2]
    assert scores[:2].tolist() == pytest.approx([0.8, 0.5]) and (scores[2:] == 0).all()


def test_decode_padded_batch_per_sample():
    head = UMTBoundaryHead(dims=8, max_num_moments=4)
    center = torch.tensor([[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [0.9, 0.8, 0.0, 0.0, 0.0, 0.0]])
    window = torch.full((2, 6), 10.0)
    mask = torch.tensor([[1.0] * 6, [1.0] * 2 + [0.0] * 4])
    out = head.decode((center * mask, window, torch.zeros(2, 6)), mask)
    assert out[0].shape == (4, 3) and out[1].shape == (2, 3)
    assert out[1][:, 1].max() == 4.0  # clamped to the sample's own last clip (1), + 2 s


def test_boundary_losses_match_definition():
    torch.manual_seed(0)
    head = UMTBoundaryHead(dims=8, window_loss_weight=0.1)
    center = torch.rand(2, 10) * 0.9 + 0.05
    window, offset = torch.randn(2, 10), torch.randn(2, 10)
    windows = torch.tensor([[[0.0, 10.0]], [[4.0, 12.0]]])
    mask = torch.ones(2, 10)
    losses = head.loss((center, window, offset), windows, torch.ones(2, 1, dtype=torch.bool), mask)
    heat, wt, ot, weight, num = head.get_targets(windows, torch.ones(2, 1, dtype=torch.bool), 10)
    torch.testing.assert_close(losses['center_loss'],
                               gaussian_focal_loss(center, heat).sum() / 2)
    torch.testing.assert_close(losses['window_loss'], 0.1 * ((window - wt).abs() * weight).sum() / 2)
    torch.testing.assert_close(losses['offset_loss'], ((offset - ot).abs() * weight).sum() / 2)


def test_gaussian_focal_loss_values():
    pred = torch.tensor([0.5, 0.5])
    target = torch.tensor([1.0, 0.5])
    loss = gaussian_focal_loss(pred, target)
    assert loss[0].item() == pytest.approx(-torch.log(torch.tensor(0.5)).item() * 0.25)
    assert loss[1].item() == pytest.approx(-torch.log(torch.tensor(0.5)).item() * 0.25 * 0.0625)


def test_saliency_head_loss_over_all_entries_by_default():
    head = UMTSaliencyHead(dims=8, loss_weight=3.0)
    logits = torch.zeros(1, 4)
    target = torch.ones(1, 4)
    mask = torch.tensor([[1.0, 1.0, 0.0, 0.0]])
    log2 = torch.log(torch.tensor(2.0)).item()
    assert head.loss(logits, target, mask)['saliency_loss'].item() == pytest.approx(3 * log2 / 2)
    torch.testing.assert_close(head.predict(logits, mask), torch.tensor([[0.5, 0.5, 0.0, 0.0]]))
