# UMT-S on YouTube Highlights, dog domain (TencentARC/UMT `umt_small_100e_youtube_dog`).
_base_ = ['./_base_/umt_small_100e_youtube.py']
train_dataloader = dict(dataset=dict(domain='dog'))
val_dataloader = dict(dataset=dict(domain='dog'))
test_dataloader = val_dataloader
