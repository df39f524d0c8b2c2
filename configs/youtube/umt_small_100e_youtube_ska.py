# UMT-S on YouTube Highlights, skating domain (TencentARC/UMT `umt_small_100e_youtube_ska`).
_base_ = ['./_base_/umt_small_100e_youtube.py']
train_dataloader = dict(dataset=dict(domain='skating'))
val_dataloader = dict(dataset=dict(domain='skating'))
test_dataloader = val_dataloader
