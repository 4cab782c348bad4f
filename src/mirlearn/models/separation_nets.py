"""Source-separation networks: plain ``nn.Module``s with ``get_config()``.

Both take a mixture and give one estimate per source; both keep the estimates summing to
the mixture (Wave-U-Net through its difference output, the mask U-Net through masks that sum
to one), and both separate audio of any length without seams (:meth:`separate`).

Shapes: mixtures ``(batch, n_channels, n_samples)``; sources ``(batch, n_sources,
n_channels, n_samples)``; magnitudes ``(batch, [n_sources,] n_channels, n_bins, n_frames)``.

References
----------
Stoller, D., Ewert, S. and Dixon, S. "Wave-U-Net: a multi-scale neural network for end-to-end
audio source separation." ISMIR 2018.
Jansson, A., Humphrey, E., Montecchio, N., Bittner, R., Kumar, A. and Weyde, T. "Singing voice
separation with deep U-Net convolutional networks." ISMIR 2017.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ParameterError
from .serial import _Serializable

__all__ = ["WaveUNet", "MaskUNet", "SEPARATION_NETWORKS"]


def _centre_crop(x, n):
    off = (x.shape[-1] - n) // 2
    return x[..., off:off + n]


def _upsample_linear(x):
    """``m`` samples to ``2m - 1``: the originals with their midpoints between (linear
    interpolation, no extrapolation past the ends; Stoller et al.'s "linear" upsampling)."""
    mid = 0.5 * (x[..., :-1] + x[..., 1:])
    out = torch.stack([x[..., :-1], mid], dim=-1).flatten(-2)
    return torch.cat([out, x[..., -1:]], dim=-1)


class WaveUNet(_Serializable):
    """Wave-U-Net (Stoller et al. 2018) on raw waveforms.

    Every convolution is "valid" (no padding), so the output is shorter than the input and
    each output sample sees its whole receptive field: separating a long file is tiling the
    output with no overlap and no seams. The encoder decimates (keeps every other sample)
    after each of ``n_layers`` convolutions of ``down_kernel`` taps with ``n_filters * (i +
    1)`` channels; the decoder upsamples by linear interpolation, concatenates the encoder's
    features (centre-cropped) and convolves (``up_kernel`` taps); a 1x1 convolution over the
    last features and the (cropped) input gives ``n_sources - 1`` sources, and the last is
    the mixture minus their sum (``difference_output``), so the estimates add up to the
    input exactly.

    The paper's best model (M4, 22,050 Hz): ``n_layers=12, n_filters=24, down_kernel=15,
    up_kernel=5``; 147,443 input samples for 16,389 output samples.
    """

    NAME = "wave_u_net"
    INPUT = "waveform"

    def __init__(self, *, n_sources=4, n_channels=1, n_layers=12, n_filters=24, down_kernel=15, up_kernel=5, difference_output=True,
                 output_samples=16384):
        super().__init__()
        self._config = dict(n_sources=n_sources, n_channels=n_channels, n_layers=n_layers, n_filters=n_filters,
                            down_kernel=down_kernel, up_kernel=up_kernel, difference_output=difference_output,
                            output_samples=output_samples)
        if n_sources < 2 and difference_output:
            raise ParameterError("difference_output needs at least 2 sources")
        Fc = n_filters
        self.down = nn.ModuleList(nn.Conv1d(n_channels if i == 0 else Fc * i, Fc * (i + 1), down_kernel) for i in range(n_layers))
        self.bottleneck = nn.Conv1d(Fc * n_layers, Fc * (n_layers + 1), down_kernel)
        self.up = nn.ModuleList(nn.Conv1d(Fc * (i + 2) + Fc * (i + 1), Fc * (i + 1), up_kernel) for i in reversed(range(n_layers)))
        n_out = n_sources - 1 if difference_output else n_sources
        self.out = nn.Conv1d(Fc + n_channels, n_out * n_channels, 1)
        self.n_sources, self.n_channels = n_sources, n_channels
        self.input_samples, self.output_samples = self.valid_sizes(output_samples)

    # -- geometry -----------------------------------------------------------------------

    def _sizes_from_bottom(self, bottom):
        L, kd, ku = self._config["n_layers"], self._config["down_kernel"], self._config["up_kernel"]
        n = bottom
        for _ in range(L):
            n = 2 * n - 1 - (ku - 1)
            if n < 1:
                return None
        m = bottom + kd - 1
        for _ in range(L):
            m = (2 * m - 1) + kd - 1
        return m, n

    def valid_sizes(self, output_samples):
        """``(input_samples, output_samples)``: the shortest input whose output has at least
        ``output_samples`` samples (valid convolutions allow only some lengths)."""
        bottom = 1
        while True:
            s = self._sizes_from_bottom(bottom)
            if s is not None and s[1] >= output_samples:
                return s
            bottom += 1

    @property
    def context(self):
        """Input samples before the first output sample."""
        return (self.input_samples - self.output_samples) // 2

    # -- forward ------------------------------------------------------------------------

    def forward(self, x):
        """``(batch, n_channels, input_samples)`` -> ``(batch, n_sources, n_channels, n_out)``."""
        skips = []
        h = x
        for conv in self.down:
            h = F.leaky_relu(conv(h), 0.2)
            skips.append(h)
            h = h[..., ::2]
        h = F.leaky_relu(self.bottleneck(h), 0.2)
        for conv, skip in zip(self.up, reversed(skips)):
            h = _upsample_linear(h)
            h = torch.cat([h, _centre_crop(skip, h.shape[-1])], dim=1)
            h = F.leaky_relu(conv(h), 0.2)
        mix = _centre_crop(x, h.shape[-1])
        est = self.out(torch.cat([h, mix], dim=1))
        b, _, n = est.shape
        est = est.reshape(b, -1, self.n_channels, n)
        if self._config["difference_output"]:
            est = torch.cat([est, (mix - est.sum(dim=1))[:, None]], dim=1)
        return est

    def training_pair(self, sources):
        """``(estimates, targets)`` for a batch of source chunks ``(batch, n_sources,
        n_channels, input_samples)``: the network on their mixture, and the sources cropped
        to the output."""
        est = self(sources.sum(dim=1))
        return est, sources[..., self.context:self.context + est.shape[-1]]

    @torch.inference_mode()
    def separate(self, y, *, batch_size=4):
        """Separate a whole mixture ``(n_channels, n_samples)`` -> ``(n_sources, n_channels,
        n_samples)``: output windows side by side, each with its input context (zeros past
        the ends)."""
        y = torch.as_tensor(np.asarray(y, np.float32))
        n = y.shape[-1]
        n_out, ctx = self.output_samples, self.context
        n_win = max(1, -(-n // n_out))
        padded = F.pad(y, (ctx, n_win * n_out - n + self.input_samples - n_out - ctx))
        starts = list(range(0, n_win * n_out, n_out))
        out = torch.empty(self.n_sources, y.shape[0], n_win * n_out)
        for i in range(0, len(starts), batch_size):
            batch = torch.stack([padded[:, s:s + self.input_samples] for s in starts[i:i + batch_size]])
            est = self(batch)
            for k, s in enumerate(starts[i:i + batch_size]):
                out[..., s:s + n_out] = est[k]
        return out[..., :n].numpy()


class _Down(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 5, stride=2, padding=2)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return F.leaky_relu(self.bn(self.conv(x)), 0.2)


class _Up(nn.Module):
    def __init__(self, cin, cout, dropout):
        super().__init__()
        self.deconv = nn.ConvTranspose2d(cin, cout, 5, stride=2, padding=2, output_padding=1)
        self.bn = nn.BatchNorm2d(cout)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        return self.drop(F.relu(self.bn(self.deconv(x))))


class MaskUNet(_Serializable):
    """A spectrogram U-Net that predicts one soft mask per source (Jansson et al. 2017).

    Input: the mixture's STFT magnitude (``n_fft``, ``hop_length``, Hann, centred, as
    :func:`mirlearn.features.spectral.stft`), ``log1p``-compressed, the Nyquist bin left out.
    ``depth`` stride-2 5x5 convolutions (batch norm, leaky ReLU) go down, as many transposed
    convolutions come up with skip connections (dropout on the first three), and a softmax
    over sources gives masks that sum to one in every bin, so the estimates (masked mixture
    STFT, mixture phase, exact inverse STFT) sum to the mixture.
    """

    NAME = "mask_unet"
    INPUT = "waveform"

    def __init__(self, *, n_sources=4, n_channels=1, n_fft=2048, hop_length=512, depth=5, n_filters=16, dropout=0.5,
                 chunk_frames=128):
        super().__init__()
        self._config = dict(n_sources=n_sources, n_channels=n_channels, n_fft=n_fft, hop_length=hop_length, depth=depth,
                            n_filters=n_filters, dropout=dropout, chunk_frames=chunk_frames)
        n_bins = n_fft // 2
        if n_bins % (2**depth) or chunk_frames % (2**depth):
            raise ParameterError(f"n_fft // 2 ({n_bins}) and chunk_frames ({chunk_frames}) must be multiples of 2**depth ({2**depth})")
        chans = [n_channels] + [n_filters * 2**i for i in range(depth)]
        self.down = nn.ModuleList(_Down(chans[i], chans[i + 1]) for i in range(depth))
        ups = []
        for i in reversed(range(depth)):
            cin = chans[i + 1] * (1 if i == depth - 1 else 2)
            cout = chans[i] if i > 0 else n_filters
            ups.append(_Up(cin, cout, dropout if i >= depth - 3 else 0.0))
        self.up = nn.ModuleList(ups)
        self.head = nn.Conv2d(n_filters, n_sources * n_channels, 1)
        self.register_buffer("window", torch.hann_window(n_fft, periodic=True), persistent=False)
        self.n_sources, self.n_channels = n_sources, n_channels

    def stft(self, x):
        """``(..., n_samples)`` -> complex ``(..., 1 + n_fft // 2, n_frames)``."""
        c = self._config
        lead = x.shape[:-1]
        X = torch.stft(x.reshape(-1, x.shape[-1]), c["n_fft"], c["hop_length"], window=self.window, center=True,
                       pad_mode="constant", return_complex=True)
        return X.reshape(*lead, *X.shape[-2:])

    def masks(self, mag):
        """Mixture magnitudes ``(batch, n_channels, 1 + n_fft // 2, n_frames)`` -> masks
        ``(batch, n_sources, n_channels, 1 + n_fft // 2, n_frames)`` that sum to 1 over
        sources."""
        h = torch.log1p(mag[:, :, :-1])
        skips = []
        for layer in self.down:
            h = layer(h)
            skips.append(h)
        skips.pop()
        for k, layer in enumerate(self.up):
            h = layer(h)
            if skips:
                h = torch.cat([h, skips.pop()], dim=1)
        logits = self.head(h)
        b, _, f, t = logits.shape
        logits = logits.reshape(b, self.n_sources, self.n_channels, f, t)
        logits = torch.cat([logits, logits[..., -1:, :]], dim=-2)  # the Nyquist bin shares the top bin's mask
        return torch.softmax(logits, dim=1)

    def forward(self, mag):
        return self.masks(mag)

    def training_pair(self, sources, *, waveforms=False):
        """``(estimates, targets)`` as magnitudes: the masked mixture magnitude and each
        source's magnitude, for source chunks ``(batch, n_sources, n_channels, n_samples)``
        whose frame count is a multiple of ``2**depth``.

        With ``waveforms=True``, also the estimated waveforms (masked mixture STFT, mixture
        phase, inverse STFT: what :meth:`separate` returns) and the true ones, cut to the
        same length: ``(est_mag, true_mag, est_wave, true_wave)``. A loss on these sees the
        phase the estimate will be heard with, which a loss on magnitudes does not."""
        X = self.stft(sources.sum(dim=1))
        S = self.stft(sources).abs()
        t = (X.shape[-1] // 2 ** self._config["depth"]) * 2 ** self._config["depth"]
        mag = X.abs()[..., :t]
        m = self.masks(mag)
        if not waveforms:
            return m * mag[:, None], S[..., :t]
        c = self._config
        n = min(sources.shape[-1], (t - 1) * c["hop_length"])
        Y = m * X[:, None, ..., :t]
        est = torch.istft(Y.reshape(-1, *Y.shape[-2:]), c["n_fft"], c["hop_length"], window=self.window, center=True, length=n)
        return m * mag[:, None], S[..., :t], est.reshape(*Y.shape[:3], n), sources[..., :n]

    def wave_scale(self, power=1):
        """The factor that puts a waveform error on the scale of a magnitude error for
        noise-like signals: the window's energy ``sum(w**2)`` to the power ``power / 2``
        (Parseval; about 27.7 for L1 with a 2048-sample Hann window)."""
        return float(self.window.pow(2).sum()) ** (power / 2)

    def samples_for(self, n_frames):
        """Samples whose centred STFT has exactly ``n_frames`` frames."""
        return (n_frames - 1) * self._config["hop_length"]

    @torch.inference_mode()
    def separate(self, y, *, context_frames=None):
        """Separate a whole mixture ``(n_channels, n_samples)`` -> ``(n_sources, n_channels,
        n_samples)``. Masks are computed on chunks of ``chunk_frames`` frames, each with
        ``context_frames`` on both sides (default a quarter chunk), and only their centres
        kept; then one inverse STFT of the whole masked spectrogram, so chunk borders leave
        no seam in the waveform."""
        c = self._config
        if context_frames is None:
            context_frames = c["chunk_frames"] // 4
        y = torch.as_tensor(np.asarray(y, np.float32))
        n = y.shape[-1]
        X = self.stft(y)  # (C, F, T)
        T = X.shape[-1]
        step = c["chunk_frames"] - 2 * context_frames
        if step <= 0:
            raise ParameterError(f"context_frames={context_frames} leaves no centre in chunks of {c['chunk_frames']} frames")
        mag = F.pad(X.abs(), (context_frames, step + context_frames))
        masks = torch.empty(self.n_sources, *X.shape)
        for s in range(0, T, step):
            m = self.masks(mag[None, ..., s:s + c["chunk_frames"]])[0]
            e = min(step, T - s)
            masks[..., s:s + e] = m[..., context_frames:context_frames + e]
        est = torch.istft((masks * X[None]).reshape(-1, *X.shape[-2:]), c["n_fft"], c["hop_length"], window=self.window,
                          center=True, length=n)
        return est.reshape(self.n_sources, y.shape[0], n).numpy()


SEPARATION_NETWORKS = {cls.NAME: cls for cls in (WaveUNet, MaskUNet)}
