# UMT-B on QVHighlights "w/ PT" (TencentARC/UMT `umt_base_finetune_200e_qvhighlights`): the same model and schedule
# as umt_base_200e_qvhighlights.py, trained from the weights pre-trained on QVHighlights' ASR captions
# (`umt_base_pretrain_100e_asr`), fetched by their zoo name (highlight_plugin/weights/zoo.json).
_base_ = ['./umt_base_200e_qvhighlights.py']
load_from = 'umt-base-pretrain-100e-asr'
