from pathlib import Path

from setuptools import find_packages, setup

here = Path(__file__).parent


def read_requirements():
    lines = (here / 'requirements.txt').read_text().splitlines()
    return [ln.split('#')[0].strip() for ln in lines if ln.split('#')[0].strip()]


setup(
    name='highlight_plugin',
    version='0.1.0',
    description='Audio-visual highlight detection (UMT, SoccerNet fusion heads) as an mmaction2 plugin',
    long_description=(here / 'README.md').read_text() if (here / 'README.md').exists() else '',
    long_description_content_type='text/markdown',
    packages=find_packages(include=['highlight_plugin', 'highlight_plugin.*']),
    package_data={'highlight_plugin.weights': ['zoo.json']},  # the zoo of published models and weights
    include_package_data=True,
    python_requires='>=3.9',
    install_requires=read_requirements(),
    license='Apache-2.0',
)
