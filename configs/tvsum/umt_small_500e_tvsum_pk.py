# UMT-S on TVSum, PK category (TencentARC/UMT `umt_small_500e_tvsum_pk`).
_base_ = ['./_base_/umt_small_500e_tvsum.py']
train_dataloader = dict(dataset=dict(domain='PK'))
val_dataloader = dict(dataset=dict(domain='PK'))
test_dataloader = val_dataloader
