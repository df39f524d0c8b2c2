"""Small reels for the review tests, made without any network: a synthetic edited film, its real analysis (shot
changes, pauses, the follow profile: one decode of the 64x36 frames and the audio), a hand-made score curve and
segments, written by the renderer as the tool writes a reel."""
import os.path as osp

import numpy as np

from highlight_plugin.analysis import ReelAnalysis
from highlight_plugin.apis import HighlightResult
from highlight_plugin.apis.extract import analyse_alone
from tests.helpers.synthetic import SOURCES, Shot, edited_video

SHOT = 5.0  # seconds per shot: cuts at 5, 10, 15, ...
# ranked (best first), on the reel's clock: none within 2 s of a cut, so snapping is visible when it happens
SEGMENTS = [(21.6, 26.0, 0.9), (1.6, 6.4, 0.8), (31.6, 37.0, 0.7), (11.6, 16.0, 0.6)]


def make_film(path, seconds=40, size='320x180', fps=25):
    """An edited film: ``seconds / SHOT`` shots of test patterns joined by cuts, speech-like audio with pauses."""
    shots = [Shot(SOURCES[i % len(SOURCES)], SHOT) for i in range(int(seconds / SHOT))]
    return edited_video(str(path), shots, size=size, fps=fps, pauses=[(8.0, 8.6), (28.0, 28.7)]).path


def make_result(video, follow=True) -> HighlightResult:
    """The result a prediction would give for ``video``: its real analysis, a smooth made-up curve, SEGMENTS."""
    analysis = ReelAnalysis(shots=True, pauses=True, follow=follow)
    a = analyse_alone(video, analysis)
    duration = a.duration
    t = np.arange(int(np.ceil(duration))) + 0.5
    scores = (0.5 + 0.4 * np.sin(t / 3.0) * np.cos(t / 7.0)).astype(np.float32)
    segments = [dict(start=s, end=e, score=score, snap=dict(start=None, end=None)) for s, e, score in SEGMENTS]
    return HighlightResult(str(video), duration, 1.0, scores, segments, sources={str(video): True},
                           analysis={str(video): a},
                           options=dict(model=dict(name=None, config=None, checkpoint=None, task='saliency'),
                                        predict=dict(snap=2.0, follow=follow), decoder=dict(min_len=4, max_len=8)))


def make_reel(folder, name='film', seconds=40, **render):
    """A finished reel in ``folder/name`` from a new film ``folder/name.mp4``; returns the reel folder."""
    video = make_film(osp.join(str(folder), f'{name}.mp4'), seconds)
    out = osp.join(str(folder), name)
    make_result(video).write(out, **render)
    return out
