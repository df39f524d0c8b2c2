# UMT-S on TVSum, FM category (TencentARC/UMT `umt_small_500e_tvsum_fm`).
_base_ = ['./_base_/umt_small_500e_tvsum.py']
train_dataloader = dict(dataset=dict(domain='FM'))
val_dataloader = dict(dataset=dict(domain='FM'))
test_dataloader = val_dataloader
