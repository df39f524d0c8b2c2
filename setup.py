"""Installs highlight_plugin with the ranges it works with; `.ci/constraints.txt` pins the set the tests ran on
(`pip install -e ".[test]" -c .ci/constraints.txt`)."""
from pathlib import Path

from setuptools import find_packages, setup

here = Path(__file__).parent
version = next(line.split("'")[1] for line in (here / 'highlight_plugin' / '__init__.py').read_text().splitlines()
               if line.startswith('__version__'))

INSTALL_REQUIRES = [
    'torch>=2.1,<2.15',
    'torchvision>=0.16,<0.30',
    'mmengine>=0.10.4,<0.11',
    # mmaction2 1.1.0 asks for mmcv < 2.1; the pure-Python mmcv-lite has wheels (no build of the ops)
    'mmcv-lite>=2.0.1,<2.1',
    'mmaction2>=1.1.0,<1.2',  # 1.2.0 on PyPI lacks mmaction/models/localizers/drn (import fails)
    'importlib_metadata',  # imported by mmaction2 1.1.0, which does not declare it
    'decord>=0.6',
    'open_clip_torch>=2.20,<4',
    'panns_inference>=0.1.1,<0.2',  # its Cnn14 network class; the package __init__ is never run (features/panns.py)
    'imageio-ffmpeg>=0.5,<0.9',  # the ffmpeg binary
    'av>=12',  # PyAV: probing media files
    'numpy>=1.24',
    'scipy>=1.10',
    'scikit-learn>=1.2',  # the SoccerNet window AP metric
    'soxr>=0.3',  # librosa >= 0.10's resampler (the univtg_hotstar audio reading)
    'matplotlib>=3.6',
    'tqdm>=4.60',
    'safetensors>=0.4',
    'h5py>=3.8',  # Keras HDF5 weights read as data (SoccerNet ResNet-152, V&D VGGish)
    'filelock>=3.12',  # one download when several processes ask for the same weights
    'tomli; python_version < "3.11"',  # a site's zoo file in TOML
    'requests>=2.28',
    'opentimelineio>=0.17',  # editor exports
    'otio-cmx3600-adapter>=1.0',
    'otio-fcp-adapter>=1.0',
    'Jinja2>=3.1',  # the report and review pages
    'starlette>=0.37',  # the review server
    'uvicorn>=0.29',
]

EXTRAS_REQUIRE = {
    # the test suite: pytest, the review page's browser tests (Debian's chromium + chromium-driver), the official
    # SoccerNet evaluator the spotting metric is compared with, starlette's test client
    'test': ['pytest>=7.4', 'selenium>=4.15', 'httpx>=0.25', 'SoccerNet==0.2.0'],
    'soccernet': ['SoccerNet==0.2.0'],  # the official devkit (downloads, evaluation)
    'tensorboard': ['tensorboard>=2.14'],  # TensorboardVisBackend (configs/_base_/default_runtime.py)
}

setup(
    name='highlight_plugin',
    version=version,
    description='Audio-visual highlight detection (UMT, SoccerNet fusion heads) as an mmaction2 plugin',
    long_description=(here / 'README.md').read_text() if (here / 'README.md').exists() else '',
    long_description_content_type='text/markdown',
    packages=find_packages(include=['highlight_plugin', 'highlight_plugin.*']),
    include_package_data=True,
    package_data={'highlight_plugin': ['**/*.json', '**/*.html', '**/*.css', '**/*.js', '**/*.j2']},
    python_requires='>=3.9',
    install_requires=INSTALL_REQUIRES,
    extras_require=EXTRAS_REQUIRE,
    license='Apache-2.0',
)
