# UMT on Hotstar titles (MinliangLin/UMT `hotstar_highlight_865`): UMT-B without query generator/decoder,
# CLIP ViT-B/32 512 at 1 fps + PANNs 2048, saliency head only (weight 1.0), 10 epochs, batch 32.
_base_ = [
    '_base_/models/umt_base.py', '_base_/datasets/hotstar_highlight_865.py',
    '_base_/schedules/adam_constant_200e.py', '_base_/default_runtime.py'
]
model = dict(
    video_enc=dict(in_channels=512),
    audio_enc=dict(in_channels=2048),
    query_gen=None,
    query_dec=None,
    saliency_head=dict(loss_weight=1.0),
    boundary_head=None)
train_cfg = dict(max_epochs=10)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(save_best='HL-mAP', rule='greater'))
