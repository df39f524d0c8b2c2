from .base import BaseFusion
from .cmga import CMGAFusion
from .concat import ConcatFusion
from .gmu import GMUFusion
from .transformer import TransformerFusion

__all__ = ['BaseFusion', 'ConcatFusion', 'GMUFusion', 'CMGAFusion', 'TransformerFusion']
