# UMT-B for QVHighlights (joint moment retrieval + highlight detection; docs/umt.md §8):
# SlowFast+CLIP video (2816), PANNs audio (2048), CLIP text tokens (512). 14,890,244 parameters.
# Variants by override: audio_enc=None + cross_enc=None (video only); query_gen=None (no query:
# the decoder runs on the fused clips); query_gen=None + query_dec=None (Hotstar: heads on r).
model = dict(
    type='HighlightUMT',
    video_enc=dict(type='UMTUniModalEncoder', in_channels=2816, dims=256, num_layers=1,
                   input_dropout=0.5, max_len=5000),
    audio_enc=dict(type='UMTUniModalEncoder', in_channels=2048, dims=256, num_layers=1,
                   input_dropout=0.5, max_len=5000),
    cross_enc=dict(type='UMTBottleneckFusion', dims=256, num_tokens=4, num_layers=1,
                   fusion_type='sum', max_len=5000),
    query_gen=dict(type='UMTQueryGenerator', in_channels=512, dims=256, input_dropout=0.3),
    query_dec=dict(type='UMTQueryDecoder', num_layers=3, dims=256, max_len=5000,
                   use_mask=False),  # True: fix docs/umt.md §11.1 (decoder ignores padded clips)
    saliency_head=dict(type='UMTSaliencyHead', dims=256, loss_weight=3.0,
                       valid_mean=False),  # True: fix §11.2 (BCE over valid clips only)
    boundary_head=dict(type='UMTBoundaryHead', dims=256, unit=2.0, radius_factor=0.2,
                       sigma_factor=0.2, kernel=1,  # odd kernel > 1: fix §11.3 (peak suppression)
                       max_num_moments=100, center_loss_weight=1.0, window_loss_weight=0.1,
                       offset_loss_weight=1.0))
