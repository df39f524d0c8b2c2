"""Extraction over many videos: skip-done, per-video failures, sharding; fitting a PCA on videos' features.

Per video: all outputs exist -> skipped (unless ``overwrite``); otherwise :func:`extract`
runs and every output is written atomically. A video that fails (unreadable, no audio,
too short, ...) is appended to ``DIR/failures.jsonl`` and the run goes on; a CUDA error or running out of GPU
memory is recorded too, then stops the run (:class:`~highlight_plugin.engine.errors.DeviceError`). Each success is
appended to ``DIR/extracted.jsonl`` with its duration, rows per feature and the audio
stream used. With ``world_size > 1`` process ``rank`` takes videos ``rank::world_size``
of the sorted list, so no video is done twice.
"""
import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from tqdm import tqdm

from ..engine.device import device_error
from ..engine.errors import ConfigError, DataError, HighlightError
from ..engine.fileio import append_jsonl, read_jsonl
from ..features.base import BaseExtractor
from ..features.layouts import Layout, save_array
from ..features.pca import PCA, MomentAccumulator
from ..features.provenance import check_same, write_provenance
from ..media.files import collect_videos  # noqa: F401  (re-exported)
from ..media.probe import probe
from .extract import ExtractOptions, expected_rows, extract


@dataclass
class ExtractionRun:
    """How :func:`run_extraction` goes over its videos: ``overwrite`` finished ones, the audio tracks preferred
    (default: the layout's), ffmpeg threads, this process's share (``rank`` of ``world_size``), progress bars, and
    the frame backend (:class:`~.extract.ExtractOptions`)."""
    overwrite: bool = False
    audio_languages: Optional[Sequence[str]] = None
    decode_threads: int = 0
    rank: int = 0
    world_size: int = 1
    progress: bool = True
    backend: str = 'ffmpeg'


def run_extraction(videos: Sequence[Tuple[Path, Path]], out_dir: str, layout: Layout,
                   extractors: Mapping[str, BaseExtractor], run: Optional[ExtractionRun] = None,
                   **fields) -> Dict[str, int]:
    """Extract and write the features of ``videos`` (see module doc); ``run``: an :class:`ExtractionRun` (or its
    fields by name).

    Returns:
        counts ``dict(done=, skipped=, failed=)`` for this process.
    """
    run = replace(run or ExtractionRun(), **fields)
    out_dir = Path(out_dir)
    # the recipe's tail rule when the extractors were built for one (builder.build_extractors), else the layout's
    options = ExtractOptions(
        audio_languages=layout.audio_languages if run.audio_languages is None else tuple(run.audio_languages),
        drop_partial=[n for n, ex in extractors.items() if getattr(ex, 'drop_partial', n in layout.drop_partial)],
        decode_threads=run.decode_threads, backend=run.backend)
    videos = sorted(videos, key=lambda vr: str(vr[0]))[run.rank::run.world_size]
    counts = dict(done=0, skipped=0, failed=0)
    owners = {}  # output path -> video, to catch two inputs writing the same file
    bar = tqdm(videos, desc=f'videos[{run.rank}]' if run.world_size > 1 else 'videos', unit='video',
               disable=not run.progress, position=0)
    for video, root in bar:
        fields = layout.fields(video, root)
        paths = {n: layout.path(out_dir, n, fields) for n in extractors}
        clash = [str(owners[p]) for p in paths.values() if p in owners]
        if clash:
            _fail(out_dir, video, DataError(f'{video}: same output files as {clash[0]} '
                                            f'(video ids must be unique)'), counts)
            continue
        owners.update({p: video for p in paths.values()})
        if not run.overwrite and all(p.exists() for p in paths.values()):
            for n, p in paths.items():  # never let a rerun with other settings pass over them silently
                if hasattr(extractors[n], 'provenance'):
                    check_same(p, n, extractors[n].provenance)
            counts['skipped'] += 1
        elif _extract_one(video, fields, paths, (out_dir, layout, extractors), options, run, counts):
            counts['done'] += 1
        bar.set_postfix(counts)
    return counts


