"""Neural models for log-mel chunks: plain ``nn.Module``s with ``get_config()``,
``serialize()`` and :func:`from_serialized`. Lightning lives in the training layer.

Input: ``(batch, n_mels, n_frames)`` log-mel chunks (normalised); output: logits
``(batch, n_classes)``.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import ParameterError
from .frame_nets import FRAME_NETWORKS
from .serial import _Serializable

__all__ = ["VGGishCNN", "ShortChunkResNet", "CRNN", "build_network", "from_serialized", "NETWORKS", "FRAME_NETWORKS"]


def _conv_block(cin, cout, pool):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(pool),
    )


class VGGishCNN(_Serializable):
    """VGG-style 2-D CNN: 3x3 convolutions, batch norm, max pooling, global max pool.

    References
    ----------
    Choi, K., Fazekas, G., & Sandler, M. "Automatic tagging using deep convolutional neural
    networks." ISMIR 2016.
    """

    NAME = "cnn"

    def __init__(self, n_classes, n_mels=128, channels=(32, 32, 64, 64), dropout=0.3):
        super().__init__()
        self._config = dict(n_classes=n_classes, n_mels=n_mels, channels=list(channels), dropout=dropout)
        self.input_bn = nn.BatchNorm2d(1)
        layers, cin = [], 1
        for c in channels:
            layers.append(_conv_block(cin, c, 2))
            cin = c
        self.features = nn.Sequential(*layers)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(cin, n_classes)

    def forward(self, x):
        h = self.features(self.input_bn(x.unsqueeze(1)))
        h = torch.amax(h, dim=(2, 3))
        return self.head(self.dropout(h))


class _ResBlock(nn.Module):
    def __init__(self, cin, cout, stride=2):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.skip = None
        if stride != 1 or cin != cout:
            self.skip = nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(out + (x if self.skip is None else self.skip(x)))


class ShortChunkResNet(_Serializable):
    """Short-chunk CNN with residual blocks (strided 3x3 convolutions), global max pool,
    two dense layers.

    References
    ----------
    Won, M., Ferraro, A., Bogdanov, D., & Serra, X. "Evaluation of CNN-based automatic music
    tagging models." SMC 2020.
    """

    NAME = "short_chunk_resnet"

    def __init__(self, n_classes, n_mels=128, channels=(32, 32, 64, 64, 64), dropout=0.3):
        super().__init__()
        self._config = dict(n_classes=n_classes, n_mels=n_mels, channels=list(channels), dropout=dropout)
        self.input_bn = nn.BatchNorm2d(1)
        blocks, cin = [], 1
        for c in channels:
            blocks.append(_ResBlock(cin, c, stride=2))
            cin = c
        self.blocks = nn.Sequential(*blocks)
        self.dense = nn.Sequential(nn.Linear(cin, cin), nn.BatchNorm1d(cin), nn.ReLU(inplace=True), nn.Dropout(dropout))
        self.head = nn.Linear(cin, n_classes)

    def forward(self, x):
        h = self.blocks(self.input_bn(x.unsqueeze(1)))
        h = torch.amax(h, dim=(2, 3))
        return self.head(self.dense(h))


class CRNN(_Serializable):
    """Convolutional recurrent network: conv blocks pool frequency away, a two-layer GRU
    summarises time.

    References
    ----------
    Choi, K., Fazekas, G., Sandler, M., & Cho, K. "Convolutional recurrent neural networks
    for music classification." ICASSP 2017.
    """

    NAME = "crnn"

    def __init__(self, n_classes, n_mels=128, channels=(32, 32, 64, 64), rnn_hidden=64, dropout=0.3):
        super().__init__()
        self._config = dict(n_classes=n_classes, n_mels=n_mels, channels=list(channels), rnn_hidden=rnn_hidden, dropout=dropout)
        self.input_bn = nn.BatchNorm2d(1)
        layers, cin = [], 1
        pools = [(2, 2), (2, 2), (2, 2)] + [(2, 1)] * max(0, len(channels) - 3)
        for c, pool in zip(channels, pools):
            layers.append(_conv_block(cin, c, pool))
            cin = c
        self.features = nn.Sequential(*layers)
        self.rnn = nn.GRU(cin, rnn_hidden, num_layers=2, batch_first=True, dropout=dropout)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(rnn_hidden, n_classes)

    def forward(self, x):
        h = self.features(self.input_bn(x.unsqueeze(1)))  # (b, c, f', t')
        h = torch.amax(h, dim=2).transpose(1, 2)  # (b, t', c): frequency pooled away
        out, _ = self.rnn(h)
        return self.head(self.dropout(out[:, -1]))


NETWORKS = {cls.NAME: cls for cls in (VGGishCNN, ShortChunkResNet, CRNN)} | FRAME_NETWORKS


def build_network(name, **config):
    """Build a registered network by name with its configuration."""
    try:
        cls = NETWORKS[name]
    except KeyError:
        raise ParameterError(f"unknown network {name!r}; choose one of {', '.join(NETWORKS)}") from None
    return cls(**config)


def from_serialized(blob):
    """Rebuild a network from :meth:`serialize`'s dict."""
    net = build_network(blob["name"], **blob["config"])
    net.load_state_dict(blob["state_dict"])
    return net
