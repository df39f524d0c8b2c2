# CMGA after pooling (CMGAArchi2, docs/soccer.md §3.5): CMGA on the pooled vectors as length-1 sequences.
_base_ = ['./netvlad512_concat_20s_highlight.py']
model = dict(
    video_pool=dict(context_gating=False),
    audio_pool=dict(context_gating=False),
    fusion=dict(_delete_=True, type='CMGAFusion', dims=512, num_heads=8, dropout=0.2),
    dropout=0.5)