def _extract_one(video, fields, paths, where, options: ExtractOptions, run: ExtractionRun, counts) -> bool:
    """Extract one video and write its features (``where``: the output folder, layout and extractors); a failure
    is recorded and False returned, except a broken GPU or another recipe's features, which stop the run."""
    out_dir, layout, extractors = where
    try:
        info = probe(video)
        total = sum(expected_rows(info.duration, ex.clip_len) for ex in extractors.values())
        with tqdm(total=total or None, desc=fields['vid'][:30], unit='clip', leave=False,
                  disable=not run.progress, position=1) as clips:
            result = extract(str(video), extractors, options, on_rows=clips.update, info=info)
        n = min(len(f) for f in result.features.values())
        for name, feats in result.features.items():
            if hasattr(extractors[name], 'provenance'):
                write_provenance(paths[name], name, extractors[name].provenance, run.overwrite)
            layout.write(out_dir, name, fields, feats[:n] if layout.same_length else feats,
                         dtype=getattr(extractors[name], 'dtype', None))
    except ConfigError:
        raise  # features of another recipe in the output directory: the whole run is wrong
    except HighlightError as e:
        _fail(out_dir, video, e, counts)
        return False
    except Exception as e:  # noqa: BLE001 - one bad video must not stop the run (a broken GPU does)
        stop = device_error(e, str(video))
        _fail(out_dir, video, stop or e, counts, tb=traceback.format_exc(limit=3))
        if stop is not None:
            raise stop from e
        return False
    stream = result.audio_stream
    append_jsonl(str(out_dir / 'extracted.jsonl'), dict(
        video=str(video), **fields, duration=result.info.duration, rows=result.rows,
        audio_stream=None if stream is None else dict(index=stream.index, language=stream.language),
        time=time.strftime('%Y-%m-%dT%H:%M:%S')))
    return True


def _fail(out_dir: Path, video: Path, error: Exception, counts: dict, tb: Optional[str] = None):
    counts['failed'] += 1
    record = dict(video=str(video), error=str(error), type=type(error).__name__,
                  time=time.strftime('%Y-%m-%dT%H:%M:%S'))
    if tb:
        record['traceback'] = tb
    append_jsonl(str(out_dir / 'failures.jsonl'), record)
    tqdm.write(f'FAILED {video}: {error}')


def read_queries(path: str) -> List[Tuple[int, str]]:
    """``(qid, query)`` pairs of a QVHighlights-style JSON-lines file.

    Raises:
        DataError: unreadable line or missing ``qid``/``query`` (with the line number).
    """
    out = []
    for lineno, rec in read_jsonl(path):
        try:
            out.append((int(rec['qid']), str(rec['query'])))
        except (ValueError, KeyError, TypeError) as e:
            raise DataError(f'{path}:{lineno}: expected a JSON object with "qid" and "query" ({e})') from None
    return out


def run_text_extraction(queries: Sequence[Tuple[int, str]], out_dir: str, layout: Layout,
                        encoder, overwrite: bool = False, batch_size: int = 64,
                        rank: int = 0, world_size: int = 1) -> Dict[str, int]:
    """Write CLIP text features per query (``layout.text`` pattern, e.g. ``qid{qid}.npz``)."""
    if layout.text is None:
        raise DataError(f'layout {layout.name!r} has no text features')
    shard = sorted(queries)[rank::world_size]
    todo = [(q, s) for q, s in shard
            if overwrite or not (Path(out_dir) / layout.text.pattern.format(qid=q)).exists()]
    for i in range(0, len(todo), batch_size):
        chunk = todo[i:i + batch_size]
        for (qid, _), arrays in zip(chunk, encoder([s for _, s in chunk])):
            path = Path(out_dir) / layout.text.pattern.format(qid=qid)
            if getattr(encoder, 'provenance', None):
                write_provenance(path, 'text', encoder.provenance, overwrite)
            save_array(path, arrays=arrays)
    return dict(done=len(todo), skipped=len(shard) - len(todo))


def fit_pca_on_videos(videos: Sequence[str], out_path: str, extractor, n_components: int = 512,
                      backend: str = 'ffmpeg') -> PCA:
    """Extract the raw ResNet features of ``videos`` (training videos) with ``extractor`` (one without a PCA, e.g.
    :func:`~highlight_plugin.features.keras_resnet.raw_soccernet_extractor`), fit the PCA on all their rows
    (streaming moments) and save it to ``out_path``, recording which features it was fitted on. ``backend``: what
    reads the frames."""
    if not out_path:
        raise ConfigError('--fit-pca needs --pca PATH to save the fitted PCA')
    if extractor.pca is not None:
        raise ConfigError('fit the PCA on raw features: the extractor already applies a PCA')
    acc = MomentAccumulator()
    for v in tqdm(videos, desc='PCA videos', unit='video'):
        acc.update(extract(str(v), dict(resnet=extractor), backend=backend).features['resnet'])
    pca = acc.pca(n_components, getattr(extractor, 'feature_tag', None))
    pca.save(out_path)
    return pca
