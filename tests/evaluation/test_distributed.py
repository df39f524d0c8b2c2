"""Metrics under 2-process (gloo) evaluation equal the single-process result:
every rank's results are gathered once, the sampler's padding is dropped."""
import os
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _samples(n):
    from mmaction.structures import ActionDataSample
    g = torch.Generator().manual_seed(0)
    out = []
    for i in range(n):
        scores = torch.randint(0, 5, (10, 3), generator=g)
        ds = ActionDataSample()
        ds.set_metainfo(dict(sample_idx=i, qid=100 + i, vid=f'v{i}', query='q', duration=20,
                             relevant_clip_ids=list(range(10)),
                             saliency_scores=scores.tolist(), relevant_windows=[[0, 20]]))
        ds.pred_saliency = torch.rand(10, generator=g)
        out.append(ds)
    return out


def _worker(rank, port, n, queue):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=2)
    from mmengine.evaluator import Evaluator
    samples = _samples(n)
    # DefaultSampler(shuffle=False, round_up=True): rank r takes r::2 of the
    # indices padded at the end with the first ones.
    indices = list(range(n)) + list(range(n))[:(-n) % 2]
    evaluator = Evaluator(dict(type='QVHighlightsMetric'))
    evaluator.process([samples[i] for i in indices[rank::2]])
    queue.put((rank, evaluator.evaluate(n)))
    dist.destroy_process_group()


@pytest.mark.skipif(not dist.is_available() or os.name != 'posix',
                    reason='needs torch.distributed and fork')
def test_two_ranks_equal_one():
    from mmengine.evaluator import Evaluator
    n = 9  # odd: rank 1 gets a padded duplicate of sample 0
    ctx = mp.get_context('fork')  # inherits the imported modules: fast start
    queue, port = ctx.Queue(), _free_port()
    procs = [ctx.Process(target=_worker, args=(rank, port, n, queue)) for rank in range(2)]
    for p in procs:
        p.start()
    results = dict(queue.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    evaluator = Evaluator(dict(type='QVHighlightsMetric'))
    evaluator.process(_samples(n))
    expected = evaluator.evaluate(n)
    assert results[0] == results[1] == expected
