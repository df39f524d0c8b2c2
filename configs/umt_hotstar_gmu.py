# UMT on Hotstar with its bottleneck cross-modal encoder replaced by a GMU (the fusion interface is shared,
# so any soccer fusion head plugs in by this one override).
_base_ = ['./umt_hotstar.py']
model = dict(cross_enc=dict(_delete_=True, type='GMUFusion', dims=256, hidden_channels=256))
