import json

import numpy as np
import pytest
from mmaction.registry import TASK_UTILS

import highlight_plugin  # noqa: F401
from highlight_plugin.decoding.soccer import SoccerHighlightDecoder
from highlight_plugin.engine.errors import ConfigError

CLASSES = ('background', 'kick', 'subs', 'card', 'goal')


def curve(peaks, length=600, bg=0.0):
    scores = np.zeros((length, 5))
    scores[:, 0] = bg
    for t, name, p in peaks:
        scores[t, CLASSES.index(name)] = p
    return scores


@pytest.mark.parametrize('name,pre,post', [('goal', 9.130, 35.870), ('kick', 21.127, 3.873),
                                           ('card', 6.25, 18.75), ('subs', 7.692, 17.308)])
def test_length_cap_keeps_the_event_inside(name, pre, post):
    seg, = SoccerHighlightDecoder()(curve([(300, name, 0.9)]))
    assert seg['class'] == name and seg['score'] == 0.9
    assert seg['start'] == pytest.approx(300 - pre, abs=1e-3) and seg['end'] == pytest.approx(300 + post, abs=1e-3)


def test_background_suppression_threshold_and_local_maximum():
    dec = SoccerHighlightDecoder()
    assert dec(curve([(300, 'goal', 0.9)], bg=0.5)) == []  # 0.9 * (1 - 0.5) < 0.55
    assert dec(curve([(300, 'goal', 0.5)])) == []  # below the goal threshold
    segs = dec(curve([(300, 'goal', 0.9), (310, 'goal', 0.8)]))  # within MPD 20 s: one peak
    assert len(segs) == 1 and segs[0]['score'] == 0.9


def test_merge_never_exceeds_max_len_and_drops_no_event():
    segs = SoccerHighlightDecoder(merge_classes=False)(curve([(100, 'kick', 0.9), (115, 'kick', 0.8)]))
    assert len(segs) == 2  # merging would give 40 s > 25 s: a new span starts
    assert all(s['end'] - s['start'] <= 25 + 1e-6 for s in segs)
    assert segs[0]['start'] <= 100 <= segs[0]['end'] and segs[1]['start'] <= 115 <= segs[1]['end']

    short = dict(goal=dict(pre=2, post=3, mpd=5, merge_gap=4))
    seg, = SoccerHighlightDecoder(class_cfgs=short)(curve([(100, 'goal', 0.7), (108, 'goal', 0.9)]))
    assert (seg['start'], seg['end'], seg['score']) == (98.0, 111.0, 0.9)  # gap 3 s <= 4 s: merged


def test_nms_drops_overlapping_spans_of_a_class():
    cfg = dict(goal=dict(mpd=1))
    segs = SoccerHighlightDecoder(class_cfgs=cfg, merge_classes=False)(curve([(300, 'goal', 0.9), (303, 'goal', 0.8)]))
    assert len(segs) == 1 and segs[0]['score'] == 0.9


def test_min_len_stays_inside_the_half():
    cfg = dict(kick=dict(pre=0.5, post=0.5, min_len=4))
    seg, = SoccerHighlightDecoder(class_cfgs=cfg)(curve([(599, 'kick', 0.9)]))
    assert (seg['start'], seg['end']) == (596.0, 600.0)
    seg, = SoccerHighlightDecoder(class_cfgs=cfg)(curve([(0, 'kick', 0.9)]))
    assert (seg['start'], seg['end']) == (0.0, 4.0)


def test_cross_class_overlap_emitted_once_and_budget():
    dec = SoccerHighlightDecoder()
    segs = dec(curve([(300, 'goal', 0.7), (305, 'card', 0.9), (100, 'subs', 0.6)]))
    assert [s['class'] for s in segs] == ['subs', 'card']
    assert segs[1]['start'] == pytest.approx(300 - 9.13, abs=1e-3) and segs[1]['end'] == pytest.approx(335.87)
    budget = SoccerHighlightDecoder(budget=50)(curve([(300, 'goal', 0.7), (100, 'subs', 0.6), (500, 'card', 0.8)]))
    # best first: card (25 s), goal (45 s) would exceed 50 s and is skipped, subs (25 s) fits
    assert [s['class'] for s in budget] == ['subs', 'card']
    assert sum(s['end'] - s['start'] for s in budget) <= 50


