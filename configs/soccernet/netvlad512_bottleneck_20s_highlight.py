# Attention-bottleneck fusion (docs/soccer.md §3.7): UMT's bottleneck layer at d = 512 with 4 learned tokens on the
# 40-frame sequences (before pooling), then one shared NetVLAD K=512 (no gating), dropout 0.5.
_base_ = ['./netvlad512_concat_20s_highlight.py']
model = dict(
    video_pool=dict(context_gating=False),
    audio_pool=None,
    fusion=dict(_delete_=True, type='UMTBottleneckFusion', dims=512, num_tokens=4, num_layers=1,
                fusion_type='sum', max_len=64),
    fusion_position='before_pool',
    dropout=0.5)
