"""Small helpers shared by the fusion heads."""


def split_dims(dims):
    """``dims`` as one int (both modalities) or a (video, audio) pair -> (Dv, Da)."""
    if isinstance(dims, int):
        return dims, dims
    dv, da = dims
    return int(dv), int(da)


def apply_mask(x, mask):
    """Zero the padded positions of a (B, N, C) output (mask (B, N), 1 = valid)."""
    return x if mask is None else x * mask[..., None].to(x.dtype)
