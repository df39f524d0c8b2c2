# UMT-S on YouTube Highlights (TencentARC/UMT `umt_small_100e_youtube_*`, docs/umt.md §8): no query (the query
# generator is removed, the 1-layer decoder runs on the fused clips), rgb+flow 2048 / audio 2048, saliency head
# only (weight 1.0), 100 epochs of Adam 1e-3 at batch 4. 12,191,233 parameters. The domain is set per config.
_base_ = [
    '../../_base_/models/umt_small.py', '../../_base_/datasets/youtube.py',
    '../../_base_/schedules/adam_constant_200e.py', '../../_base_/default_runtime.py'
]
model = dict(
    video_enc=dict(in_channels=2048),
    audio_enc=dict(in_channels=2048),
    query_gen=None,
    saliency_head=dict(loss_weight=1.0),
    boundary_head=None)
train_cfg = dict(max_epochs=100)
default_hooks = dict(checkpoint=dict(save_best='mAP', rule='greater'))
