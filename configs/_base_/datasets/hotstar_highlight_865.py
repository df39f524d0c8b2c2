# Hotstar titles: scenes rated by people (rating > 3 = highlight), CLIP 512 at 1 fps, PANNs 2048 per 2 s.
# Split by title (seeded): no title is in both train and val.
dataset_type = 'HotstarHighlightDataset'
data_root = 'data/hotstar_highlight_865'
split_cfg = dict(split_by='title', train_ratio=0.9, seed=7)
pipeline = [dict(type='LoadHighlightFeatures', cache_size=4), dict(type='PackHighlightInputs')]

train_dataloader = dict(
    batch_size=32,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='highlight_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='labels.csv', split='train',
                 pipeline=pipeline, **split_cfg))
val_dataloader = dict(
    batch_size=1,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='highlight_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='labels.csv', split='val',
                 pipeline=pipeline, test_mode=True, **split_cfg))
test_dataloader = val_dataloader

val_evaluator = dict(type='HotstarMetric')
test_evaluator = val_evaluator

# What a model trained on this layout reads from a raw video (tools/make_highlights.py): CLIP at 1 fps as video,
# PANNs per 2 s (trailing remainder dropped, rows repeated onto the 1-s grid) as audio; windows of 120 s.
# recipe: how the training features were made (highlight_plugin/features/recipes.py); make_highlights
# extracts with it and refuses features of another recipe
inference_cfg = dict(recipe='univtg_hotstar',
                     layout='hotstar', clip_len=1.0, video=('clip', ), audio=('panns', ), drop_partial=('panns', ),
                     window=120)
