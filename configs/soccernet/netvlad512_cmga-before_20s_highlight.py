# CMGA before pooling (CMGAArchi1): CMGA on the 40-frame sequences, then one shared NetVLAD K=512.
_base_ = ['./netvlad512_concat_20s_highlight.py']
model = dict(
    video_pool=dict(context_gating=False),
    audio_pool=None,
    fusion=dict(_delete_=True, type='CMGAFusion', dims=512, num_heads=8, dropout=0.2),
    fusion_position='before_pool',
    dropout=0.5)
