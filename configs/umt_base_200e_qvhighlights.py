# UMT-B on QVHighlights (TencentARC/UMT `umt_base_200e_qvhighlights`): video = SlowFast 2304 + CLIP 512,
# audio = PANNs 2048, query = CLIP text tokens; saliency (weight 3.0) + boundary heads; 200 epochs of Adam 1e-3.
_base_ = [
    '_base_/models/umt_base.py', '_base_/datasets/qvhighlights.py', '_base_/schedules/adam_constant_200e.py',
    '_base_/default_runtime.py'
]
default_hooks = dict(checkpoint=dict(save_best='HL-min-VeryGood-mAP', rule='greater'))
