"""Audio-visual fusion heads of the SoccerNet spotter, one interface (:class:`BaseFusion`), one file each."""
from .base import BaseFusion
from .cmga import CMGAFusion
from .concat import ConcatFusion
from .gmu import GMUFusion
from .transformer import TransformerFusion

__all__ = ['BaseFusion', 'ConcatFusion', 'GMUFusion', 'CMGAFusion', 'TransformerFusion']
