# V&D Method 6: frame features concatenated along the feature axis (1024-d), one NetRVLAD K=64
# with output 1024, dropout, FC. (V&D's TF code concatenated along time by mistake; docs/soccer.md §3.3.)
_base_ = ['./netvlad512_concat_20s_highlight.py']
model = dict(
    video_pool=dict(type='NetRVLAD', in_channels=1024, num_clusters=64, out_channels=1024),
    audio_pool=None,
    fusion=dict(type='ConcatFusion', dims=512),
    fusion_position='before_pool')
