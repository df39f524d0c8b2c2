"""Read mmengine's json training logs and plot per-epoch curves.

mmengine's ``LocalVisBackend`` writes one json dict per line to
``<work_dir>/<timestamp>/vis_data/scalars.json``: training lines carry ``iter``
(global), ``epoch``, ``loss``, ``lr``...; validation lines carry the metrics and
``step`` (the epoch, for epoch-based loops). A resumed run starts a new
``<timestamp>`` folder; :func:`load_scalars` merges them, later runs winning.
"""
import glob
import json
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

from .errors import DataError

#: logged values that are bookkeeping, not curves
_NOT_CURVES = {'epoch', 'iter', 'step', 'time', 'data_time', 'memory', 'eta'}


def find_scalar_files(path: str) -> List[str]:
    """The json logs of ``path``: the file itself, or every run of a work dir, oldest first."""
    if osp.isfile(path):
        return [path]
    if not osp.isdir(path):
        raise DataError(f'no such log file or work dir: {path}')
    files = sorted(glob.glob(osp.join(path, '*', 'vis_data', 'scalars.json')))
    if not files:
        raise DataError(f'{path} has no <timestamp>/vis_data/scalars.json (was it a work dir '
                        'of tools/train.py with LocalVisBackend?)')
    return files


def load_scalars(path: str) -> Dict[str, Dict[int, dict]]:
    """``{'train': {epoch: {key: value}}, 'val': {epoch: {key: value}}}`` of ``path``.

    Training values are averaged over the epoch's logged iterations, except
    ``lr`` (the last value). Epochs repeated by a resumed run are replaced.
    """
    train: Dict[int, Dict[int, dict]] = defaultdict(dict)  # epoch -> iter -> line
    val: Dict[int, dict] = {}
    for file in find_scalar_files(path):
        with open(file) as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    raise DataError(f'{file}:{lineno}: not a json line') from None
                if 'iter' in entry:
                    train[int(entry.get('epoch', entry['step']))][int(entry['iter'])] = entry
                else:
                    val[int(entry['step'])] = entry
    out = dict(train={}, val={k: _curves(v) for k, v in sorted(val.items())})
    for epoch, lines in sorted(train.items()):
        lines = [lines[i] for i in sorted(lines)]
        keys = {k for line in lines for k in _curves(line)}
        out['train'][epoch] = {
            k: (lines[-1].get(k) if k == 'lr' else
                sum(line[k] for line in lines if k in line) / sum(k in line for line in lines))
            for k in keys}
    return out


def _curves(entry: dict) -> dict:
    return {k: v for k, v in entry.items()
            if k not in _NOT_CURVES and isinstance(v, (int, float)) and not isinstance(v, bool)}


def plot_curves(path: str, keys: Optional[Sequence[str]], out: str, title: Optional[str] = None) -> str:
    """Plot ``keys`` (default: loss, lr and every validation metric) per epoch into ``out``."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    scalars = load_scalars(path)
    available = {k for split in scalars.values() for entry in split.values() for k in entry}
    if not keys:
        val_keys = sorted({k for e in scalars['val'].values() for k in e})
        keys = [k for k in ('loss', 'lr') if k in available] + val_keys
    missing = [k for k in keys if k not in available]
    if missing:
        raise DataError(f'{path}: no logged values for {missing}; available: {sorted(available)}')
    fig, axes = plt.subplots(len(keys), 1, figsize=(7, 2.6 * len(keys)), squeeze=False)
    for ax, key in zip(axes[:, 0], keys):
        for split, style in (('train', '-'), ('val', 'o-')):
            points = [(e, v[key]) for e, v in scalars[split].items() if key in v]
            if points:
                ax.plot(*zip(*points), style, label=f'{split} {key}')
        ax.set_ylabel(key)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(loc='best', fontsize='small')
    axes[-1, 0].set_xlabel('epoch')
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
