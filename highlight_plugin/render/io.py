"""Text and JSON outputs, written atomically."""
import json

from ..engine.fileio import atomic_write


def atomic_write_text(path, text):
    with atomic_write(path, 'w', encoding='utf-8') as fh:
        fh.write(text)
    return path


def write_json(path, obj):
    return atomic_write_text(path, json.dumps(obj, indent=2))
