import os
import subprocess

import pytest
from mmengine.registry import init_default_scope

import highlight_plugin  # noqa: F401  (registers the components)
from highlight_plugin.features.media import ffmpeg_exe

os.environ.setdefault('OMP_NUM_THREADS', '2')


@pytest.fixture(autouse=True, scope='session')
def _mmaction_scope():
    init_default_scope('mmaction')


def make_media(path, seconds=5.0, size='64x48', fps=10, audio='sine', extra=(), vcodec='libx264',
               video=True, gray_ramp=False):
    """Write a small test file: testsrc (or a gray ramp whose level encodes the frame
    number) and ``audio`` in {'sine', 'noise', None, 'two'} (two tracks: fra default, hin)."""
    cmd = [ffmpeg_exe(), '-hide_banner', '-v', 'error', '-y']
    if video:
        src = (f'color=c=black:s={size}:r={fps}:d={seconds},geq=lum=N*4:cb=128:cr=128' if gray_ramp
               else f'testsrc=size={size}:rate={fps}:duration={seconds}')
        cmd += ['-f', 'lavfi', '-i', src]
    n_audio = {'sine': 1, 'noise': 1, None: 0, 'two': 2}[audio]
    for i in range(n_audio):
        src = (f'anoisesrc=d={seconds}:r=32000:a=0.3' if audio == 'noise'
               else f'sine=f={440 * (i + 1)}:d={seconds}:r=32000')
        cmd += ['-f', 'lavfi', '-i', src]
    for i in range(int(video) + n_audio):
        cmd += ['-map', str(i)]
    if video:
        cmd += ['-c:v', vcodec, '-pix_fmt', 'yuv420p']
    if n_audio:
        cmd += ['-c:a', 'pcm_s16le' if str(path).endswith(('.mkv', '.wav')) else 'aac']
    if audio == 'two':
        cmd += ['-metadata:s:a:0', 'language=fra', '-metadata:s:a:1', 'language=hin',
                '-disposition:a:0', 'default', '-disposition:a:1', '0']
    cmd += list(extra) + [str(path)]
    subprocess.run(cmd, check=True)
    return path


def make_rotated(folder, size='64x32', box='32x32'):
    """A black ``size`` clip with a white ``box`` in its top-left corner, and a copy of it that carries
    90-degree display-rotation metadata (stream copied): returns both paths."""
    asym, rotated = folder / 'asym.mp4', folder / 'rot.mp4'
    w, h = box.split('x')
    subprocess.run([ffmpeg_exe(), '-v', 'error', '-y', '-f', 'lavfi', '-i',
                    f'color=c=black:s={size}:d=1,drawbox=x=0:y=0:w={w}:h={h}:color=white:t=fill',
                    '-pix_fmt', 'yuv420p', str(asym)], check=True)
    subprocess.run([ffmpeg_exe(), '-v', 'error', '-y', '-display_rotation', '90', '-i', str(asym),
                    '-c', 'copy', str(rotated)], check=True)
    return asym, rotated


@pytest.fixture(scope='session', name='make_rotated')
def make_rotated_fixture():
    """The :func:`make_rotated` helper."""
    return make_rotated


@pytest.fixture(scope='session', name='make_media')
def make_media_fixture():
    """The :func:`make_media` helper (tests import nothing from conftest)."""
    return make_media
