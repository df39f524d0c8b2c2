# UMT-S on YouTube Highlights, surfing domain (TencentARC/UMT `umt_small_100e_youtube_sur`).
_base_ = ['./_base_/umt_small_100e_youtube.py']
train_dataloader = dict(dataset=dict(domain='surfing'))
val_dataloader = dict(dataset=dict(domain='surfing'))
test_dataloader = val_dataloader
