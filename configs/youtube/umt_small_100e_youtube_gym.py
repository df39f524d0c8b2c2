# UMT-S on YouTube Highlights, gymnastics domain (TencentARC/UMT `umt_small_100e_youtube_gym`).
_base_ = ['./_base_/umt_small_100e_youtube.py']
train_dataloader = dict(dataset=dict(domain='gymnastics'))
val_dataloader = dict(dataset=dict(domain='gymnastics'))
test_dataloader = val_dataloader
