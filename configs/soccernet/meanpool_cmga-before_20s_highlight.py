# CMGA before pooling with a masked temporal mean instead of NetVLAD (the student port's CMGAArchi4).
_base_ = ['./netvlad512_cmga-before_20s_highlight.py']
model = dict(video_pool=dict(_delete_=True, type='TemporalPooling', in_channels=512, mode='mean'))
