# V&D's SoccerNet-v1 setup: Labels.json, classes background/card/subs/soccer, v1 ResNET_PCA512 video.
# Spotting results use the devkit's v1 classes (card, subs, soccer) and compare with published v1 numbers.
_base_ = ['./soccernet_v2_highlight.py']
soccer_data = dict(feature_files=dict(video='ResNET_PCA512.npy', audio='VGGish.npy'), label_file='Labels.json',
                   classes='v1')
train_dataloader = dict(dataset=soccer_data)
val_dataloader = dict(dataset=soccer_data)
test_dataloader = dict(dataset=soccer_data)
# no extractor reproduces the 2018 ResNET_PCA512 features: make_highlights takes them from --features DIR only
inference_cfg = dict(recipe='soccernet_v1_2018')
