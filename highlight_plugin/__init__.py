"""highlight_plugin: audio-visual highlight detection as an mmaction2 plugin.

Importing the package registers every dataset, transform, model and metric into
mmaction2's registries, so configs only need
``custom_imports = dict(imports=['highlight_plugin'], allow_failed_imports=False)``.
"""
__version__ = '0.1.0'

from . import datasets, decoding, engine, evaluation, models  # noqa: F401,E402  (registration)
