"""Work-arounds for mmaction2 1.1.0 / mmengine 0.10.7 registry behaviour.

``collate_fn=dict(type='highlight_collate')`` does not resolve out of the box:
mmengine's ``Runner.build_dataloader`` looks the name up in the *root*
``FUNCTIONS`` registry only (no scope search), and mmaction2 1.1.0's child
``FUNCTION`` registry declares a location, ``mmaction.mmengine``, that does not
exist, so every lookup in it raises ``ModuleNotFoundError``.
:func:`resolve_function` searches mmaction's registry (then the root) and
:class:`HighlightRunner` hands the resolved function to mmengine.
"""
from typing import Callable, Optional


def resolve_function(name: str) -> Optional[Callable]:
    """The function registered as ``name`` in mmaction's FUNCTION registry or mmengine's."""
    from mmaction.registry import FUNCTION
    from mmengine.registry import FUNCTIONS
    try:
        FUNCTION.import_from_location()
    except ModuleNotFoundError:  # mmaction 1.1.0's phantom 'mmaction.mmengine'
        FUNCTION._imported = True
    return FUNCTION.get(name) or FUNCTIONS.get(name)
