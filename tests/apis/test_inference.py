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


def test_init_model_from_a_checkpoint_equals_the_model_saved(tmp_path):
    """The checkpoint path builds on the meta device and takes the file's tensors: same weights, same outputs;
    a checkpoint of another head is refused in strict mode and warned about otherwise."""
    import pytest

    from highlight_plugin.engine.errors import CheckpointError
    torch.manual_seed(0)
    opts = {'model.video_pool.num_clusters': 4, 'model.audio_pool.num_clusters': 4}
    cmga = 'configs/soccernet/netvlad512_cmga-after_20s_highlight.py'
    model = init_model(cmga, cfg_options=opts)
    torch.save(dict(meta=dict(), state_dict=model.state_dict()), tmp_path / 'cmga.pth')
    loaded = init_model(cmga, str(tmp_path / 'cmga.pth'), cfg_options=opts, strict=True)
    assert not any(p.is_meta for p in loaded.parameters())
    for (name, a), b in zip(model.state_dict().items(), loaded.state_dict().values()):
        assert torch.equal(a, b), name
    half = dict(video=torch.randn(60, 512), audio=torch.randn(60, 512))
    torch.testing.assert_close(loaded.predict_half(half), model.predict_half(half))
    gmu = 'configs/soccernet/netvlad512_gmu_20s_highlight.py'
    with pytest.raises(CheckpointError, match='cmga.pth does not fit .*gmu.*: it lacks'):
        init_model(gmu, str(tmp_path / 'cmga.pth'), cfg_options=opts, strict=True)
    partial = init_model(gmu, str(tmp_path / 'cmga.pth'), cfg_options=opts)  # shared weights loaded, the rest random
    assert torch.equal(partial.video_pool.hidden_weights, model.video_pool.hidden_weights)
    assert not any(p.is_meta for p in partial.parameters())
