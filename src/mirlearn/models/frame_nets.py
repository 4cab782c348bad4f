"""Frame-level networks: plain ``nn.Module``s with ``get_config()`` and ``serialize()``.

Input ``(batch, n_channels, n_bands, n_frames + 2 * context)`` spectrogram frames (time
last); output logits ``(batch, n_classes, n_frames)``: one per frame. ``context`` is the
number of frames each network consumes on either side (its receptive field beyond the frame),
so that a whole file is processed in one pass after padding it by ``context`` frames.

``infer(x)`` is how a whole file goes through a trained network (detection, evaluation, the
post-processing search): ``forward`` over time chunks. For the convolutional networks, valid in
time, it equals ``forward`` on the whole input (up to float rounding) and keeps the feature
maps of a chunk in the CPU's cache, which is 2-3 times faster on long files than one pass.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..errors import ParameterError
from .serial import _Serializable

__all__ = ["OnsetCNN", "DrumCRNN", "PitchCNN", "BeatTCN", "FrameEnsemble", "FRAME_NETWORKS"]


class _BandPool(nn.Module):
    """Max over ``k`` adjacent bands, ``nn.MaxPool2d((k, 1))`` (a remainder band dropped) as
    a reshape and a max, without the pooling indices: 5-8 times faster on CPU."""

    def __init__(self, k):
        super().__init__()
        self.k = int(k)

    def forward(self, h):
        b, c, f, t = h.shape
        f //= self.k
        return h[:, :, : f * self.k].reshape(b, c, f, self.k, t).amax(dim=3)


def _fuse_batch_norms(seq):
    """A copy of ``seq`` with each Conv2d → BatchNorm2d pair (eval statistics) folded into one
    convolution: the same function, one pass over the maps fewer."""
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    mods = list(seq)
    for i in range(len(mods) - 1):
        if isinstance(mods[i], nn.Conv2d) and isinstance(mods[i + 1], nn.BatchNorm2d):
            mods[i], mods[i + 1] = fuse_conv_bn_eval(mods[i], mods[i + 1]), nn.Identity()
    return nn.Sequential(*mods)


class _FrameNet(_Serializable):
    """A network over ``context``-padded frames, valid in time."""

    def for_inference(self):
        """This network in eval mode with its batch norms folded into the convolutions
        before them (float rounding apart, the same outputs)."""
        self.eval()
        self.conv = _fuse_batch_norms(self.conv)
        return self

    #: output frames per chunk in :meth:`infer`
    infer_chunk = 256

    def infer(self, x):
        """``forward(x)`` over chunks of :attr:`infer_chunk` output frames (each with its
        ``context`` frames on either side), concatenated: the same logits."""
        ctx = int(self.context)
        n = x.shape[-1] - 2 * ctx
        if n <= self.infer_chunk:
            return self(x)
        return torch.cat([self(x[..., s:min(s + self.infer_chunk, n) + 2 * ctx]) for s in range(0, n, self.infer_chunk)], dim=-1)


class OnsetCNN(_FrameNet):
    """Schlüter & Böck's onset CNN, fully convolutional in time.

    Conv (3 bands × 7 frames, 10 maps) → max-pool 3 bands → conv (3 × 3, 20 maps) → max-pool
    3 bands → a dense layer over the remaining bands and 7 frames (256 units) → one output per
    class. Valid convolutions in time: 15 frames (7 each side) make one output, as in the
    paper's 15-frame input windows. Batch norm after each convolution (not in the paper) makes
    training on small data stable.

    References
    ----------
    Schlüter, J., & Böck, S. "Improved musical onset detection with convolutional neural
    networks." ICASSP 2014.
    """

    NAME = "onset_cnn"
    infer_chunk = 1024

    def __init__(self, n_classes=1, n_channels=3, n_bands=80, maps=(10, 20), dense=256, dropout=0.5):
        super().__init__()
        self._config = dict(n_classes=n_classes, n_channels=n_channels, n_bands=n_bands, maps=list(maps), dense=dense, dropout=dropout)
        m1, m2 = maps
        self.conv = nn.Sequential(
            nn.Conv2d(n_channels, m1, (3, 7)),
            nn.BatchNorm2d(m1),
            nn.ReLU(inplace=True),
            _BandPool(3),
            nn.Conv2d(m1, m2, (3, 3)),
            nn.BatchNorm2d(m2),
            nn.ReLU(inplace=True),
            _BandPool(3),
        )
        f = ((n_bands - 2) // 3 - 2) // 3
        self.dense = nn.Sequential(nn.Dropout(dropout), nn.Conv2d(m2, dense, (f, 7)), nn.ReLU(inplace=True), nn.Dropout(dropout))
        self.out = nn.Conv2d(dense, n_classes, 1)
        self.context = 7

    def forward(self, x):
        return self.out(self.dense(self.conv(x))).squeeze(2)


class DrumCRNN(_FrameNet):
    """Convolutional recurrent network for drum transcription: two conv blocks (two 3×3
    convolutions with batch norm each, max-pool 3 bands), a bidirectional GRU over time, a
    sigmoid output per instrument and frame. Convolutions are valid in time (their context:
    4 frames each side), so chunks and whole files give the same outputs away from the GRU.

    References
    ----------
    Vogl, R., Dorfer, M., Widmer, G., & Knees, P. "Drum transcription via joint beat and drum
    modeling using convolutional recurrent neural networks." ISMIR 2017.
    """

    NAME = "drum_crnn"

    def __init__(self, n_classes=3, n_channels=3, n_bands=80, maps=(16, 32), rnn_hidden=64, rnn_layers=2, dropout=0.3):
        super().__init__()
        self._config = dict(n_classes=n_classes, n_channels=n_channels, n_bands=n_bands, maps=list(maps),
                            rnn_hidden=rnn_hidden, rnn_layers=rnn_layers, dropout=dropout)
        layers, cin, f = [], n_channels, n_bands
        for m in maps:
            layers += [nn.Conv2d(cin, m, (3, 3), padding=(1, 0)), nn.BatchNorm2d(m), nn.ReLU(inplace=True),
                       nn.Conv2d(m, m, (3, 3), padding=(1, 0)), nn.BatchNorm2d(m), nn.ReLU(inplace=True),
                       _BandPool(3), nn.Dropout(dropout)]
            cin, f = m, f // 3
        self.conv = nn.Sequential(*layers)
        self.rnn = nn.GRU(cin * f, rnn_hidden, num_layers=rnn_layers, batch_first=True, bidirectional=True,
                          dropout=dropout if rnn_layers > 1 else 0.0)
        self.out = nn.Linear(2 * rnn_hidden, n_classes)
        self.context = 2 * len(maps)

    #: :meth:`infer` runs the GRU over windows of this many frames, batched, each with
    #: :attr:`infer_overlap` frames of warm-up on either side (the GRU trains on 200-frame chunks)
    infer_window = 1000
    infer_overlap = 250

    def _conv_sequence(self, x):
        h = self.conv(x)  # (b, c, f, t)
        b, c, f, t = h.shape
        return h.reshape(b, c * f, t).transpose(1, 2)  # (b, t, c * f)

    def forward(self, x):
        h, _ = self.rnn(self._conv_sequence(x))
        return self.out(h).transpose(1, 2)

    def infer(self, x):
        """``forward(x)`` with the recurrent layers run over overlapping windows of
        :attr:`infer_window` frames stacked into one batch, each frame taken from the window
        where it has at least :attr:`infer_overlap` frames (2.5 s) of context on both sides
        (or the file's edge): a GRU steps through frames one at a time, so a long file costs
        one step per frame, and a batch of windows cuts the steps about 4 times. Not
        identical to ``forward``: the GRU's state carries some memory past 2.5 s, and the
        shipped drum model's probabilities differ from one pass by up to 0.04 on real songs;
        after peak picking, 2295 of its 2296 hits on the 8 MDB stems and mixtures are the same
        (tested on one stem). Training's validation search and evaluation use this path too."""
        if x.shape[0] != 1:
            return torch.cat([self.infer(xi[None]) for xi in x])
        ctx = int(self.context)
        n, W, O = x.shape[-1] - 2 * ctx, int(self.infer_window), int(self.infer_overlap)
        L = W + 2 * O
        if n <= L:
            return self(x)
        # the convolutions in chunks (valid in time: the same maps), the GRU over windows
        h = torch.cat([self._conv_sequence(x[..., s:min(s + W, n) + 2 * ctx]) for s in range(0, n, W)], dim=1)[0]
        spans = [(min(max(0, s - O), n - L), s, min(s + W, n)) for s in range(0, n, W)]
        out, _ = self.rnn(torch.stack([h[a:a + L] for a, _, _ in spans]))
        out = torch.cat([out[i, s - a:e - a] for i, (a, s, e) in enumerate(spans)])
        return self.out(out).T[None]


class _HarmonicStack(nn.Module):
    """Copies of a ``(b, c, n_bins, t)`` map shifted down by each harmonic's distance in
    bins, stacked on the channel axis: at bin ``f`` the result holds the map at ``f``, at the
    2nd harmonic of ``f``, the 3rd... (zeros above the top bin). A 1×1 convolution after it
    weighs the harmonics: what a kernel spanning several octaves does, at a fraction of its
    cost (Bittner et al.'s harmonic CQT, built inside the network)."""

    def __init__(self, offsets):
        super().__init__()
        self.offsets = [int(k) for k in offsets]

    def forward(self, h):
        b, c, n, t = h.shape
        out = h.new_zeros(b, c * len(self.offsets), n, t)
        for i, k in enumerate(self.offsets):
            if k < n:
                out[:, i * c:(i + 1) * c, : n - k] = h[:, :, k:]
        return out


class PitchCNN(_FrameNet):
    """Monophonic pitch as classification over log-frequency bins, per frame.

    Input: a log-frequency spectrogram with ``bins_per_octave`` bins per octave; output:
    logits over the same pitch bins (CREPE's 20-cent bins at 60 per octave) plus one
    "unvoiced" logit (the last). Convolutions along frequency are shared across pitch, so a
    pattern learnt at one pitch is recognised at another (translation in log frequency); a
    harmonic stack (partials 1-8) lets each bin see its overtones. Valid in time (context 1).

    References
    ----------
    Kim, J. W., Salamon, J., Li, P., & Bello, J. P. "CREPE: A convolutional representation for
    pitch estimation." ICASSP 2018. Bittner, R. M., McFee, B., Salamon, J., Li, P., & Bello,
    J. P. "Deep salience representations for f0 estimation in polyphonic music." ISMIR 2017.
    """

    NAME = "pitch_cnn"

    def __init__(self, n_bins=360, n_channels=1, maps=(8, 8, 16), bins_per_octave=60, harmonics=8, dropout=0.1):
        super().__init__()
        self._config = dict(n_bins=n_bins, n_channels=n_channels, maps=list(maps), bins_per_octave=bins_per_octave,
                            harmonics=harmonics, dropout=dropout)
        m1, m2, m3 = maps
        offsets = [round(bins_per_octave * math.log2(h)) for h in range(1, harmonics + 1)]
        self.conv = nn.Sequential(
            nn.Conv2d(n_channels, m1, (5, 3), padding=(2, 0)), nn.BatchNorm2d(m1), nn.ReLU(inplace=True),
            nn.Conv2d(m1, m2, (5, 1), padding=(2, 0)), nn.BatchNorm2d(m2), nn.ReLU(inplace=True),
            _HarmonicStack(offsets),
            nn.Conv2d(m2 * len(offsets), m3, 1), nn.BatchNorm2d(m3), nn.ReLU(inplace=True),
            nn.Dropout(dropout),
        )
        self.pitch = nn.Conv2d(m3, 1, 1)
        self.voicing = nn.Linear(m3, 1)
        self.context = 1
        self.n_bins = n_bins

    def forward(self, x):
        h = self.conv(x)  # (b, m3, n_bins, t)
        pitch = self.pitch(h).squeeze(1)  # (b, n_bins, t)
        unvoiced = self.voicing(h.amax(dim=2).transpose(1, 2)).transpose(1, 2)  # (b, 1, t)
        return torch.cat([pitch, unvoiced], dim=1)


class _TCNBlock(nn.Module):
    """One residual layer of a temporal convolutional network: a dilated convolution over
    time (zero-padded, so the length is kept), ELU, dropout, a 1x1 convolution, added to the
    input."""

    def __init__(self, channels, kernel, dilation, dropout):
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, kernel, dilation=dilation, padding=dilation * (kernel - 1) // 2)
        self.mix = nn.Conv1d(channels, channels, 1)
        self.drop = nn.Dropout(dropout)

    def forward(self, h):
        return h + self.mix(self.drop(nn.functional.elu(self.conv(h))))


class BeatTCN(_FrameNet):
    """Beat and downbeat activations from a temporal convolutional network, as in Böck &
    Davies' multi-task beat tracker.

    Three convolutions (3 bands × 3 frames, max-pool 3 bands; 3 × 3, max-pool 3; then one
    spanning the remaining bands) turn each frame into ``maps`` features; a stack of
    ``n_layers`` residual dilated convolutions over time (kernel ``kernel``, dilations 1, 2,
    4, ... 2^(n_layers - 1)) gives each frame a view of many seconds either side, enough to
    hear the bar; two outputs per frame: beat (any beat, downbeats included) and downbeat.
    The front is valid in time (context 3 frames); the dilated layers are zero-padded, so a
    whole file is processed in one pass (:meth:`infer`).

    References
    ----------
    Böck, S., & Davies, M. E. P. "Deconstruct, analyse, reconstruct: how to improve tempo,
    beat, and downbeat estimation." ISMIR 2020. Davies, M. E. P., & Böck, S. "Temporal
    convolutional networks for musical audio beat tracking." EUSIPCO 2019.
    """

    NAME = "beat_tcn"

    def __init__(self, n_classes=2, n_channels=2, n_bands=80, maps=16, n_layers=10, kernel=5, dropout=0.1):
        super().__init__()
        if kernel % 2 != 1:
            raise ParameterError(f"kernel must be odd (the layers keep the length), got {kernel!r}")
        self._config = dict(n_classes=n_classes, n_channels=n_channels, n_bands=n_bands, maps=maps, n_layers=n_layers,
                            kernel=kernel, dropout=dropout)
        f = ((n_bands - 2) // 3 - 2) // 3
        if f < 1:
            raise ParameterError(f"beat_tcn needs at least 17 bands, got {n_bands}")
        self.conv = nn.Sequential(
            nn.Conv2d(n_channels, maps, (3, 3)), nn.BatchNorm2d(maps), nn.ELU(inplace=True), _BandPool(3), nn.Dropout(dropout),
            nn.Conv2d(maps, maps, (3, 3)), nn.BatchNorm2d(maps), nn.ELU(inplace=True), _BandPool(3), nn.Dropout(dropout),
            nn.Conv2d(maps, maps, (f, 3)), nn.BatchNorm2d(maps), nn.ELU(inplace=True), nn.Dropout(dropout),
        )
        self.tcn = nn.Sequential(*(_TCNBlock(maps, kernel, 2 ** i, dropout) for i in range(n_layers)))
        self.out = nn.Conv1d(maps, n_classes, 1)
        self.context = 3

    def forward(self, x):
        h = self.conv(x).squeeze(2)  # (b, maps, t)
        return self.out(self.tcn(h))

    def infer(self, x):
        """One pass over the whole input (the dilated layers see the whole file)."""
        return self(x)


class FrameEnsemble(_FrameNet):
    """``n_members`` networks of one kind, each from its own initialisation; the ensemble's
    logits are the mean of theirs.

    Training fits every member to the targets on its own (the loss is the mean of the members'
    losses, :meth:`member_forward`), so the members are independent networks that happen to see
    the same batches; averaging them smooths the activation, as madmom's ensembles of onset and
    beat networks do.

    References
    ----------
    Böck, S., Krebs, F., & Widmer, G. "Joint beat and downbeat tracking with recurrent neural
    networks." ISMIR 2016 (ensembles of networks, averaged).
    """

    NAME = "ensemble"

    def __init__(self, member, member_config=None, n_members=3):
        super().__init__()
        if member not in _MEMBERS:
            raise ParameterError(f"ensemble member must be one of {', '.join(_MEMBERS)}, got {member!r}")
        if not (isinstance(n_members, int) and n_members >= 1):
            raise ParameterError(f"n_members must be a positive integer, got {n_members!r}")
        self.members = nn.ModuleList(_MEMBERS[member](**(member_config or {})) for _ in range(n_members))
        self._config = dict(member=member, member_config=self.members[0].get_config(), n_members=n_members)
        self.context = self.members[0].context
        self.infer_chunk = self.members[0].infer_chunk

    def member_forward(self, x):
        """Every member's logits, stacked: ``(n_members, batch, n_classes, n_frames)``."""
        return torch.stack([m(x) for m in self.members])

    def forward(self, x):
        return self.member_forward(x).mean(dim=0)

    def for_inference(self):
        self.eval()
        for m in self.members:
            m.for_inference()
        return self

    def infer(self, x):
        return torch.stack([m.infer(x) for m in self.members]).mean(dim=0)


_MEMBERS = {cls.NAME: cls for cls in (OnsetCNN, DrumCRNN, PitchCNN, BeatTCN)}
FRAME_NETWORKS = {**_MEMBERS, FrameEnsemble.NAME: FrameEnsemble}
