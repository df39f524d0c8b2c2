# Transformer fusion (LateFusionArchi, docs/soccer.md §3.6): [CLS, v, a], 2 layers, d 512, 8 heads, FF 1024.
_base_ = ['./netvlad512_concat_20s_highlight.py']
model = dict(
    video_pool=dict(context_gating=False),
    audio_pool=dict(context_gating=False),
    fusion=dict(_delete_=True, type='TransformerFusion', dims=512, num_layers=2, num_heads=8,
                feedforward_channels=1024, dropout=0.1),
    dropout=0.6)
