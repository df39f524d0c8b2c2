# V&D Method 4 (docs/soccer.md §3.2): NetVLAD K=512 with context gating per modality, pooled vectors
# concatenated, dropout (TF keep_prob 0.6 -> p = 0.4), FC(1024 -> C). 270,017,541 parameters for C = 5.
model = dict(
    type='SoccerSpotter',
    num_classes=5,
    video_pool=dict(type='NetVLAD', in_channels=512, num_clusters=512, out_channels=512, context_gating=True),
    audio_pool=dict(type='NetVLAD', in_channels=512, num_clusters=512, out_channels=512, context_gating=True),
    fusion=dict(type='ConcatFusion', dims=512),
    fusion_position='after_pool',
    dropout=0.4,
    loss=dict(type='MultiLabelBCELoss', pos_weight=None, reduction='sum_mean'),
    window_size=20,
    fps=2,
    test_chunk=256)
