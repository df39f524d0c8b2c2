# UMT-S on TVSum (TencentARC/UMT `umt_small_500e_tvsum_*`, docs/umt.md §8): rgb+flow 2048 / audio 2048 / query tokens
# 512, saliency head only (weight 1.0), 500 epochs of Adam 1e-3 at batch 1. 12,585,985 parameters. The category
# is set per config.
_base_ = [
    '../../_base_/models/umt_small.py', '../../_base_/datasets/tvsum.py',
    '../../_base_/schedules/adam_constant_200e.py', '../../_base_/default_runtime.py'
]
model = dict(
    video_enc=dict(in_channels=2048),
    audio_enc=dict(in_channels=2048),
    query_gen=dict(in_channels=512),
    saliency_head=dict(loss_weight=1.0),
    boundary_head=None)
train_cfg = dict(max_epochs=500)
default_hooks = dict(checkpoint=dict(save_best='mAP', rule='greater'))
