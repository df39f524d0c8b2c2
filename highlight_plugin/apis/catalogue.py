"""Reels of a catalogue: many films, or many matches, with one :class:`~.predictor.HighlightPredictor` (networks
built once).

Items:

* **films**: every video of the inputs (files, folders searched recursively, ``.txt`` / ``.lst`` lists of videos, as
  ``extract_features`` takes them: :func:`~highlight_plugin.features.collect_videos`); its id is its path under the
  folder it was found in, without the extension (``season1/ep01``);
* **matches** (football): every folder of the inputs holding a first half ``1_<name>`` and a second half
  ``2_<name>`` of the same name (SoccerNet's ``<league>/<season>/<game>/{1,2}_224p.mkv``); its id is the folder's
  path under the input (plus ``/<name>`` when one folder holds several pairs, e.g. ``1_224p`` and ``1_720p``). A
  video that is no half of such a pair is reported as a failure. With ``features_dir`` a match reads its features
  from the same path under it (``<features_dir>/<league>/<season>/<game>/1_ResNET_TF2_PCA512.npy``).

Each item is written to ``<out_dir>/<id>/`` by :meth:`~.result.HighlightResult.write`, which stages everything beside
it and renames the finished folder into place: an item is **finished** when its folder holds ``highlights.json``
(written last). A rerun skips finished items (``overwrite`` redoes them), an item that fails is appended to
``<out_dir>/failures.jsonl`` and the batch goes on (a CUDA error or running out of GPU memory is recorded, then stops
the batch), a finished one to ``<out_dir>/reels.jsonl``. With ``world_size``
processes (torchrun / Slurm, see ``tools/make_highlights.py --launcher``) process ``rank`` takes items
``rank::world_size`` of the list sorted by id, so no item is done twice.
"""
import glob
import os.path as osp
import re
import shutil
import time
import traceback
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from ..engine.device import device_error
from ..engine.errors import ConfigError, DataError, HighlightError
from ..engine.fileio import append_jsonl
from ..render.outputs import FINISHED  # written last into an item's folder

_HALF = re.compile(r'^([12])_(.+)$')


@dataclass
class CatalogueItem:
    """One reel to make: its id (folder under the output), video, the domain's options, its features folder."""
    id: str
    video: str
    options: Dict[str, object] = field(default_factory=dict)
    features_dir: Optional[str] = None


def _item_id(path: Path, root: Path) -> str:
    rel = osp.relpath(str(path), str(root))
    return osp.basename(osp.abspath(str(root))) if rel == '.' else rel


def film_items(inputs: Sequence[str], features_dir: Optional[str] = None) -> List[CatalogueItem]:
    """One item per video of ``inputs`` (see the module doc)."""
    from .extract_catalogue import collect_videos
    return [CatalogueItem(_item_id(video.with_suffix(''), root), str(video), {}, features_dir)
            for video, root in collect_videos(inputs)]


def match_items(inputs: Sequence[str], features_dir: Optional[str] = None
                ) -> Tuple[List[CatalogueItem], List[Tuple[str, str]]]:
    """``(matches, rejected)``: one item per pair of halves in a folder of ``inputs``, and ``(video, why)`` for the
    videos that are no half of a pair (see the module doc)."""
    from .extract_catalogue import collect_videos
    halves, roots = defaultdict(dict), {}
    rejected = []
    for video, root in collect_videos(inputs):
        m = _HALF.match(video.stem)
        if not m:
            rejected.append((str(video), 'not a half of a match: a football catalogue takes folders holding '
                                         '1_<name> and 2_<name> (e.g. 1_224p.mkv, 2_224p.mkv)'))
            continue
        key = (video.parent, m.group(2))
        if m.group(1) in halves[key]:
            rejected.append((str(video), f'a second {m.group(1)}_{m.group(2)} video in {video.parent}'))
            continue
        halves[key][m.group(1)] = video
        roots[key] = root
    pairs = defaultdict(list)
    for (folder, name), found in halves.items():
        if set(found) != {'1', '2'}:
            (number, video), = found.items()
            rejected.append((str(video), f'no {3 - int(number)}_{name}.* beside it: a match needs both halves'))
            continue
        pairs[folder].append(name)
    items = []
    for (folder, name), found in halves.items():
        if set(found) != {'1', '2'}:
            continue
        root = roots[(folder, name)]
        match_id = _item_id(folder, root) + (f'/{name}' if len(pairs[folder]) > 1 else '')
        rel = osp.relpath(str(folder), str(root))
        features = None if features_dir is None else osp.normpath(osp.join(features_dir, rel))
        items.append(CatalogueItem(match_id, str(found['1']), dict(second_half=str(found['2'])), features))
    return items, rejected


