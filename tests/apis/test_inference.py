import numpy as np
import torch
from mmengine.config import Config

from highlight_plugin.apis import init_model, predict_saliency
from highlight_plugin.apis.inference import window_starts


def test_window_starts_cover_everything():
    assert window_starts(50, 75, 37) == [0]
    starts = window_starts(200, 75, 37)
    assert starts[0] == 0 and starts[-1] == 125
    covered = np.zeros(200, bool)
    for s in starts:
        covered[s:s + 75] = True
    assert covered.all()


def _hotstar_model():
    cfg = Config.fromfile('configs/umt_hotstar.py')
    return init_model(cfg)


def test_long_video_is_stitched_from_windows():
    torch.manual_seed(0)
    model = _hotstar_model()
    rng = np.random.default_rng(0)
    video, audio = rng.standard_normal((130, 512)), rng.standard_normal((130, 2048))
    scores = predict_saliency(model, video, audio, clip_len=1.0, window=60, stride=30)
    assert scores.shape == (130, ) and np.all((scores >= 0) & (scores <= 1))
    # one window covering everything equals the model run on the whole sequence at once
    whole = predict_saliency(model, video[:60], audio[:60], clip_len=1.0, window=60)
    first = predict_saliency(model, video[:60], audio[:60], clip_len=1.0, window=200)
    np.testing.assert_allclose(whole, first, atol=1e-6)
    # clips 0..29 are only in the first window: same scores as running that window alone
    np.testing.assert_allclose(scores[:30], whole[:30], atol=1e-5)
