"""Videos shared by the render tests: every standard rate, a long 23.976 film, a variable-rate phone video."""
import pytest


@pytest.fixture(scope='session')
def rate_videos(tmp_path_factory):
    """Frames that show their own index, 64x36, 3 s without audio, at each standard rate: Fraction -> path."""
    from highlight_plugin.media.rates import STANDARD_RATES
    from tests.helpers.synthetic import index_video
    d = tmp_path_factory.mktemp('rates')
    return {rate: index_video(d / f'{rate.numerator}_{rate.denominator}.mp4', seconds=3, size='64x36',
                              fps=str(rate), audio=False) for rate in STANDARD_RATES}


@pytest.fixture(scope='session')
def long_film(tmp_path_factory):
    """A 23.976-fps index video of 246 s (5898 frames, 13-bit index; 64x36, no audio): long enough for 23.98 (the
    rate a banner prints) to land a frame off, and for frame 5759 (4:00.198)."""
    from tests.helpers.synthetic import index_video
    return index_video(tmp_path_factory.mktemp('long') / 'film.mp4', seconds=246, size='64x36', fps='24000/1001',
                       audio=False, bits=13)


@pytest.fixture(scope='session')
def phone_video(tmp_path_factory):
    """A variable-rate MP4, 24 fps for 2 s then 60 fps for 2 s (48 + 120 frames showing their index), with a quiet
    tone (about -45 LUFS: the loudness target is out of the gain's reach)."""
    from tests.helpers.synthetic import variable_rate_video
    return variable_rate_video(tmp_path_factory.mktemp('phone') / 'phone.mp4', volume=-25)
