# UMT-S on TVSum, MS category (TencentARC/UMT `umt_small_500e_tvsum_ms`).
_base_ = ['./_base_/umt_small_500e_tvsum.py']
train_dataloader = dict(dataset=dict(domain='MS'))
val_dataloader = dict(dataset=dict(domain='MS'))
test_dataloader = val_dataloader
