"""Zero-mean convolution: a first layer that cannot see a change of gain.

A gain ``g`` adds the constant ``20 log10 g`` to every bin of a log-magnitude spectrogram.
A convolution whose kernels each sum to zero maps a constant to zero, so its output (and
everything after it) does not change, provided every output sees only real input: the layer is
valid (unpadded), because zero padding is not shifted by the gain.

References
----------
Schlüter, J., & Lehner, B. "Zero-mean convolutions for level-invariant singing voice detection."
ISMIR 2018.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import nn

__all__ = ["ZeroMeanConv2d"]


class ZeroMeanConv2d(nn.Conv2d):
    """``nn.Conv2d`` whose kernels have their mean (over input channels and kernel taps)
    subtracted in every forward pass, so that each sums to zero. The stored weights are free;
    the effective ones, :meth:`effective_weight`, are zero-mean. Padding must be 0 (valid)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, bias=True):
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=0, bias=bias)

    def effective_weight(self):
        return self.weight - self.weight.mean(dim=(1, 2, 3), keepdim=True)

    def forward(self, x):
        return F.conv2d(x, self.effective_weight(), self.bias, self.stride, 0, self.dilation, self.groups)
