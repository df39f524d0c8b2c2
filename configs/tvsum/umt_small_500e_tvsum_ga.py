# UMT-S on TVSum, GA category (TencentARC/UMT `umt_small_500e_tvsum_ga`).
_base_ = ['./_base_/umt_small_500e_tvsum.py']
train_dataloader = dict(dataset=dict(domain='GA'))
val_dataloader = dict(dataset=dict(domain='GA'))
test_dataloader = val_dataloader
