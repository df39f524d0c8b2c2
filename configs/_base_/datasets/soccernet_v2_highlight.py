# SoccerNet-v2 labels grouped into the 5 highlight classes (docs/datasets.md §7.3), 2-fps ResNet-TF2-PCA512 video
# and V&D VGGish-conv4 audio per half. Layout: data_root/<game>/{1,2}_<feature file>, data_root/<game>/Labels-v2.json;
# split lists as V&D's listgame_*.npy or text files with one game path per line.
dataset_type = 'SoccerNetWindowDataset'
data_root = 'data/soccernet'
window_size = 20
soccer_data = dict(
    type=dataset_type,
    data_root=data_root,
    data_prefix=dict(features='', labels=''),
    feature_files=dict(video='ResNET_TF2_PCA512.npy', audio='VGGish.npy'),
    label_file='Labels-v2.json',
    classes='highlight',  # preset in highlight_plugin/datasets/soccernet_labels.py (or a list + label_map)
    window_size=window_size,
    fps=2)

# A batch of V&D is all windows of 60 halves (~8,100 at 20 s): 540 windows (4 halves) x 15 accumulated steps.
train_dataloader = dict(
    batch_size=540, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='highlight_collate'),
    dataset=dict(ann_file='listgame_Train_300.npy', **soccer_data))
val_dataloader = dict(
    batch_size=540, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='highlight_collate'),
    dataset=dict(ann_file='listgame_Valid_100.npy', sample_mode='window', test_mode=True, **soccer_data))
test_dataloader = dict(  # one half per sample; the model unfolds the 1-s-stride windows
    batch_size=1, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='highlight_collate'),
    dataset=dict(ann_file='listgame_Test_100.npy', test_mode=True, **soccer_data))

val_evaluator = dict(type='SoccerWindowAPMetric')
test_evaluator = dict(type='SoccerNetSpottingMetric', metric='loose', nms_window=30, nms_threshold=0.0)

# What a spotter reads from a match (tools/make_highlights.py): ResNet-152 -> PCA 512 video and VGGish audio rows at
# the dataset's fps (layout 'soccernet'; --features reads the dataset's feature_files instead), scored per half on
# centred 1-s windows; events become highlight segments by SoccerHighlightDecoder (per-class offsets, NMS, merging,
# budget; docs/soccer.md §7).
inference_cfg = dict(task='spotting', layout='soccernet', recipe='soccernet_tf2_vandd', video=('resnet', ),
                     audio=('vggish', ), decoder=dict(type='SoccerHighlightDecoder'))
