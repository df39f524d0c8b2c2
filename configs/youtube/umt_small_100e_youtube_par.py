# UMT-S on YouTube Highlights, parkour domain (TencentARC/UMT `umt_small_100e_youtube_par`).
_base_ = ['./_base_/umt_small_100e_youtube.py']
train_dataloader = dict(dataset=dict(domain='parkour'))
val_dataloader = dict(dataset=dict(domain='parkour'))
test_dataloader = val_dataloader
