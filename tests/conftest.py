import json
import os
import subprocess
from pathlib import Path

import pytest
from mmengine.registry import init_default_scope

import highlight_plugin  # noqa: F401  (registers the components)
from highlight_plugin.media.probe import ffmpeg_exe

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


TINY_CLIP = 'HLTinyCLIP'  # a 2-layer open_clip config, fast to build and run


@pytest.fixture(scope='session')
def media_dir(tmp_path_factory, make_media):
    """Shared read-only test media."""
    d = tmp_path_factory.mktemp('media')
    make_media(d / 'good.mp4', seconds=5)
    make_media(d / 'ramp.mkv', seconds=5, gray_ramp=True)
    make_media(d / 'noaudio.mp4', seconds=3, audio=None)
    make_media(d / 'two_tracks.mkv', seconds=3, audio='two')
    (d / 'corrupt.mp4').write_bytes(b'\x00\x00\x00\x18ftypmp42' + bytes(range(256)) * 8)
    return d


@pytest.fixture(scope='session')
def tiny_clip_name(tmp_path_factory):
    import open_clip
    cfg = dict(embed_dim=32, vision_cfg=dict(image_size=32, layers=1, width=64, patch_size=16),
               text_cfg=dict(context_length=77, vocab_size=49408, width=32, heads=2, layers=1))
    path = tmp_path_factory.mktemp('clipcfg') / f'{TINY_CLIP}.json'
    path.write_text(json.dumps(cfg))
    open_clip.add_model_config(path)
    return TINY_CLIP


@pytest.fixture(scope='session')
def tiny_clip_model(tiny_clip_name):
    import torch

    from highlight_plugin.features import build_clip
    torch.manual_seed(0)
    return build_clip(tiny_clip_name, None)


@pytest.fixture(scope='session')
def panns_model():
    import torch

    from highlight_plugin.features import build_cnn14
    torch.manual_seed(0)
    return build_cnn14(None)


@pytest.fixture
def one_torch_thread():
    """Tiny tensors: one intra-op thread is as fast and avoids spin-wait slowdowns when the (2-core) machine is busy.
    Restored after the test."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _chromium_and_driver():
    """Paths of a Chromium and its chromedriver (``CHROMIUM`` / ``CHROMEDRIVER`` override), or None each."""
    import shutil

    def find(*names):
        return next((shutil.which(n) for n in names if n and shutil.which(n)), None)
    return (find(os.environ.get('CHROMIUM'), 'chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'),
            find(os.environ.get('CHROMEDRIVER'), 'chromedriver'))


@pytest.fixture(scope='session')
def selenium_browser(tmp_path_factory):
    """A headless Chromium driven by Selenium through chromedriver (Debian: ``apt-get install chromium
    chromium-driver``): file pages may load their neighbours, media may play without a gesture (muted). Skips when
    Chromium, chromedriver or Selenium is missing, except on CI (``CI=true``), where that fails."""
    chromium, driver = _chromium_and_driver()
    try:
        from selenium import webdriver
    except ImportError:
        webdriver = None
    if not (chromium and driver and webdriver):
        why = 'headless Chromium tests need chromium, chromedriver and selenium'
        if os.environ.get('CI', '').lower() == 'true':
            pytest.fail(why)
        pytest.skip(why)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ('--headless=new', '--no-sandbox', '--disable-gpu', '--mute-audio', '--no-first-run',
                '--allow-file-access-from-files', '--autoplay-policy=no-user-gesture-required',
                '--window-size=1280,1000', f'--user-data-dir={tmp_path_factory.mktemp("selenium")}'):
        options.add_argument(arg)
    options.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    browser = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver))
    browser.set_script_timeout(30)
    yield browser
    browser.quit()


class ReportPage:
    """A report (or review) page opened in the :func:`selenium_browser`: its ``window.__report`` record, clicks on
    its curves, the browser's severe log lines."""

    def __init__(self, browser, path):
        self.browser = browser
        browser.get(Path(path).as_uri())

    def wait_for(self, expression, timeout=20.0):
        """The value of the JavaScript ``expression`` once it is truthy (None after ``timeout`` seconds)."""
        return self.browser.execute_async_script(
            'var done = arguments[arguments.length - 1], t0 = Date.now();'
            '(function poll(){ var v; try { v = (' + expression + '); } catch (e) { v = null; }'
            f' if (v || Date.now() - t0 > {timeout * 1000:.0f}) done(v || null); else setTimeout(poll, 100); }})();')

    def loaded(self):
        """``window.__report`` once every video of the page has loaded its metadata."""
        return self.wait_for('window.__report && window.__report.loaded >= window.__report.videos && window.__report')

    def click_curve(self, svg_id, t):
        """Click the curve ``svg_id`` at ``t`` seconds (a real mouse click at the point its scale names)."""
        from selenium.webdriver.common.action_chains import ActionChains
        svg = self.browser.find_element('id', svg_id)
        self.browser.execute_script('arguments[0].scrollIntoView({block: "center"});', svg)
        width, x0, x1, t1, view = self.browser.execute_script(
            'var s = arguments[0], b = s.getBoundingClientRect();'
            'return [b.width, +s.dataset.x0, +s.dataset.x1, +s.dataset.t1, +s.dataset.width];', svg)
        height = svg.rect['height']
        x = (x0 + (x1 - x0) * t / t1) * width / view
        ActionChains(self.browser).move_to_element_with_offset(svg, x - width / 2, height * 0.3 - height / 2) \
            .click().perform()

    def errors(self):
        return [e for e in self.browser.get_log('browser') if e['level'] == 'SEVERE']


@pytest.fixture(name='open_page')
def open_page_fixture(selenium_browser):
    """``open_page(path)`` -> a :class:`ReportPage` in the shared headless Chromium."""
    return lambda path: ReportPage(selenium_browser, path)
