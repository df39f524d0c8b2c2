# Engine-test config: the toy components of toy_components.py with this project's runner setup.
default_scope = 'mmaction'
custom_imports = dict(imports=['highlight_plugin', 'toy_components'], allow_failed_imports=False)
runner_type = 'HighlightRunner'

model = dict(type='ToyHighlightModel', in_channels=8, hidden=16, dropout=0.2)
loader = dict(
    batch_size=4,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='highlight_collate'))
train_dataloader = dict(loader, dataset=dict(type='ToyHighlightDataset', num_samples=24, seed=0))
val_dataloader = dict(
    loader, batch_size=2, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ToyHighlightDataset', num_samples=11, seed=1, test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(type='ToySaliencyMetric')
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-2))
param_scheduler = [dict(type='MultiStepLR', milestones=[2], gamma=0.5, by_epoch=True)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=3, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=4)

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=2, ignore_last=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='SafeCheckpointHook', interval=1, save_best='toy/acc', rule='greater',
                    max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'))
custom_hooks = []
env_cfg = dict(cudnn_benchmark=False, mp_cfg=dict(mp_start_method='fork'), dist_cfg=dict(backend='gloo'))
log_processor = dict(type='LogProcessor', window_size=2, by_epoch=True)
visualizer = dict(type='Visualizer', vis_backends=[dict(type='LocalVisBackend')])
log_level = 'WARNING'
randomness = dict(seed=0)
load_from = None
resume = False
