# V&D's schedule (docs/soccer.md §5): Adam lr 0.01; LR / 10 after more than 10 epochs without a better validation
# window mAP while LR > 1e-4; stop after 30 stale epochs; at most 200 epochs; seed 1234.
# Not reproduced: V&D reload the best weights when they reduce the LR (mmengine's ReduceOnPlateauLR does not).
_base_ = ['../../_base_/default_runtime.py']

optim_wrapper = dict(optimizer=dict(type='Adam', lr=0.01), accumulative_counts=15)
param_scheduler = [dict(type='ReduceOnPlateauLR', monitor='window/mAP', rule='greater', factor=0.1, patience=10,
                        min_value=1e-4, by_epoch=True)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=200, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, save_best='window/mAP', rule='greater',
                                     max_keep_ckpts=1))
custom_hooks = [dict(type='EarlyStoppingHook', monitor='window/mAP', rule='greater', patience=30, min_delta=0.0),
                dict(type='AutoPosWeightHook')]  # no-op unless the loss has pos_weight='auto'
randomness = dict(seed=1234)
