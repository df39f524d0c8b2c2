# UMT-S on YouTube Highlights, skiing domain (TencentARC/UMT `umt_small_100e_youtube_ski`).
_base_ = ['./_base_/umt_small_100e_youtube.py']
train_dataloader = dict(dataset=dict(domain='skiing'))
val_dataloader = dict(dataset=dict(domain='skiing'))
test_dataloader = val_dataloader
