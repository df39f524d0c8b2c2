# GMU fusion of the pooled vectors (docs/soccer.md §3.4): NetVLAD K=512 without gating, dropout 0.5.
_base_ = ['./netvlad512_concat_20s_highlight.py']
model = dict(
    video_pool=dict(context_gating=False),
    audio_pool=dict(context_gating=False),
    fusion=dict(_delete_=True, type='GMUFusion', dims=512, hidden_channels=512),
    dropout=0.5)
