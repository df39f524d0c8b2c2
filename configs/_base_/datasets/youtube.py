# YouTube Highlights in UMT's layout (TencentARC/UMT `youtube-8a12ff08.zip`): one sample per video of a domain
# (set `domain` in the dataloaders' datasets); video = rgb 1024 + optical flow 1024 (two-stream), audio 2048,
# no query; clip label = match > 0. Every video's features fit in the per-worker cache (UMT keeps them in memory).
# No inference_cfg: the package's extractors do not produce these two-stream features.
dataset_type = 'YouTubeHighlightsDataset'
data_root = 'data/youtube'
pipeline = [
    dict(type='LoadHighlightFeatures', cache_size=512),
    dict(type='PackHighlightInputs', meta_keys=('sample_idx', 'num_clips', 'clip_len', 'duration', 'vid', 'domain'))
]

train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='highlight_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='youtube_anno.json', split='train',
                 pipeline=pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='highlight_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='youtube_anno.json', split='val',
                 pipeline=pipeline, test_mode=True))
test_dataloader = val_dataloader

val_evaluator = dict(type='YouTubeHighlightsMetric')
test_evaluator = val_evaluator
