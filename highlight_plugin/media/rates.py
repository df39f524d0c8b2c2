"""Frame rates as exact fractions: the standard rates films, TV and phones are made at, and how a measured rate is
read as one of them (a Matroska file's 1-ms ticks make 59.94 fps come out as 19001/317)."""
from fractions import Fraction
from typing import Optional

NTSC = Fraction(1000, 1001)
# the rates the tools are frame-exact at (and a variable-rate source's exports are made at)
STANDARD_RATES = (Fraction(24) * NTSC, Fraction(24), Fraction(25), Fraction(30) * NTSC, Fraction(30), Fraction(50),
                  Fraction(60) * NTSC, Fraction(60))
# rates a measured rate is snapped to (the standard ones and their kin: 48, 100, 120, ...)
KNOWN_RATES = STANDARD_RATES + (Fraction(12), Fraction(15), Fraction(48) * NTSC, Fraction(48), Fraction(72),
                                Fraction(90), Fraction(100), Fraction(120) * NTSC, Fraction(120), Fraction(240))
SNAP_TOLERANCE = 2e-4  # relative: 23.976 and 24 are 1e-3 apart; millisecond ticks err by less than 1e-5
DROP_FRAME_RATES = (Fraction(30) * NTSC, Fraction(60) * NTSC)  # the rates SMPTE drop-frame timecode exists for


def as_fraction(rate) -> Optional[Fraction]:
    """``rate`` (a Fraction, int, float or 'num/den' string) as a positive Fraction; None for none or nonsense."""
    if rate is None:
        return None
    try:
        value = Fraction(rate) if not isinstance(rate, float) else Fraction(rate).limit_denominator(1_000_000)
    except (ValueError, ZeroDivisionError, TypeError):
        return None
    return value if value > 0 else None


def snap_rate(rate) -> Optional[Fraction]:
    """The known rate within :data:`SNAP_TOLERANCE` of ``rate``, else ``rate`` itself (as a Fraction)."""
    rate = as_fraction(rate)
    if rate is None:
        return None
    for known in KNOWN_RATES:
        if abs(rate / known - 1) < SNAP_TOLERANCE:
            return known
    return rate


def nearest_standard_rate(rate) -> Fraction:
    """The :data:`STANDARD_RATES` entry nearest to ``rate`` (a variable-rate source's edit rate)."""
    rate = as_fraction(rate) or Fraction(25)
    return min(STANDARD_RATES, key=lambda r: (abs(r - rate), r))


def timecode_base(rate) -> int:
    """Frames per timecode second of ``rate`` (30 for 29.97)."""
    return max(1, round(float(rate)))


def rate_text(rate) -> str:
    """``'23.976'``, ``'25'``, ``'29.97'``: a rate as people write it."""
    return f'{float(rate):.3f}'.rstrip('0').rstrip('.')
