# V&D Method 4 with NetRVLAD K=64 (their other named setting) on SoccerNet-v1.
_base_ = ['./netvlad512_concat_20s_v1.py']
model = dict(
    video_pool=dict(type='NetRVLAD', num_clusters=64),
    audio_pool=dict(type='NetRVLAD', num_clusters=64))
