# UMT-S on TVSum, BK category (TencentARC/UMT `umt_small_500e_tvsum_bk`).
_base_ = ['./_base_/umt_small_500e_tvsum.py']
train_dataloader = dict(dataset=dict(domain='BK'))
val_dataloader = dict(dataset=dict(domain='BK'))
test_dataloader = val_dataloader
