"""Neural models for clip chunks: plain ``nn.Module``s with ``get_config()``,
``serialize()`` and :func:`from_serialized`. Lightning lives in the training layer.

Spectrogram models take ``(batch, n_mels, n_frames)`` chunks (cached log-mels, normalised, or
a front-end's output); waveform models (``INPUT = 'waveform'``: :class:`SampleCNN`,
:class:`FrontendModel`) take ``(batch, 1, n_samples)``. Output: logits ``(batch, n_classes)``.

``zero_mean=True`` makes a 2-D model's first convolution zero-mean and valid
(:class:`mirlearn.nn.zero_mean.ZeroMeanConv2d`): a constant added to a log-magnitude input (a
change of gain) no longer changes the output.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import ParameterError
from .frame_nets import FRAME_NETWORKS
from .musicnn import MusicnnClassifier
from .separation_nets import SEPARATION_NETWORKS
from .serial import _Serializable

__all__ = ["VGGishCNN", "ShortChunkResNet", "CRNN", "SampleCNN", "FrontendModel", "build_network", "from_serialized", "NETWORKS",
           "FRAME_NETWORKS"]


def _conv(cin, cout, *, stride=1, zero_mean=False):
    """A 3×3 convolution without bias (batch norm follows): 'same' padding, or zero-mean
    and valid."""
    if zero_mean:
        from ..nn.zero_mean import ZeroMeanConv2d

        return ZeroMeanConv2d(cin, cout, 3, stride=stride, bias=False)
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)


def _conv_block(cin, cout, pool, zero_mean=False):
    return nn.Sequential(
        _conv(cin, cout, zero_mean=zero_mean),
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

    def __init__(self, n_classes, n_mels=128, channels=(32, 32, 64, 64), dropout=0.3, zero_mean=False):
        super().__init__()
        self._config = dict(n_classes=n_classes, n_mels=n_mels, channels=list(channels), dropout=dropout, zero_mean=zero_mean)
        self.input_bn = nn.BatchNorm2d(1)
        layers, cin = [], 1
        for i, c in enumerate(channels):
            layers.append(_conv_block(cin, c, 2, zero_mean=zero_mean and i == 0))
            cin = c
        self.features = nn.Sequential(*layers)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(cin, n_classes)

    def forward(self, x):
        h = self.features(self.input_bn(x.unsqueeze(1)))
        h = torch.amax(h, dim=(2, 3))
        return self.head(self.dropout(h))


class _ResBlock(nn.Module):
    def __init__(self, cin, cout, stride=2, zero_mean=False):
        super().__init__()
        # zero-mean: both convolutions that see the block's input are zero-mean and valid
        self.conv1 = _conv(cin, cout, stride=stride, zero_mean=zero_mean)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.skip = None
        if stride != 1 or cin != cout:
            self.skip = nn.Sequential(_conv(cin, cout, stride=stride, zero_mean=zero_mean), nn.BatchNorm2d(cout))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        if self.skip is None and out.shape != x.shape:  # a valid first convolution trims the edges
            x = x[..., 1:-1, 1:-1]
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

    def __init__(self, n_classes, n_mels=128, channels=(32, 32, 64, 64, 64), dropout=0.3, zero_mean=False):
        super().__init__()
        self._config = dict(n_classes=n_classes, n_mels=n_mels, channels=list(channels), dropout=dropout, zero_mean=zero_mean)
        self.input_bn = nn.BatchNorm2d(1)
        blocks, cin = [], 1
        for i, c in enumerate(channels):
            blocks.append(_ResBlock(cin, c, stride=2, zero_mean=zero_mean and i == 0))
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

    def __init__(self, n_classes, n_mels=128, channels=(32, 32, 64, 64), rnn_hidden=64, dropout=0.3, zero_mean=False):
        super().__init__()
        self._config = dict(n_classes=n_classes, n_mels=n_mels, channels=list(channels), rnn_hidden=rnn_hidden, dropout=dropout,
                            zero_mean=zero_mean)
        self.input_bn = nn.BatchNorm2d(1)
        layers, cin = [], 1
        pools = [(2, 2), (2, 2), (2, 2)] + [(2, 1)] * max(0, len(channels) - 3)
        for i, (c, pool) in enumerate(zip(channels, pools)):
            layers.append(_conv_block(cin, c, pool, zero_mean=zero_mean and i == 0))
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


class SampleCNN(_Serializable):
    """Sample-level CNN on raw waveforms: a strided convolution over 3 samples, then blocks of
    a size-3 convolution, batch norm, ReLU and max pooling by 3, global max pooling over time, a
    dense layer (the pooling rounds up, so chunks shorter than the paper's 3^10 samples also
    work). The first layer's filters are learnt from samples: no spectrogram at all.

    References
    ----------
    Lee, J., Park, J., Kim, K. L., & Nam, J. "Sample-level deep convolutional neural networks
    for music auto-tagging using raw waveforms." SMC 2017.
    """

    NAME = "sample_cnn"
    INPUT = "waveform"

    def __init__(self, n_classes, channels=(64, 64, 64, 128, 128, 128, 128, 256, 256), dropout=0.3):
        super().__init__()
        self._config = dict(n_classes=n_classes, channels=list(channels), dropout=dropout)
        c0 = channels[0]
        layers = [nn.Conv1d(1, c0, 3, stride=3, bias=False), nn.BatchNorm1d(c0), nn.ReLU(inplace=True)]
        cin = c0
        for c in channels:
            layers += [nn.Conv1d(cin, c, 3, padding=1, bias=False), nn.BatchNorm1d(c), nn.ReLU(inplace=True), nn.MaxPool1d(3, ceil_mode=True)]
            cin = c
        self.features = nn.Sequential(*layers)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(cin, n_classes)

    def forward(self, x):
        h = self.features(x if x.ndim == 3 else x[:, None])
        return self.head(self.dropout(h.amax(dim=-1)))


class FrontendModel(_Serializable):
    """A torch front-end (:func:`mirlearn.nn.frontend`) and a spectrogram model over its
    output, trained end to end from waveforms ``(batch, 1, n_samples)``.

    Parameters
    ----------
    frontend : dict
        The front-end's configuration (``Frontend.get_config()``: name, sr, trainable,
        parameters).
    network : str
        A spectrogram model of :data:`NETWORKS` (``cnn``, ``short_chunk_resnet``, ``crnn``).
    network_config : dict
        Its configuration; ``n_mels`` is set to the front-end's number of features.
    """

    NAME = "frontend_model"
    INPUT = "waveform"

    def __init__(self, frontend, network, network_config):
        super().__init__()
        from ..nn.frontends import frontend as build_frontend

        if network not in NETWORKS or getattr(NETWORKS[network], "INPUT", "spectrogram") != "spectrogram" or network in FRAME_NETWORKS:
            raise ParameterError(f"a front-end feeds a spectrogram model (cnn, short_chunk_resnet, crnn), got {network!r}")
        self.frontend = build_frontend(**frontend)
        body_cfg = dict(network_config, n_mels=self.frontend.n_features)
        self.body = build_network(network, **body_cfg)
        self._config = dict(frontend=self.frontend.get_config(), network=network, network_config=self.body.get_config())

    def forward(self, x):
        return self.body(self.frontend(x[:, 0] if x.ndim == 3 else x))


NETWORKS = {cls.NAME: cls for cls in (VGGishCNN, ShortChunkResNet, CRNN, SampleCNN, FrontendModel, MusicnnClassifier)} | FRAME_NETWORKS | SEPARATION_NETWORKS


def build_network(name, **config):
    """Build a registered network by name with its configuration."""
    try:
        cls = NETWORKS[name]
    except KeyError:
        raise ParameterError(f"unknown network {name!r}; choose one of {', '.join(NETWORKS)}") from None
    try:
        return cls(**config)
    except TypeError as exc:  # a parameter the network does not have
        raise ParameterError(f"network {name!r}: {exc}") from None


def from_serialized(blob):
    """Rebuild a network from :meth:`serialize`'s dict."""
    net = build_network(blob["name"], **blob["config"])
    net.load_state_dict(blob["state_dict"])
    return net
