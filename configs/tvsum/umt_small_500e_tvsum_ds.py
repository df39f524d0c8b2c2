# UMT-S on TVSum, DS category (TencentARC/UMT `umt_small_500e_tvsum_ds`).
_base_ = ['./_base_/umt_small_500e_tvsum.py']
train_dataloader = dict(dataset=dict(domain='DS'))
val_dataloader = dict(dataset=dict(domain='DS'))
test_dataloader = val_dataloader
