"""The result of a prediction (:class:`HighlightResult`): segments, scores and what was learnt about each source,
saved beside the outputs (``result.npz``, versioned) so that a reel can be re-cut without running any network.

The file is a NumPy ``.npz`` (no pickles: loaded with ``allow_pickle=False``): one JSON document ``meta`` (the
segments, notes, options, each source's probe and clock, shot changes) and the arrays (the score curve, each
source's loudness envelope and 9:16 follow profile). An hour of film takes a few MB.
"""
import dataclasses
import json
import os.path as osp
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Dict, List, Optional

import numpy as np

from ..engine.errors import DataError
from ..engine.fileio import atomic_path

RESULT_FILE = 'result.npz'  # beside the outputs of every reel
FORMAT = 'highlight_plugin.result'
VERSION = 1  # bumped when the meaning of a field changes; older files are refused with a clear message


@dataclass
class HighlightResult:
    """A video's (or match's) highlights: ranked segments, the score curve and each source's analysis.

    ``segments`` are ranked (best first). Every segment is a dict with ``start``, ``end`` (seconds on the reel's clock
    of the file it is cut from: 0 = its first video frame) and ``score``; a football segment adds ``class``,
    ``confidence``, ``half``, ``event``, ``clock`` and, when the halves are two files, ``source``.

    Attributes:
        video: the (first) video: titles and the default source of a segment. sources: every file cut from -> has
            an audio track.
        duration: seconds of the plotted time axis; clip_len: seconds per ``scores`` row.
        scores: (T,) the plotted score curve (films: per-clip saliency; football: highlight score per second of
            match time, the second half after the first).
        plot_segments: the segments on the curve's time axis where it is not the files' (football).
        info: the domain's own fields of the JSON (query; classes and per-half class scores).
        keep: per segment, a span ``(a, b)`` its edges may not be snapped into (football: the event and its
            margins), or None.
        analysis: file -> its :class:`~highlight_plugin.analysis.SourceAnalysis` (clock, shot changes, pauses, the
            follow profile), once analysed.
        notes: remarks shown in the report and the JSON (a file without audio, ...).
        options: the options the prediction used (the model, its decoder's, the analysis'), for the record and for
            re-cuts.
        files: output name -> path, once written (:meth:`write`).
        order: the reel's order: 'story' (time: half, then start) or 'rank' (the order of ``segments``: an
            editor's, see :mod:`highlight_plugin.apis.recut`); the editor exports follow it.
        machine: the segments as the model cut them, when ``segments`` are an editor's (a re-cut); None: they are
            the model's.
        cuts: clip key -> what its clip was cut with (where it lies, its audio plan, its files' sizes), so that a
            re-cut reuses the clips that did not change (:func:`~highlight_plugin.render.reel.reusable_cuts`).
    """
    video: str
    duration: float
    clip_len: float
    scores: np.ndarray
    segments: List[dict]
    sources: Dict[str, bool] = field(default_factory=dict)
    plot_segments: Optional[List[dict]] = None
    info: dict = field(default_factory=dict)
    keep: Optional[List[tuple]] = None
    analysis: Dict[str, object] = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)
    options: dict = field(default_factory=dict)
    files: Dict[str, Optional[str]] = field(default_factory=dict)
    order: str = 'story'
    machine: Optional[List[dict]] = None
    cuts: Dict[str, dict] = field(default_factory=dict)

    @property
    def shots(self) -> Dict[str, list]:
        """file -> its shot changes (:class:`~highlight_plugin.analysis.Transition`), for the analysed files."""
        return {source: list(a.transitions) for source, a in self.analysis.items()}

    def source_of(self, segment: dict) -> str:
        """The file ``segment`` is cut from."""
        return str(segment.get('source', self.video))

    def write(self, out_dir: str, progress=None, **options) -> 'HighlightResult':
        """Write the clips, the reel, the JSON, the plot, the editor exports, the report page and this result
        (``result.npz``) into ``out_dir``; ``options``: those of
        :class:`~highlight_plugin.render.RenderOptions` (``cut``, ``reel``, ``vertical``, ``loudness``, ...).
        Returns ``self`` with ``files`` and each segment's ``clip`` / ``poster`` set."""
        from ..render import RenderOptions, write_highlights
        return write_highlights(self, out_dir, RenderOptions.from_kwargs(options), progress=progress)

    def save(self, path: str, root: Optional[str] = None) -> str:
        """Write the result to ``path`` (``.npz``, atomically); output paths are kept relative to ``root`` (default:
        the file's folder; a reel staged elsewhere gives its final folder)."""
        arrays = dict(scores=np.asarray(self.scores, np.float32))
        sources = {}
        for i, (source, a) in enumerate(sorted(self.analysis.items())):
            sources[source], own = _analysis_meta(a, f's{i}')
            arrays.update(own)
        root = osp.abspath(root) if root is not None else osp.dirname(osp.abspath(str(path)))
        meta = dict(format=FORMAT, version=VERSION, video=self.video, duration=self.duration, clip_len=self.clip_len,
                    segments=[_paths(s, _relative, root) for s in self.segments], sources=self.sources,
                    plot_segments=self.plot_segments, info=self.info, keep=self.keep, notes=self.notes,
                    options=self.options, analysis=sources, files=_paths(self.files, _relative, root),
                    order=self.order, machine=self.machine, cuts=self.cuts)
        arrays['meta'] = np.array(json.dumps(json_ready(meta)))
        with atomic_path(str(path)) as tmp:
            with open(tmp, 'wb') as f:
                np.savez_compressed(f, **arrays)
        return str(path)

    @classmethod
    def load(cls, path: str) -> 'HighlightResult':
        """Read a result written by :meth:`save` (a folder holding ``result.npz`` is read from there too).

        Raises:
            DataError: no such file, not a result, or a version this package does not read.
        """
        if osp.isdir(path):
            path = osp.join(path, RESULT_FILE)
        if not osp.isfile(path):
            raise DataError(f'{path}: no such file (a reel written by this version keeps its result there)')
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
            meta = json.loads(str(arrays.pop('meta')))
        except (OSError, ValueError, KeyError) as e:
            raise DataError(f'{path}: not a saved highlight result ({e})') from None
        if meta.get('format') != FORMAT:
            raise DataError(f'{path}: not a saved highlight result')
        if meta.get('version') != VERSION:
            raise DataError(f'{path}: a result of format version {meta.get("version")}; this package reads '
                            f'version {VERSION} (make the reel again)')
        analysis = {source: _analysis_from(m, arrays) for source, m in meta['analysis'].items()}
        keep = None if meta['keep'] is None else [None if k is None else tuple(k) for k in meta['keep']]
        root = osp.dirname(osp.abspath(path))
        return cls(meta['video'], meta['duration'], meta['clip_len'], arrays['scores'],
                   [_paths(s, _absolute, root) for s in meta['segments']], meta['sources'], meta['plot_segments'],
                   meta['info'], keep, analysis, meta['notes'], meta['options'], _paths(meta['files'], _absolute, root),
                   meta.get('order', 'story'), meta.get('machine'), meta.get('cuts') or {})


