# UMT-S on TVSum, VU category (TencentARC/UMT `umt_small_500e_tvsum_vu`).
_base_ = ['./_base_/umt_small_500e_tvsum.py']
train_dataloader = dict(dataset=dict(domain='VU'))
val_dataloader = dict(dataset=dict(domain='VU'))
test_dataloader = val_dataloader
