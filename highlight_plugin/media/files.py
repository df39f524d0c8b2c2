"""Which files are media: videos found in files, folders (searched recursively) and list files."""
from pathlib import Path
from typing import Iterable, List, Tuple

from highlight_plugin.engine.errors import DataError

VIDEO_EXTS = {'.mp4', '.mkv', '.avi', '.mov', '.webm', '.m4v', '.flv', '.mpg', '.mpeg', '.ts',
              '.wmv', '.3gp', '.wav', '.mp3', '.m4a', '.flac', '.aac'}


def collect_videos(inputs: Iterable[str]) -> List[Tuple[Path, Path]]:
    """``(video, root)`` pairs from files, directories (searched recursively for media
    extensions) and ``.txt``/``.lst`` files listing one video per line (relative paths are
    relative to the list file); ``root`` is the directory the video was found under.

    Raises:
        DataError: an input does not exist or a list names a missing file (with line number).
    """
    found = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            found += [(v, p) for v in sorted(p.rglob('*'))
                      if v.suffix.lower() in VIDEO_EXTS and v.is_file()]
        elif p.is_file() and p.suffix.lower() in ('.txt', '.lst'):
            for lineno, line in enumerate(p.read_text().splitlines(), 1):
                line = line.strip()
                if not line or line.startswith('#'):
                    continue
                v = Path(line) if Path(line).is_absolute() else p.parent / line
                if not v.is_file():
                    raise DataError(f'{p}:{lineno}: listed video {line!r} does not exist')
                found.append((v, v.parent))
        elif p.is_file():
            found.append((p, p.parent))
        else:
            raise DataError(f'input {item!r} does not exist')
    seen, unique = set(), []
    for v, root in found:
        if v.resolve() not in seen:
            seen.add(v.resolve())
            unique.append((v, root))
    return unique
