import numpy as np
import pytest

from highlight_plugin.decoding.saliency import SaliencySegmentDecoder


def test_two_bumps_give_two_segments_best_first():
    scores = np.zeros(100)
    scores[10:20] = 0.9          # a 10-s bump
    scores[60:90] = 0.5          # a wider, weaker one
    segs = SaliencySegmentDecoder(min_len=5, max_len=40, top_k=5, rel_threshold=0.8)(scores, clip_len=1.0)
    assert segs[0] == dict(start=10.0, end=20.0, score=0.9)
    assert segs[1]['start'] == 60.0 and segs[1]['end'] == 90.0
    # the flat zero region still yields peaks, but never overlapping the taken segments
    for a in segs:
        for b in segs:
            assert a is b or a['end'] <= b['start'] or b['end'] <= a['start']


def test_length_limits_and_budget():
    scores = np.ones(200)
    scores[100] = 2.0
    segs = SaliencySegmentDecoder(min_len=15, max_len=30, top_k=3, budget=50)(scores, clip_len=2.0)
    assert all(15 <= s['end'] - s['start'] <= 30 for s in segs)
    assert sum(s['end'] - s['start'] for s in segs) <= 50
    assert segs[0]['start'] <= 200 < segs[0]['end']  # the peak clip (100 * 2 s) is inside the best segment


def test_short_video_and_duration_clip():
    segs = SaliencySegmentDecoder(min_len=15, max_len=60)(np.array([0.1, 0.5, 0.2]), clip_len=2.0, duration=5.0)
    assert segs == [dict(start=0.0, end=5.0, score=round((0.1 + 0.5 + 0.2) / 3, 4))]
    assert SaliencySegmentDecoder()(np.array([]), clip_len=1.0) == []
    with pytest.raises(ValueError):
        SaliencySegmentDecoder()(np.array([np.nan]), clip_len=1.0)
