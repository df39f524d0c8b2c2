from .base import BaseFusion

__all__ = ['BaseFusion']
