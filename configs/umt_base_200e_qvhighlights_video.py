# Video-only UMT-B on QVHighlights: no audio encoder and no cross-modal encoder.
_base_ = ['./umt_base_200e_qvhighlights.py']
model = dict(audio_enc=None, cross_enc=None)
train_dataloader = dict(dataset=dict(audio_features=()))
val_dataloader = dict(dataset=dict(audio_features=()))
test_dataloader = val_dataloader
inference_cfg = dict(audio=())
