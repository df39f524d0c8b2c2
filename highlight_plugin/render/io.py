"""Atomic file writes: a reader never sees a half-written output."""
import json
import os
import os.path as osp
import tempfile


def atomic_write_text(path, text):
    directory = osp.dirname(osp.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.tmp-', dir=directory)
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as fh:
            fh.write(text)
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    return path


def write_json(path, obj):
    return atomic_write_text(path, json.dumps(obj, indent=2))