def test_both_halves_in_match_time_and_json():
    dec = TASK_UTILS.build(dict(type='SoccerHighlightDecoder'))
    segs = dec.decode_match([curve([(300, 'goal', 0.9)], 2700), curve([(300, 'goal', 0.8)], 2690)])
    assert [s['half'] for s in segs] == [1, 2]
    assert segs[1]['start'] == pytest.approx(2700 + 300 - 9.13, abs=1e-3)
    json.dumps(segs)
    with pytest.raises(ConfigError, match='lacks'):
        SoccerHighlightDecoder(classes=('background', 'save'), class_cfgs=dict(save=dict(thresh=0.5)))
    with pytest.raises(ValueError, match='scores must be'):
        dec(np.zeros((10, 3)))


def test_event_keep_and_class_aliases():
    dec = SoccerHighlightDecoder()
    segs = dec(curve([(300, 'goal', 0.7), (305, 'card', 0.9), (100, 'subs', 0.6)]))
    assert [s['event'] for s in segs] == [100.0, 305.0]  # the merged goal+card span is named by the card
    cards, = SoccerHighlightDecoder(keep=['card'])(curve([(300, 'goal', 0.7), (305, 'card', 0.9)]))
    assert (cards['class'], cards['event']) == ('card', 305.0)
    np.testing.assert_allclose(dec.curve(curve([(3, 'goal', 0.8)], length=5, bg=0.5)), [0, 0, 0, 0.4, 0])
    with pytest.raises(ConfigError, match='cannot keep'):
        SoccerHighlightDecoder(keep=['save'])
    # v1 ('soccer') and v2 ('Goal', 'Yellow card') class names decode with their highlight group's numbers
    v1 = SoccerHighlightDecoder(classes=('background', 'card', 'subs', 'soccer'))
    assert v1.cfgs['soccer'] == v1.cfgs['soccer'] | {'thresh': 0.55, 'max_len': 45}
    v2 = SoccerHighlightDecoder(classes=('background', 'Goal', 'Yellow card', 'Throw-in'))
    assert set(v2.cfgs) == {'Goal', 'Yellow card'} and v2.cfgs['Yellow card']['post'] == 60


def test_a_run_of_close_events_never_becomes_one_segment_over_the_budget():
    """Kicks every 20 s and goals between them over ten minutes overlap one another: joined into one union they
    would make a segment ten minutes long that no budget keeps. Joins stop at the longest max_len of the classes
    joined; past it neighbours split their overlap, each keeping its event, and no second is shown twice."""
    events = [(t, 'kick', 0.6 + 0.01 * (i % 3)) for i, t in enumerate(range(30, 600, 20))]
    events += [(t, 'goal', 0.8) for t in (105, 305, 505)]
    dec = SoccerHighlightDecoder(class_cfgs=dict(kick=dict(mpd=5)))
    segs = dec(curve(events))
    assert len(segs) > 10
    for a, b in zip(segs, segs[1:]):
        assert a['end'] <= b['start'] + 1e-9
    for seg in segs:
        assert seg['end'] - seg['start'] <= 45 + 1e-6
        assert seg['start'] - 1e-6 <= seg['event'] <= seg['end'] + 1e-6
    assert {305.0, 505.0, 105.0} <= {s['event'] for s in segs if s['class'] == 'goal'}
    kept = SoccerHighlightDecoder(class_cfgs=dict(kick=dict(mpd=5)), budget=120)(curve(events))
    assert kept and sum(s['end'] - s['start'] for s in kept) <= 120
    assert {s['event'] for s in kept if s['class'] == 'goal'} == {105.0, 305.0, 505.0}  # the best ones first
