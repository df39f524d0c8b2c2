# UMT-S on TVSum, PR category (TencentARC/UMT `umt_small_500e_tvsum_pr`).
_base_ = ['./_base_/umt_small_500e_tvsum.py']
train_dataloader = dict(dataset=dict(domain='PR'))
val_dataloader = dict(dataset=dict(domain='PR'))
test_dataloader = val_dataloader
