"""Text and JSON outputs, written atomically."""
import json

from ..engine.fileio import atomic_write


def atomic_write_text(path, text):
    with atomic_write(path, 'w', encoding='utf-8') as fh:
        fh.write(text)
    return path


def _is_numeric(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) or (
        isinstance(value, list) and all(_is_numeric(v) for v in value))


def dumps(obj, indent=2, level=0):
    """``json.dumps(obj, indent=indent)``, except that lists of numbers (or of such lists: score curves, class
    scores per second) stay on one line."""
    pad, inner = ' ' * (indent * level), ' ' * (indent * (level + 1))
    if isinstance(obj, dict) and obj:
        items = [f'{inner}{json.dumps(str(k))}: {dumps(v, indent, level + 1)}' for k, v in obj.items()]
        return '{\n' + ',\n'.join(items) + f'\n{pad}}}'
    if isinstance(obj, (list, tuple)) and obj and not _is_numeric(list(obj)):
        return '[\n' + ',\n'.join(f'{inner}{dumps(v, indent, level + 1)}' for v in obj) + f'\n{pad}]'
    return json.dumps(obj)


def write_json(path, obj):
    return atomic_write_text(path, dumps(obj))