def is_finished(out_dir: str) -> bool:
    return osp.isfile(osp.join(out_dir, FINISHED))


def run_catalogue(items: Sequence[CatalogueItem], out_dir: str, make, overwrite: bool = False, rank: int = 0,
                  world_size: int = 1, rejected: Sequence[Tuple[str, str]] = (), log=print) -> Dict[str, int]:
    """Make the reels of this process's share of ``items`` (see the module doc).

    Args:
        make: ``make(item, item_out_dir)`` makes one reel (the predictor, then writing its result).
        rejected: ``(video, why)`` of inputs that are no item, recorded as failures (by rank 0).
        log: where one line per item goes.

    Returns:
        ``dict(done=, skipped=, failed=)`` for this process.

    Raises:
        ConfigError: an option or the model is wrong for every item (the batch stops).
        DeviceError: the GPU failed (:func:`~highlight_plugin.engine.device.device_error`; the batch stops).
    """
    counts = dict(done=0, skipped=0, failed=0)
    failures = osp.join(out_dir, 'failures.jsonl')
    if rank == 0:
        for video, why in rejected:
            _fail(failures, video, None, DataError(f'{video}: {why}'), counts, log)
    seen = {}
    for item in sorted(items, key=lambda it: it.id):
        if item.id in seen:
            raise ConfigError(f'{item.video} and {seen[item.id]} would both write {out_dir}/{item.id}: rename one')
        seen[item.id] = item.video
    share = sorted(items, key=lambda it: it.id)[rank::world_size]
    for item in share:
        target = osp.join(out_dir, item.id)
        if is_finished(target) and not overwrite:
            counts['skipped'] += 1
            continue
        for stale in glob.glob(osp.join(osp.dirname(target), f'.partial-{glob.escape(osp.basename(target))}-*')):
            shutil.rmtree(stale, ignore_errors=True)  # left by a killed run of this item (only this rank makes it)
        begin = time.time()
        try:
            result = make(item, target)
        except ConfigError:
            raise
        except HighlightError as e:
            _fail(failures, item.video, item.id, e, counts, log)
            continue
        except Exception as e:  # noqa: BLE001 - one bad video must not stop the batch (a broken GPU does)
            stop = device_error(e, item.video)
            _fail(failures, item.video, item.id, stop or e, counts, log, traceback.format_exc(limit=3))
            if stop is not None:
                raise stop from e
            continue
        counts['done'] += 1
        append_jsonl(osp.join(out_dir, 'reels.jsonl'), dict(
            id=item.id, video=item.video, out=target, segments=len(result.segments),
            seconds=round(sum(s['end'] - s['start'] for s in result.segments), 3), took=round(time.time() - begin, 1),
            time=time.strftime('%Y-%m-%dT%H:%M:%S')))
        log(f'{item.id}: {len(result.segments)} clips -> {target}')
    return counts


def _fail(path, video, item_id, error, counts, log, tb=None):
    counts['failed'] += 1
    record = dict(video=str(video), id=item_id, error=str(error), type=type(error).__name__,
                  time=time.strftime('%Y-%m-%dT%H:%M:%S'))
    if tb:
        record['traceback'] = tb
    append_jsonl(path, record)
    log(f'FAILED {video}: {error}')
