# UMT-S on TVSum, VT category (TencentARC/UMT `umt_small_500e_tvsum_vt`).
_base_ = ['./_base_/umt_small_500e_tvsum.py']
train_dataloader = dict(dataset=dict(domain='VT'))
val_dataloader = dict(dataset=dict(domain='VT'))
test_dataloader = val_dataloader
