# TVSum in UMT's layout (TencentARC/UMT `tvsum-ec05ad4e.zip`): one sample per video of a category (set `domain`
# in the dataloaders' datasets; 4 train + 1 val videos each); video = rgb 1024 + optical flow 1024, audio 2048,
# query = `token` (L, 512) per video; saliency target (sum of 20 users' scores - 20) / 80; the (T, 20) scores
# travel as the `annotations` metainfo for TVSumMetric.
# No inference_cfg: the package's extractors do not produce these two-stream features.
dataset_type = 'TVSumDataset'
data_root = 'data/tvsum'
pipeline = [
    dict(type='LoadHighlightFeatures'),
    dict(type='PackHighlightInputs',
         meta_keys=('sample_idx', 'num_clips', 'clip_len', 'duration', 'vid', 'domain', 'annotations'))
]

train_dataloader = dict(
    batch_size=1,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='highlight_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='tvsum_anno.json', split='train',
                 pipeline=pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='highlight_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='tvsum_anno.json', split='val',
                 pipeline=pipeline, test_mode=True))
test_dataloader = val_dataloader

val_evaluator = dict(type='TVSumMetric')
test_evaluator = val_evaluator
