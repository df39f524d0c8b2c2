"""SoccerNet's ``video.ini``: where each half starts in an untrimmed (HQ) match video.

SoccerNet game folders with the raw broadcast files hold a ``video.ini`` with one section per video file and
the half's kick-off and length in seconds (read by SoccerNet's ``Features/ConvertHQtoLQ.py`` and
``ExtractResNET_TF2.py``, which trim with ``-ss start -t duration`` before extracting features)::

    [1_HQ.mkv]
    start_time_second = 66
    duration_second = 2700

The published features and the 224p/720p files start at the kick-off, so feature time t is video time
``start + t`` in the untrimmed file.
"""
import configparser
import os.path as osp
from typing import Dict, NamedTuple, Optional

from ..engine.errors import DataError

FILE_NAME = 'video.ini'
START_KEY, DURATION_KEY = 'start_time_second', 'duration_second'


class HalfTiming(NamedTuple):
    start: float  # seconds into the video file where the half begins
    duration: Optional[float]  # seconds, None when the section gives none


def read_video_ini(path: str) -> Dict[str, HalfTiming]:
    """``{section (video file name): HalfTiming}``; a malformed file or value is a DataError naming it."""
    parser = configparser.ConfigParser()
    try:
        with open(path, encoding='utf-8') as fh:
            parser.read_file(fh)
    except OSError as e:
        raise DataError(f'cannot read {path}: {e.strerror or e}') from None
    except configparser.Error as e:
        raise DataError(f'{path}: not an ini file ({str(e).splitlines()[0]})') from None
    out = {}
    for name in parser.sections():
        section = parser[name]
        try:
            start = float(section[START_KEY])
            duration = float(section[DURATION_KEY]) if DURATION_KEY in section else None
        except KeyError:
            raise DataError(f'{path}: section [{name}] has no {START_KEY}') from None
        except ValueError as e:
            raise DataError(f'{path}: section [{name}]: {e}') from None
        if start < 0 or (duration is not None and duration <= 0):
            raise DataError(f'{path}: section [{name}]: start must be >= 0 and duration > 0')
        out[name] = HalfTiming(start, duration)
    return out


def half_timing(video: str, half: int, ini_path: Optional[str] = None) -> Optional[HalfTiming]:
    """The timing of ``video`` (half number ``half``) from a ``video.ini``.

    Without ``ini_path`` the ``video.ini`` beside the video is used, and only a section named after the video file
    applies (SoccerNet's 224p/720p files sit beside a ``video.ini`` that describes the HQ files: they are already
    trimmed). An ``ini_path`` given explicitly must apply: its section for the file name, else its one section for
    the half (a name starting with ``{half}_``); none is a DataError.
    """
    path = ini_path or osp.join(osp.dirname(osp.abspath(video)), FILE_NAME)
    if ini_path is None and not osp.isfile(path):
        return None
    sections = read_video_ini(path)
    name = osp.basename(video)
    if name in sections:
        return sections[name]
    if ini_path is None:
        return None
    of_half = [s for s in sections if s.startswith(f'{half}_')]
    if len(of_half) != 1:
        raise DataError(f'{ini_path}: no section [{name}] and {len(of_half)} sections for half {half} '
                        f'(sections: {", ".join(sections) or "none"})')
    return sections[of_half[0]]
