"""Padding collate for variable-length clip sequences, with explicit masks."""
import torch
from mmaction.registry import FUNCTION


def _pad(tensors):
    """Stack (T_i, D) tensors into (B, T_max, D) zeros-padded at the end, plus a (B, T_max) float mask."""
    lengths = torch.tensor([t.shape[0] for t in tensors])
    out = tensors[0].new_zeros((len(tensors), int(lengths.max()), *tensors[0].shape[1:]))
    for i, t in enumerate(tensors):
        out[i, :t.shape[0]] = t
    mask = (torch.arange(out.shape[1])[None] < lengths[:, None]).to(out.dtype)
    return out, mask


@FUNCTION.register_module()
def highlight_collate(data_batch):
    """Collate ``dict(inputs=dict(video, [audio], [query]), data_samples)`` items into a padded batch.

    Returns ``dict(inputs=dict(video, [audio], video_mask, [query, query_mask]), data_samples=[...])``:
    features are zero-padded at the end; masks are 1.0 for valid positions.
    """
    inputs = [item['inputs'] for item in data_batch]
    batch = {}
    batch['video'], batch['video_mask'] = _pad([x['video'] for x in inputs])
    if 'audio' in inputs[0]:
        batch['audio'], _ = _pad([x['audio'] for x in inputs])
    if 'query' in inputs[0]:
        batch['query'], batch['query_mask'] = _pad([x['query'] for x in inputs])
    return dict(inputs=batch, data_samples=[item['data_samples'] for item in data_batch])