OUTPUT_KEYS = ('clip', 'poster', 'reel', 'plot', 'edl', 'otio', 'xml', 'report', 'result', 'json')


def _paths(record: dict, how, root) -> dict:
    """``record`` with its output paths (:data:`OUTPUT_KEYS`) made relative to ``root`` or absolute again: a reel's
    folder can move with its result."""
    return {k: (how(v, root) if k in OUTPUT_KEYS and isinstance(v, str) else v) for k, v in record.items()}


def _relative(path, root):
    rel = osp.relpath(osp.abspath(path), root)
    return path if rel.startswith('..') else rel


def _absolute(path, root):
    return path if osp.isabs(path) else osp.join(root, path)


def json_ready(value):
    """JSON-ready: numpy scalars and arrays, tuples, Fractions (as ``'num/den'``) and dataclasses."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: json_ready(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, Fraction):
        return f'{value.numerator}/{value.denominator}'
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _analysis_meta(a, key):
    """``(meta, arrays)`` of a :class:`~highlight_plugin.analysis.SourceAnalysis` (arrays named ``key/...``)."""
    arrays = {}
    cut = json_ready(dataclasses.replace(a.cut, grid=None))
    cut['grid'] = dict(rate=json_ready(a.cut.grid.rate), times=None)
    if a.cut.grid.times is not None:  # a variable-rate file's frame times
        arrays[f'{key}/frame_times'] = np.asarray(a.cut.grid.times, np.float64)
        cut['grid']['times'] = f'{key}/frame_times'
    meta = dict(path=a.path, duration=a.duration, cut=cut, starts=json_ready(a.starts),
                transitions=[t.as_dict(ndigits=6) for t in a.transitions], audio_stream=a.audio_stream,
                silent_features=a.silent_features, envelope=None, profile=None)
    if a.envelope is not None:
        state = a.envelope.state()
        arrays[f'{key}/envelope'] = state.pop('power')
        meta['envelope'] = dict(state, array=f'{key}/envelope')
    if a.profile is not None:
        state = a.profile.state()
        arrays[f'{key}/motion'], arrays[f'{key}/detail'] = state.pop('motion'), state.pop('detail')
        meta['profile'] = dict(state, arrays=[f'{key}/motion', f'{key}/detail'])
    return meta, arrays


def _analysis_from(meta, arrays):
    """The :class:`~highlight_plugin.analysis.SourceAnalysis` saved by :func:`_analysis_meta`."""
    from ..analysis import ActivityProfile, LoudnessEnvelope, SourceAnalysis, Transition
    from ..media.clock import CutSource, FrameGrid, StreamStarts
    envelope = profile = None
    if meta['envelope'] is not None:
        state = dict(meta['envelope'])
        envelope = LoudnessEnvelope.from_state(dict(state, power=arrays[state.pop('array')]))
    if meta['profile'] is not None:
        state = dict(meta['profile'])
        motion, detail = (arrays[k] for k in state.pop('arrays'))
        profile = ActivityProfile.from_state(dict(state, motion=motion, detail=detail))
    cut = dict(meta['cut'])
    grid = cut.pop('grid')
    cut = _dataclass_from(CutSource, cut)
    cut.grid = FrameGrid(Fraction(grid['rate']), None if grid['times'] is None else arrays[grid['times']])
    return SourceAnalysis(meta['path'], meta['duration'], cut,
                          _dataclass_from(StreamStarts, meta['starts']),
                          [Transition(**t) for t in meta['transitions']], envelope, profile, meta['audio_stream'],
                          meta['silent_features'])


def _dataclass_from(cls, values: dict):
    """``cls(**values)`` with the ``'num/den'`` strings of Fraction fields turned back into Fractions."""
    out = {}
    for f in dataclasses.fields(cls):
        if f.name in values:
            v = values[f.name]
            out[f.name] = Fraction(v) if isinstance(v, str) and 'Fraction' in str(f.type) else v
    return cls(**out)
