from .context_gating import ContextGating
from .netvlad import NetRVLAD, NetVLAD
from .temporal import TemporalPooling

__all__ = ['ContextGating', 'NetVLAD', 'NetRVLAD', 'TemporalPooling']
