"""Pauses in the audio: a streaming loudness envelope and the quietest moment near a time.

The envelope is fed the mono float samples the audio extractor already receives (PANNs: 32 kHz float32, in chunks
of any size) and keeps one number per ``hop`` (10 ms: 2.9 MB for two hours), never the audio. A moment's level is
the mean power over a ``window`` centred on it (250 ms: longer than the gaps between syllables, shorter than a
breath between sentences), so the quietest moment near a segment edge is where a cut falls between words.
"""
from typing import Optional

import numpy as np

SILENCE_DB = -100.0  # the level of digital silence (the floor of the envelope)


class LoudnessEnvelope:
    """Short-time power of a mono stream, in dBFS per ``hop`` seconds.

    Args:
        sample_rate (int): of the samples pushed.
        hop (float): seconds per envelope value.
        start (float): the time of the first sample on the caller's clock (a video's audio can start a few tens of
            milliseconds before or after its first frame, the reel's time 0); every time given or returned is on
            that clock.
    """

    def __init__(self, sample_rate=32000, hop=0.01, start=0.0):
        self.sample_rate, self.hop, self.start = int(sample_rate), float(hop), float(start)
        self.hop_samples = max(1, int(round(hop * sample_rate)))
        self._rest = np.zeros(0, np.float32)
        self._power = []  # arrays of per-hop mean power (linear)
        self._cum = None

    def push(self, samples):
        """Add the next mono samples (float, full scale 1.0)."""
        x = np.asarray(samples, np.float32).reshape(-1)
        if self._cum is not None:
            raise RuntimeError('push() after finish()')
        if len(self._rest):
            x = np.concatenate([self._rest, x])
        n = len(x) // self.hop_samples
        if n:
            hops = x[:n * self.hop_samples].reshape(n, self.hop_samples)
            self._power.append(hops.var(axis=1))  # the power without DC
        self._rest = x[n * self.hop_samples:].copy()

    def finish(self):
        """Close the stream (a trailing partial hop counts); returns self."""
        if self._cum is None:
            if len(self._rest):
                self._power.append(np.array([self._rest.var()], np.float32))
            power = np.concatenate(self._power).astype(np.float64) if self._power else np.zeros(0)
            self._power, self._rest = [power], np.zeros(0, np.float32)
            self._cum = np.concatenate([[0.0], np.cumsum(power)])
        return self

    @property
    def power(self) -> np.ndarray:
        self.finish()
        return self._power[0]

    def state(self) -> dict:
        """What :meth:`from_state` rebuilds the finished envelope from (a saved result keeps it)."""
        return dict(sample_rate=self.sample_rate, hop=self.hop, start=self.start, power=self.power.astype(np.float32))

    @classmethod
    def from_state(cls, state: dict) -> 'LoudnessEnvelope':
        """The finished envelope of :meth:`state`."""
        env = cls(state['sample_rate'], state['hop'], state['start'])
        env._power = [np.asarray(state['power'], np.float32)]
        return env.finish()

    @property
    def duration(self) -> float:
        return len(self.power) * self.hop

    def levels(self) -> np.ndarray:
        """dBFS per hop (digital silence at :data:`SILENCE_DB`)."""
        return _db(self.power)

    def level(self, t0, t1) -> float:
        """Mean level (dBFS) over ``[t0, t1)`` seconds."""
        self.finish()
        i0, i1 = self._index(t0), self._index(t1)
        i1 = max(i1, i0 + 1)
        if i0 >= len(self.power):
            return SILENCE_DB
        i1 = min(i1, len(self.power))
        return float(_db((self._cum[i1] - self._cum[i0]) / (i1 - i0)))

    def quietest(self, t, tolerance, window=0.25, tie_db=1.0, lo=None, hi=None, prefer='nearest') -> Optional[float]:
        """The time within ``tolerance`` of ``t`` (and within ``[lo, hi]``) whose ``window`` is quietest, or None
        when the envelope does not reach there. Moments within ``tie_db`` of the quietest form quiet runs; of the run
        nearest to ``t``, ``prefer`` picks the moment nearest to ``t``, the 'first' (an end: right after the sound
        stops) or the 'last' (a start: right before it resumes), the window still inside the run."""
        self.finish()
        n = len(self.power)
        if n == 0 or tolerance <= 0:
            return None
        lo = t - tolerance if lo is None else max(lo, t - tolerance)
        hi = t + tolerance if hi is None else min(hi, t + tolerance)
        half = max(1, int(round(window / self.hop / 2)))
        centres = np.arange(max(self._index(lo), 0), min(self._index(hi), n) + 1)
        if not len(centres):
            return None
        a, b = np.clip(centres - half, 0, n), np.clip(centres + half, 0, n)
        level = _db((self._cum[b] - self._cum[a]) / np.maximum(b - a, 1))
        times = centres * self.hop + self.start
        quiet = np.flatnonzero(level <= level.min() + tie_db)
        runs = np.split(quiet, np.flatnonzero(np.diff(quiet) > 1) + 1)
        run = min(runs, key=lambda r: np.abs(times[r] - t).min())
        pick = dict(first=run[0], last=run[-1]).get(prefer)
        if pick is None:
            pick = run[np.argmin(np.abs(times[run] - t))]
        return float(times[pick])

    def _index(self, t):
        return int(np.floor((t - self.start) / self.hop + 0.5))


def _db(power):
    return np.maximum(10 * np.log10(np.maximum(power, 1e-30)), SILENCE_DB)


def envelope_of(chunks, sample_rate=32000, hop=0.01) -> LoudnessEnvelope:
    """A finished :class:`LoudnessEnvelope` of an iterable of sample chunks."""
    env = LoudnessEnvelope(sample_rate, hop)
    for chunk in chunks:
        env.push(chunk)
    return env.finish()
