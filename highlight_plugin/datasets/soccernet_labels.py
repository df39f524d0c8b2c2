"""SoccerNet annotations: class maps, ``gameTime`` parsing and per-half event lists.

A *class map* turns raw annotation labels into our class names. Each raw label maps to a class name or to
``None`` (a known label that is not one of our classes, e.g. a non-highlight event); a label absent from the
map is an error, so a typo or a new label set never disappears silently.
"""
import json
import os.path as osp

from ..engine.errors import ConfigError, DataError

# SoccerNet-v2 labels in the devkit's order (SoccerNet.Evaluation.utils.EVENT_DICTIONARY_V2).
V2_LABELS = ('Penalty', 'Kick-off', 'Goal', 'Substitution', 'Offside', 'Shots on target', 'Shots off target',
             'Clearance', 'Ball out of play', 'Throw-in', 'Foul', 'Indirect free-kick', 'Direct free-kick',
             'Corner', 'Yellow card', 'Red card', 'Yellow->red card')
V1_LABELS = ('soccer-ball', 'soccer-ball-own', 'y-card', 'r-card', 'yr-card', 'substitution-in')

# V&D's v1 setup: background + the devkit's 3 v1 classes (card, subs, soccer).
V1_CLASSES = ('background', 'card', 'subs', 'soccer')
V1_LABEL_MAP = {'soccer-ball': 'soccer', 'soccer-ball-own': 'soccer', 'y-card': 'card', 'r-card': 'card',
                'yr-card': 'card', 'substitution-in': 'subs'}

# The 17 v2 classes (+ background).
V2_CLASSES = ('background', ) + V2_LABELS
V2_LABEL_MAP = {label: label for label in V2_LABELS}

# 5-class highlight grouping (docs/datasets.md §7.3); other v2 labels are non-highlight events.
HIGHLIGHT_CLASSES = ('background', 'kick', 'subs', 'card', 'goal')
HIGHLIGHT_LABEL_MAP = {label: None for label in V2_LABELS}
HIGHLIGHT_LABEL_MAP.update({
    'Direct free-kick': 'kick', 'Indirect free-kick': 'kick', 'Penalty': 'kick', 'Corner': 'kick',
    'Substitution': 'subs', 'Yellow card': 'card', 'Red card': 'card', 'Yellow->red card': 'card',
    'Goal': 'goal', 'Shots on target': 'goal'})


def parse_game_time(game_time, where):
    """``"H - MM:SS"`` -> (half, seconds), parsed as the devkit does (half = first char, MM = [-5:-3])."""
    try:
        half = int(game_time[0])
        seconds = 60 * int(game_time[-5:-3]) + int(game_time[-2:])
    except (TypeError, ValueError, IndexError):
        raise DataError(f'{where}: malformed gameTime {game_time!r} (expected "H - MM:SS")') from None
    return half, seconds


def load_events(label_path, classes, label_map):
    """Read one game's label file into ``{half: [event, ...]}``.

    Each event is ``dict(second, position, label, cls, visible, index)``: ``second`` = 60·MM + SS from
    ``gameTime``, ``position`` the millisecond field or None, ``cls`` the index in ``classes`` and ``index``
    the annotation's position in the file (for messages). Labels mapped to None are left out.
    """
    if not osp.isfile(label_path):
        raise DataError(f'label file not found: {label_path}')
    try:
        with open(label_path) as fh:
            annotations = json.load(fh)['annotations']
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise DataError(f'{label_path}: not a SoccerNet label file ({exc})') from None
    class_index = {name: i for i, name in enumerate(classes)}
    events = {}
    for i, ann in enumerate(annotations):
        where = f'{label_path}: annotations[{i}]'
        if not isinstance(ann, dict) or 'gameTime' not in ann or 'label' not in ann:
            raise DataError(f'{where}: needs "gameTime" and "label"')
        if ann['label'] not in label_map:
            raise DataError(f'{where}: unknown label {ann["label"]!r}; the class map knows '
                            f'{sorted(label_map)}')
        name = label_map[ann['label']]
        if name is None:
            continue
        if name not in class_index:
            raise DataError(f'class map sends {ann["label"]!r} to {name!r}, which is not in classes {classes}')
        half, second = parse_game_time(ann['gameTime'], where)
        position = ann.get('position')
        events.setdefault(half, []).append(dict(
            second=second, position=None if position is None else int(position), label=ann['label'],
            cls=class_index[name], visible=ann.get('visibility', 'visible') != 'not shown', index=i))
    return events


# Named class setups a config selects with ``classes='highlight'`` (etc.): (class names, label map).
CLASS_PRESETS = {'v1': (V1_CLASSES, V1_LABEL_MAP), 'v2': (V2_CLASSES, V2_LABEL_MAP),
                 'highlight': (HIGHLIGHT_CLASSES, HIGHLIGHT_LABEL_MAP)}


def resolve_classes(classes, label_map):
    """``classes`` as a preset name or a list; ``label_map`` None means the preset's map."""
    if isinstance(classes, str):
        if classes not in CLASS_PRESETS:
            raise ConfigError(f'unknown class preset {classes!r}; choose from {sorted(CLASS_PRESETS)} or give a list')
        preset_classes, preset_map = CLASS_PRESETS[classes]
        return tuple(preset_classes), dict(preset_map if label_map is None else label_map)
    if label_map is None:
        raise ConfigError('an explicit classes list needs a label_map (raw label -> class name or None)')
    return tuple(classes), dict(label_map)
