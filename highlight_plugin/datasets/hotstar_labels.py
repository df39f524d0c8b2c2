"""Hotstar raw scene annotations -> ``labels.csv`` (docs/datasets.md §3).

Raw sheet: one row per scene with ``content_id``, ``start_position_scene`` /
``end_position_scene`` (``"0:01:23"``, ``"00:01:23.000"``) and one or more ``rating_*``
columns (``"4 - Good"``). Output columns ``content_id, start, end, label, rating, is_train``:
``rating`` = max over the non-empty ``rating_*`` of int(first character), ``label`` =
``rating > 3``, ``is_train`` from a seeded split by title (the dataset's own
:func:`~highlight_plugin.datasets.hotstar.split_titles`, so both agree).
"""
import csv
import os.path as osp
import re
from dataclasses import dataclass, field
from typing import List, Optional

from highlight_plugin.datasets.feature_io import array_length
from highlight_plugin.datasets.hotstar import AUDIO_REPEAT, LABEL_COLUMNS, POSITIVE_RATING, split_titles
from highlight_plugin.engine.errors import DataError
from highlight_plugin.engine.fileio import atomic_write

_TIME = re.compile(r'^\s*(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d*)?)\s*$')


def parse_timestamp(text: str) -> int:
    """``"H:MM:SS[.fff]"`` or ``"MM:SS"`` or plain seconds -> whole seconds (truncated)."""
    m = _TIME.match(str(text))
    if m:
        h, mi, s = m.groups()
        return int((int(h or 0) * 3600 + int(mi) * 60 + float(s)) // 1)
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f'not a timestamp: {text!r}') from None
    if value < 0:
        raise ValueError(f'negative timestamp: {text!r}')
    return int(value)


@dataclass
class HotstarReport:
    """What :func:`prepare_hotstar` did."""
    rows: int = 0
    titles: int = 0
    train_titles: int = 0
    positives: int = 0
    bad_rows: List[str] = field(default_factory=list)
    mismatches: List[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f'{self.rows} segments of {self.titles} titles ({self.train_titles} train titles), '
                 f'{self.positives} positive']
        if self.bad_rows:
            lines.append(f'{len(self.bad_rows)} bad rows skipped:')
            lines += ['  ' + b for b in self.bad_rows]
        if self.mismatches:
            lines.append(f'{len(self.mismatches)} feature mismatches:')
            lines += ['  ' + m for m in self.mismatches]
        return '\n'.join(lines)


def read_raw_annotations(path: str, skip_bad_rows: bool = False, report: Optional[HotstarReport] = None):
    """Parse the raw sheet into dicts (content_id, start, end, label, rating, row).

    Raises:
        DataError: a missing column, or bad rows (all listed with their line numbers)
            unless ``skip_bad_rows`` (then they are listed in ``report.bad_rows``).
    """
    if not osp.isfile(path):
        raise DataError(f'raw annotation file not found: {path}')
    report = report if report is not None else HotstarReport()
    rows, bad = [], []
    with open(path, newline='', encoding='utf-8-sig') as fh:
        reader = csv.DictReader(fh)
        cols = [c.strip() for c in reader.fieldnames or []]
        reader.fieldnames = cols
        rating_cols = [c for c in cols if c.startswith('rating_')]
        missing = [c for c in ('content_id', 'start_position_scene', 'end_position_scene') if c not in cols]
        if missing or not rating_cols:
            raise DataError(f'{path}: missing column(s) {missing + ([] if rating_cols else ["rating_*"])} '
                            f'(found {cols})')
        for rec in reader:
            line = reader.line_num
            try:
                cid = (rec['content_id'] or '').strip()
                if not cid:
                    raise ValueError('empty content_id')
                start = parse_timestamp(rec['start_position_scene'])
                end = parse_timestamp(rec['end_position_scene'])
                if end <= start:
                    raise ValueError(f'end {end} s <= start {start} s')
                values = [(rec.get(c) or '').strip() for c in rating_cols]
                values = [v for v in values if v]
                if not values:
                    raise ValueError(f'no rating in {", ".join(rating_cols)}')
                if not all(v[0].isdigit() for v in values):
                    raise ValueError(f'rating must start with a digit, got {values}')
                rating = max(int(v[0]) for v in values)
            except (ValueError, TypeError) as e:
                bad.append(f'{path}:{line}: {e}')
                continue
            rows.append(dict(content_id=cid, start=start, end=end, label=int(rating > POSITIVE_RATING),
                             rating=rating, row=line))
    if bad and not skip_bad_rows:
        raise DataError(f'{len(bad)} bad row(s) in {path} (use --skip-bad-rows to drop them):\n'
                        + '\n'.join(bad[:50]) + ('\n...' if len(bad) > 50 else ''))
    report.bad_rows += bad
    if not rows:
        raise DataError(f'{path}: no usable rows')
    return rows


def check_features(rows, feature_dir: str, video_dir: str = 'clip_features', audio_dir: str = 'panns_features',
                   video_key: str = 'features', audio_key: str = 'arr_0') -> List[str]:
    """One message per title with missing features and per segment beyond the usable
    length ``min(N_sec, 2 * N_2s)`` of its title."""
    messages, usable = [], {}
    for cid in sorted({r['content_id'] for r in rows}):
        video = osp.join(feature_dir, video_dir, f'{cid}.npz')
        audio = osp.join(feature_dir, audio_dir, f'{cid}.npz')
        absent = [p for p in (video, audio) if not osp.isfile(p)]
        if absent:
            messages.append(f'{cid}: missing {", ".join(absent)}')
            continue
        try:
            usable[cid] = min(array_length(video, video_key), AUDIO_REPEAT * array_length(audio, audio_key))
        except DataError as e:
            messages.append(f'{cid}: {e}')
    for r in rows:
        n = usable.get(r['content_id'])
        if n is not None and r['end'] > n:
            messages.append(f'{r["content_id"]} (row {r["row"]}): segment [{r["start"]}, {r["end"]}) s '
                            f'beyond the features ({n} s usable)')
    return messages


def prepare_hotstar(raw_csv: str, out_csv: str, feature_dir: Optional[str] = None, train_ratio: float = 0.9,
                    seed: int = 7, skip_bad_rows: bool = False) -> HotstarReport:
    """Write ``labels.csv`` from the raw sheet; with ``feature_dir`` (the dataset root holding
    ``clip_features/`` and ``panns_features/``) also check every title's feature lengths."""
    report = HotstarReport()
    rows = read_raw_annotations(raw_csv, skip_bad_rows, report)
    train, _ = split_titles([r['content_id'] for r in rows], train_ratio, seed)
    report.rows, report.titles = len(rows), len({r['content_id'] for r in rows})
    report.train_titles, report.positives = len(train), sum(r['label'] for r in rows)
    if feature_dir:
        report.mismatches = check_features(rows, feature_dir)
    with atomic_write(out_csv, 'w', newline='', encoding='utf-8') as fh:
        writer = csv.writer(fh)
        writer.writerow(LABEL_COLUMNS)
        for r in rows:
            writer.writerow([r['content_id'], r['start'], r['end'], r['label'], r['rating'],
                             r['content_id'] in train])
    return report
