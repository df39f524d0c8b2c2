"""Stand-ins for tensors on an accelerator, for tests that run without one.

A :class:`DeviceTensor` behaves like a CUDA tensor where it matters to host code: ``np.asarray`` and
``.numpy()`` refuse it with the message torch gives for a CUDA tensor, and ``.cpu()`` returns a plain tensor.
"""
import numpy as np
import torch

REFUSAL = "can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory first."


class DeviceTensor(torch.Tensor):
    """A tensor that host code must copy with ``.cpu()`` before numpy can read it."""

    def __array__(self, *args, **kwargs):
        raise TypeError(REFUSAL)

    def numpy(self, *args, **kwargs):
        raise TypeError(REFUSAL)

    def cpu(self, *args, **kwargs):
        return torch.Tensor.cpu(self.as_subclass(torch.Tensor), *args, **kwargs)


def on_device(value):
    """``value`` (a tensor or array) as a :class:`DeviceTensor`."""
    tensor = value if isinstance(value, torch.Tensor) else torch.as_tensor(np.asarray(value))
    return tensor.clone().as_subclass(DeviceTensor)


#: relative tolerance (of the largest value) of fp16 networks against fp32: a few fp16 roundings (unit roundoff
#: 2**-11) per layer, accumulated; CLIP ViT-B/32 with random weights measured 2.5 to 4.4 units (images and text)
FP16_TOLERANCE = 16 * 2.0 ** -11
