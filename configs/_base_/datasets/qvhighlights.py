# QVHighlights in its released layout: 2-s clips; video = SlowFast 2304 + CLIP 512, audio = PANNs 2048,
# query = CLIP text tokens 512.
dataset_type = 'QVHighlightsDataset'
data_root = 'data/qvhighlights'
data_prefix = dict(slowfast='slowfast_features', clip='clip_features', pann='pann_features',
                   text='clip_text_features')
features = dict(video_features=('slowfast', 'clip'), audio_features=('pann', ), query_feature='text')
pipeline = [dict(type='LoadHighlightFeatures'), dict(type='PackHighlightInputs')]

train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='highlight_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='highlight_train_release.jsonl',
                 data_prefix=data_prefix, pipeline=pipeline, **features))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='highlight_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='highlight_val_release.jsonl',
                 data_prefix=data_prefix, pipeline=pipeline, test_mode=True, **features))
test_dataloader = val_dataloader

val_evaluator = dict(type='QVHighlightsMetric')
test_evaluator = val_evaluator

# What a model trained on this layout reads from a raw video: SlowFast + CLIP per 2-s clip as video, PANNs per 2 s
# as audio, CLIP text tokens as the query; windows of 75 clips (150 s, the longest training video).
# recipe: how the training features were made (highlight_plugin/features/recipes.py); make_highlights
# extracts with it and refuses features of another recipe
inference_cfg = dict(recipe='hero_qvhighlights',
                     layout='qvhighlights', clip_len=2.0, video=('slowfast', 'clip'), audio=('panns', ),
                     query='clip', window=75)
