"""Short end-to-end runs through mmengine's Runner on synthetic SoccerNet data (small K and dims)."""
import json

import numpy as np
import pytest
import torch
from mmengine.config import Config

from highlight_plugin.engine import HighlightRunner as Runner  # the configs' runner_type

from .synthetic import game_name, gt_annotation, write_json

D = 16


def make_data(root, num_games=3, rows=400, rng=None):
    """Goal windows carry a shifted feature pattern in both modalities, so the classes are learnable."""
    rng = rng or np.random.default_rng(0)
    games = [game_name(i) for i in range(num_games)]
    for game in games:
        anns = []
        for half in (1, 2):
            video = rng.standard_normal((rows, D)).astype(np.float32)
            audio = rng.standard_normal((rows, D))
            for w in range(rows // 40):
                if rng.random() < 0.4:
                    anns.append(gt_annotation(half, 20 * w + 7, 'Goal'))
                    video[40 * w:40 * w + 40, :4] += 2.0
                    audio[40 * w:40 * w + 40, 4:8] += 2.0
            (root / game).mkdir(parents=True, exist_ok=True)
            np.save(root / game / f'{half}_ResNET_TF2_PCA512.npy', video)
            np.save(root / game / f'{half}_VGGish.npy', audio)
        write_json(root / game / 'Labels-v2.json', dict(annotations=anns))
    (root / 'games.txt').write_text('\n'.join(games))
    return games


def small_cfg(path, root, work_dir, epochs=6):
    cfg = Config.fromfile(path)
    pool = dict(in_channels=D, num_clusters=4, out_channels=D)
    cfg.model.video_pool.update(pool)
    if cfg.model.get('audio_pool'):
        cfg.model.audio_pool.update(pool)
    cfg.model.fusion.dims = D
    if 'num_heads' in cfg.model.fusion:
        cfg.model.fusion.num_heads = 2
    cfg.model.test_chunk = 64
    for split in ('train', 'val', 'test'):
        loader = cfg[f'{split}_dataloader']
        loader.update(batch_size=8 if split != 'test' else 2, num_workers=0, persistent_workers=False)
        loader.dataset.update(data_root=str(root), ann_file='games.txt')
    cfg.optim_wrapper.accumulative_counts = 1
    cfg.train_cfg.max_epochs = epochs
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=100)
    cfg.work_dir = str(work_dir)
    return cfg


def test_training_loss_falls_then_test_and_dump(tmp_path):
    games = make_data(tmp_path / 'data')
    cfg = small_cfg('configs/soccernet/netvlad512_cmga-after_20s_highlight.py', tmp_path / 'data', tmp_path / 'work')
    cfg.test_evaluator = [dict(type='SoccerNetSpottingMetric', metric='loose'),
                          dict(type='SoccerNetSpottingDumper', out_dir=str(tmp_path / 'dump')),
                          dict(type='SoccerWindowAPMetric')]  # per-second scores vs reference labels
    runner = Runner.from_cfg(cfg)
    runner.train()
    losses = runner.message_hub.get_scalar('train/loss').data[0]
    assert np.mean(losses[-4:]) < 0.7 * np.mean(losses[:4])
    metrics = runner.test()
    assert 0 <= metrics['soccernet/a_mAP'] <= 1 and metrics['soccernet_dump/games'] == len(games)
    assert metrics['window/AP_goal'] > 0.5  # the learnable goal pattern is found second by second
    pred = json.loads((tmp_path / 'dump' / games[0] / 'results_spotting.json').read_text())
    assert {p['label'] for p in pred['predictions']} == {'kick', 'subs', 'card', 'goal'}


@pytest.mark.parametrize('config', ['netrvlad64_early-concat_20s_highlight', 'netvlad512_bottleneck_20s_highlight',
                                    'netvlad512_transformer_20s_highlight'])
def test_other_configs_train_one_epoch(tmp_path, config):
    make_data(tmp_path / 'data', num_games=1, rows=200)
    cfg = small_cfg(f'configs/soccernet/{config}.py', tmp_path / 'data', tmp_path / 'work', epochs=1)
    if cfg.model.fusion_position == 'before_pool' and cfg.model.fusion.type == 'ConcatFusion':
        cfg.model.video_pool.update(in_channels=2 * D, out_channels=2 * D)
    if cfg.model.fusion.type == 'UMTBottleneckFusion':
        cfg.model.fusion.heads = 2
    cfg.model.loss.pos_weight = 'auto'  # resolved by AutoPosWeightHook from the training windows
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.model.loss_fn.pos_weight is not None and runner.model.loss_fn.pos_weight[4] > 1


def test_umt_hotstar_gmu_config_builds_and_trains_a_step():
    from mmaction.registry import MODELS
    cfg = Config.fromfile('configs/umt_hotstar_gmu.py')
    model = MODELS.build(cfg.model)
    assert type(model.cross_enc).__name__ == 'GMUFusion'
    from mmaction.structures import ActionDataSample
    b, t = 2, 12
    samples = []
    for _ in range(b):
        ds = ActionDataSample()
        ds.set_metainfo(dict(num_clips=t, clip_len=1.0, duration=float(t)))
        ds.gt_saliency = (torch.rand(t) > 0.5).float()
        ds.gt_windows = torch.zeros((0, 2))
        samples.append(ds)
    inputs = dict(video=torch.randn(b, t, cfg.model.video_enc.in_channels),
                  audio=torch.randn(b, t, cfg.model.audio_enc.in_channels), video_mask=torch.ones(b, t))
    losses = model(inputs, samples, mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    assert torch.isfinite(total) and model.cross_enc.gate.weight.grad is not None
