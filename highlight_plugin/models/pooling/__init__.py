"""Temporal pooling of a window of features: NetVLAD / NetRVLAD, context gating, mean/max pooling."""
from .context_gating import ContextGating
from .netvlad import NetRVLAD, NetVLAD
from .temporal import TemporalPooling

__all__ = ['ContextGating', 'NetVLAD', 'NetRVLAD', 'TemporalPooling']
