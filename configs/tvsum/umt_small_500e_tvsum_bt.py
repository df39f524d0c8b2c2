# UMT-S on TVSum, BT category (TencentARC/UMT `umt_small_500e_tvsum_bt`).
_base_ = ['./_base_/umt_small_500e_tvsum.py']
train_dataloader = dict(dataset=dict(domain='BT'))
val_dataloader = dict(dataset=dict(domain='BT'))
test_dataloader = val_dataloader
