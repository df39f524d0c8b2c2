"""Helpers shared by the registered metrics."""
import numpy as np


def to_numpy(value, dtype=np.float64):
    """A tensor / array / list as a numpy array (``None`` stays ``None``)."""
    if value is None:
        return None
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=dtype)


def unique_by(results, key):
    """Results with the first occurrence of each ``key`` value, in their order.

    mmengine's ``collect_results`` already drops the samples a distributed sampler
    repeats to fill the last batch; this also guards against a sample reaching the
    metric twice.
    """
    seen, out = set(), []
    for r in results:
        if r[key] not in seen:
            seen.add(r[key])
            out.append(r)
    return out
