"""Torch front-ends: the hand-designed stages of the spectrogram, MFCC, chroma and the CQT as
layers, each frozen or trainable, built from the same filter builders as the numpy engine
(:mod:`mirlearn.features.filters`, :mod:`mirlearn.features.cqt`).

A front-end turns waveforms ``(batch, n_samples)`` into features ``(batch, n_features,
n_frames)`` (time last). It is a chain of named stages:

========== ==================================================== ===========================
stage      what it is                                           trainable part
========== ==================================================== ===========================
``dft``    ``|STFT| ** power``; frozen: ``torch.stft``;         the DFT kernels (window ×
           trainable: a strided convolution with DFT kernels    cosine / sine), real
``mel``    mel filterbank (:func:`~mirlearn.features.filters.  the filter matrix
           mel_filterbank`)
``chroma`` chroma map (:func:`~mirlearn.features.filters.       the map
           chroma_filterbank` or ``cq_to_chroma``), then each
           frame scaled to max 1 (``norm=inf``)
``cqt``    constant-Q transform, octave by octave as            every octave's wavelet
           :func:`mirlearn.features.cqt.cqt`                    kernels (complex)
``log``    ``log='db'``: power (or amplitude) to dB, clipped    ``log='log1p'``: C per band
           ``top_db`` below each example's maximum;
           ``log='log1p'``: ``log(1 + C x)``
``pcen``   per-channel energy normalisation (librosa's          gain, bias, power and
           :func:`~librosa.pcen`)                               smoothing, per channel
``dct``    DCT-II (→ MFCC), ``norm='ortho'``, optional lifter   the DCT matrix
``sinc``   SincNet's band-pass filters, then frame energies     the bands' low cut-offs
                                                                and widths
========== ==================================================== ===========================

Frozen stages hold their weights as buffers; trainable ones as ``nn.Parameter``, initialised
from the hand-designed matrix, so that a network learns where the designer guessed. Frozen,
every front-end reproduces the engine's feature (:func:`mirlearn.extract`) of the same name and
parameters (tolerances in ``docs/frontends.md``; the CQT halves the signal's rate in the
frequency domain instead of with soxr, which moves its values by about 1e-3 of the maximum).

Parameters are librosa's, by name (``n_fft``, ``hop_length``, ``n_mels``, ``fmin``...): see
:data:`FRONTENDS` for each front-end's stages and defaults. Unknown names are errors.

References
----------
Ravanelli, M., & Bengio, Y. "Speaker recognition from raw waveform with SincNet." SLT 2018.
Wang, Y., Getreuer, P., Hughes, T., Lyon, R. F., & Saurous, R. A. "Trainable frontend for
robust and far-field keyword spotting." ICASSP 2017 (PCEN).
Schörkhuber, C., & Klapuri, A. "Constant-Q transform toolbox for music processing." SMC 2010.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ParameterError

__all__ = ["FRONTENDS", "Frontend", "frontend", "frontend_changes", "list_frontends"]

_STFT = dict(n_fft=2048, hop_length=512, win_length=None, window="hann", center=True, pad_mode="constant")
_MEL = dict(n_mels=128, fmin=0.0, fmax=None, htk=False, norm="slaney")
_DB = dict(log="db", ref=1.0, amin=1e-10, top_db=80.0, log_c=1.0)
_CQT = dict(hop_length=512, fmin=None, n_bins=84, bins_per_octave=12, tuning=0.0, filter_scale=1, norm=1, sparsity=0.01,
            window="hann", scale=True, pad_mode="constant")
_PCEN = dict(gain=0.98, bias=2.0, power=0.5, time_constant=0.4, eps=1e-6)
_SINC = dict(n_filters=80, kernel_size=401, hop_length=512, win_length=2048, fmin=30.0, fmax=None, min_band_hz=20.0,
             ref=1.0, amin=1e-10, top_db=80.0)

#: Every front-end: its stages (in order), its parameters with their defaults (librosa's), and
#: the librosa expression it reproduces when frozen.
FRONTENDS = {
    "stft": dict(stages=("dft",), params=dict(_STFT, power=1.0), librosa="np.abs(librosa.stft(y)) ** power"),
    "mel": dict(stages=("dft", "mel"), params=dict(_STFT, **_MEL, power=2.0), librosa="librosa.feature.melspectrogram(y=y, sr=sr)"),
    "logmel": dict(stages=("dft", "mel", "log"), params=dict(_STFT, **_MEL, power=2.0, **_DB),
                   librosa="librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=sr))"),
    "mfcc": dict(stages=("dft", "mel", "log", "dct"),
                 params=dict(_STFT, **{k: v for k, v in _MEL.items() if k != "norm"}, power=2.0, **_DB, n_mfcc=20, norm="ortho", lifter=0),
                 librosa="librosa.feature.mfcc(y=y, sr=sr)"),
    "pcen": dict(stages=("dft", "mel", "pcen"), params=dict(_STFT, **_MEL, **_PCEN),
                 librosa="librosa.pcen(librosa.feature.melspectrogram(y=y, sr=sr, power=1) * 2**31)"),
    "chroma": dict(stages=("dft", "chroma"), params=dict(_STFT, power=2.0, n_chroma=12, tuning=0.0, ctroct=5.0, octwidth=2, base_c=True, norm=math.inf),
                   librosa="librosa.feature.chroma_stft(y=y, sr=sr, tuning=0.0)"),
    "cqt": dict(stages=("cqt",), params=dict(_CQT), librosa="np.abs(librosa.cqt(y, sr=sr))"),
    "logcqt": dict(stages=("cqt", "log"), params=dict(_CQT, log="db", ref=1.0, amin=1e-5, top_db=80.0, log_c=1.0),
                   librosa="librosa.amplitude_to_db(np.abs(librosa.cqt(y, sr=sr)))"),
    "chroma_cqt": dict(stages=("cqt", "chroma"), params=dict({k: v for k, v in _CQT.items() if k != "n_bins"}, bins_per_octave=36,
                                                          n_octaves=7, n_chroma=12, chroma_norm=math.inf),
                       librosa="librosa.feature.chroma_cqt(y=y, sr=sr, tuning=0.0)"),
    "sincnet": dict(stages=("sinc", "log"), params=dict(_SINC), librosa=None),
}


def list_frontends():
    """``[(name, stages, librosa expression)]`` of every front-end, for ``--list-frontends``."""
    return [(name, spec["stages"], spec["librosa"]) for name, spec in FRONTENDS.items()]


def _hold(module, name, value, trainable, *, scale=None):
    """``value`` as ``module.name``: an ``nn.Parameter`` if ``trainable``, else a buffer; held
    in units of ``scale`` (default: its largest magnitude; a buffer ``name_scale``), so that
    one optimiser step moves every kind of weight by a like fraction of its size: mel
    weights (about 1e-3) and SincNet's band edges (about 1e3 Hz) alike. :meth:`_Stage.w`
    gives the weight in its own units."""
    value = np.array(value, dtype=np.float64)
    if scale is None:
        scale = float(np.abs(value).max()) or 1.0
    module.register_buffer(f"{name}_scale", torch.tensor(float(scale), dtype=torch.float32))
    t = torch.tensor((value / scale).astype(np.float32))
    if trainable:
        setattr(module, name, nn.Parameter(t))
    else:
        module.register_buffer(name, t)


class _Stage(nn.Module):
    #: the weights :func:`frontend_changes` compares with their initialisation, by name
    weights = ()

    def w(self, name):
        """The weight ``name`` in its own units."""
        return getattr(self, name) * getattr(self, f"{name}_scale")


class DFT(_Stage):
    """``|STFT(y)| ** power`` as :func:`mirlearn.features.spectral.stft`. Frozen: ``torch.stft``.
    Trainable: a strided ``conv1d`` with the windowed DFT kernels (cosine and sine rows)."""

    weights = ("kernels",)

    def __init__(self, *, n_fft, hop_length, win_length, window, center, pad_mode, power, trainable=False):
        super().__init__()
        from ..features.filters import stft_window

        self.n_fft, self.hop, self.center, self.pad_mode, self.power = int(n_fft), int(hop_length), bool(center), pad_mode, float(power)
        self.trainable = bool(trainable)
        w = np.asarray(stft_window(window, win_length or n_fft, n_fft), dtype=np.float64)
        if self.trainable:
            k = np.arange(n_fft // 2 + 1)[:, None] * np.arange(n_fft)[None, :]
            ang = 2 * np.pi * (k % n_fft) / n_fft
            _hold(self, "kernels", np.concatenate([w * np.cos(ang), -w * np.sin(ang)]), True, scale=1.0)
        else:
            self.register_buffer("window", torch.as_tensor(w, dtype=torch.float32))

    def squared_parts(self, y):
        """Frozen, ``power=2``: the squared real and imaginary parts of the STFT, interleaved
        along the last axis, ``(batch, n_frames, 2 * n_bins)``, for :meth:`Linear.from_parts`
        (a frame-major layout and no complex ``abs``: twice as fast on CPU)."""
        X = torch.stft(y, self.n_fft, self.hop, window=self.window, center=self.center, pad_mode=self.pad_mode, return_complex=True)
        parts = torch.view_as_real(X.transpose(1, 2)).flatten(-2)
        # X is ours alone: square it in place unless autograd must see the input's gradient
        return parts.square() if y.requires_grad and torch.is_grad_enabled() else parts.square_()

    def forward(self, y):
        if not self.trainable:
            X = torch.stft(y, self.n_fft, self.hop, window=self.window, center=self.center, pad_mode=self.pad_mode,
                           return_complex=True)
            mag = X.abs()
            return mag if self.power == 1 else mag.square() if self.power == 2 else mag**self.power
        if self.center:
            y = F.pad(y[:, None], (self.n_fft // 2, self.n_fft // 2), mode=self.pad_mode)
        else:
            y = y[:, None]
        out = F.conv1d(y, self.w("kernels")[:, None], stride=self.hop)
        n = self.n_fft // 2 + 1
        p = out[:, :n].square() + out[:, n:].square()
        return p if self.power == 2 else p.clamp_min(1e-20) ** (self.power / 2)


class Linear(_Stage):
    """``W @ x`` along the feature axis: a mel filterbank, a chroma map or a DCT matrix.

    ``local=True`` (filterbanks and chroma maps): trained, each filter keeps to the bins its
    hand-designed version covers (the non-zero entries, a ``support`` buffer): it can change
    its shape and gain there, not grow weights over the whole spectrum. (Trained densely, the
    optimiser's steps on the thousands of zero entries add up to broadband noise that swamps a
    narrow band; docs/benchmarks.md has the numbers.)"""

    weights = ("weight",)

    def __init__(self, matrix, *, trainable=False, local=False):
        super().__init__()
        _hold(self, "weight", matrix, trainable)
        self.local = bool(local and trainable)
        if self.local:
            self.register_buffer("support", torch.tensor(np.asarray(matrix) != 0, dtype=torch.float32))

    def w(self, name):
        w = super().w(name)
        return w * self.support if self.local and name == "weight" else w

    def post(self, c):
        return c

    def forward(self, x):
        return self.post(torch.matmul(self.w("weight"), x))

    def from_parts(self, parts):
        """The stage applied to the power spectrum given as :meth:`DFT.squared_parts`."""
        return self.post(self.from_parts_with(parts, self.w("weight")))

    @staticmethod
    def from_parts_with(parts, W):
        """``W @ power`` with the power spectrum given as :meth:`DFT.squared_parts`."""
        return torch.matmul(parts, W.repeat_interleave(2, dim=1).T).transpose(1, 2)


class Chroma(Linear):
    """A chroma map, then each frame scaled to ``max |x| = 1`` (``norm=inf``, librosa's
    ``util.normalize`` with frames under the smallest float left as they are) or to unit
    ``norm``-norm."""

    def __init__(self, matrix, *, norm=math.inf, trainable=False, local=False):
        super().__init__(matrix, trainable=trainable, local=local)
        self.norm = norm

    def post(self, c):
        if self.norm is None:
            return c
        length = c.abs().amax(dim=-2, keepdim=True) if self.norm == math.inf else c.abs().pow(self.norm).sum(-2, keepdim=True) ** (1 / self.norm)
        length = torch.where(length < torch.finfo(c.dtype).tiny, torch.ones_like(length), length)
        return c / length


class DB(_Stage):
    """``mult * log10(max(amin, x) / ref)`` (``mult`` 10 for power, 20 for amplitude),
    clipped ``top_db`` below each example's maximum: librosa's ``power_to_db`` /
    ``amplitude_to_db`` per example."""

    def __init__(self, *, ref, amin, top_db, mult=10.0):
        super().__init__()
        self.ref, self.amin, self.top_db, self.mult = float(ref), float(amin), top_db, float(mult)

    def forward(self, x):
        out = self.mult * torch.log10(x.clamp_min(self.amin)) - self.mult * math.log10(max(self.amin, abs(self.ref)))
        if self.top_db is not None:
            out = torch.maximum(out, out.amax(dim=(-2, -1), keepdim=True) - float(self.top_db))
        return out


class Log1p(_Stage):
    """``log(1 + C x)`` with one ``C`` per band (held as ``log C``: trainable, it stays
    positive)."""

    weights = ("log_c",)

    def __init__(self, n_bands, *, c=1.0, trainable=False):
        super().__init__()
        _hold(self, "log_c", np.full((n_bands, 1), math.log(c)), trainable, scale=1.0)

    def forward(self, x):
        return torch.log1p(torch.exp(self.w("log_c")) * x)


class PCEN(_Stage):
    """Per-channel energy normalisation, as :func:`librosa.pcen` on ``S * 2**31``:
    ``(S / (eps + M) ** gain + bias) ** power - bias ** power`` with ``M`` the first-order IIR
    smoothing of ``S`` over time (coefficient ``b`` from ``time_constant``, started at the
    steady state of a constant input of 1, as librosa's ``zi``). Trainable: gain, bias, power and ``b`` per channel, held as logs.
    The smoother runs as an FFT convolution with its (differentiable) impulse response, so
    training does not loop over frames.

    References
    ----------
    Wang, Y., et al. "Trainable frontend for robust and far-field keyword spotting." ICASSP
    2017. Lostanlen, V., et al. "Per-channel energy normalization: why and how." IEEE SPL 2019.
    """

    weights = ("log_gain", "log_bias", "log_power", "log_b")

    def __init__(self, n_bands, *, sr, hop_length, gain, bias, power, time_constant, eps, trainable=False):
        super().__init__()
        t_frames = time_constant * sr / float(hop_length)
        b = (math.sqrt(1 + 4 * t_frames**2) - 1) / (2 * t_frames**2)
        for name, v in (("log_gain", gain), ("log_bias", bias), ("log_power", power), ("log_b", b)):
            _hold(self, name, np.full((n_bands, 1), math.log(v)), trainable, scale=1.0)
        self.eps = float(eps)

    def smooth(self, S):
        # in float64: a float32 FFT convolution's rounding is relative to the band's loudest
        # frame, and reached 0.25 % of M (and of the output) at a quiet first frame
        dtype = S.dtype
        S = S.double()
        b = torch.exp(self.w("log_b").double()).clamp(1e-4, 1.0)  # (n_bands, 1)
        T = S.shape[-1]
        k = torch.arange(T, dtype=S.dtype, device=S.device)
        decay = torch.exp(k * torch.log1p(-b.clamp_max(1 - 1e-7)))  # (1-b)^k
        n = 2 * T
        conv = torch.fft.irfft(torch.fft.rfft(S, n=n) * torch.fft.rfft(b * decay, n=n), n=n)[..., :T]
        # librosa's initial state: lfilter_zi, the steady state of a constant input of 1
        return (conv + (1 - b) * decay).to(dtype)

    def forward(self, x):
        S = x.clamp_min(0) * 2.0**31  # energies; a trained filterbank may dip below 0
        # the FFT convolution leaves rounding of the loudest frames (about 1e-7 of them) in
        # silent ones, which can be below 0: clamped, as the recursive filter's output would be
        M = self.smooth(S).clamp_min(0)
        gain, bias, power = (torch.exp(self.w(p)) for p in ("log_gain", "log_bias", "log_power"))
        smooth = torch.exp(-gain * (math.log(self.eps) + torch.log1p(M / self.eps)))
        return bias**power * torch.expm1(power * torch.log1p(S * smooth / bias))


class CQT(_Stage):
    """Constant-Q magnitude as :func:`mirlearn.features.cqt.cqt`: per octave, a rectangular
    STFT of the signal at that octave's rate and one complex matrix product with the octave's
    wavelet kernels (the engine's own plan); the signal is halved in rate between octaves in
    the frequency domain (a flat pass band to 0.9 of the new Nyquist frequency, a raised-cosine
    roll-off above), not with soxr. Trainable: every octave's kernels (real and imaginary
    parts)."""

    def __init__(self, *, sr, hop_length, fmin, n_bins, bins_per_octave, tuning, filter_scale, norm, sparsity, window, scale,
                 pad_mode, trainable=False):
        super().__init__()
        from ..features.cqt import _plan
        from ..features.filters import C1_HZ

        fmin = C1_HZ if fmin is None else fmin
        fmin = float(fmin * 2.0 ** (tuning / bins_per_octave))
        window = tuple(window) if isinstance(window, list) else window
        early, octaves, sqrt_len = _plan(float(sr), int(hop_length), fmin, int(n_bins), int(bins_per_octave), filter_scale, norm,
                                         float(sparsity), window, bool(scale))
        self.early, self.scale, self.pad_mode, self.n_bins = int(early), bool(scale), pad_mode, int(n_bins)
        self.plan = [(int(level), int(hop), int(n_fft), int(c0)) for level, hop, n_fft, c0, _ in octaves]
        self.weights = tuple(f"kernels_{i}" for i in range(len(octaves)))
        for i, (*_, block) in enumerate(octaves):
            _hold(self, f"kernels_{i}", np.stack([block.real, block.imag]), trainable)
        self.register_buffer("inv_sqrt_len", torch.as_tensor(1.0 / sqrt_len if sqrt_len is not None else np.ones(n_bins), dtype=torch.float32)[:, None])

    @staticmethod
    def halve(y):
        """``y`` at half the rate (``ceil(n / 2)`` samples), times sqrt(2) as the engine's
        ``_halve``: band-limited in the frequency domain."""
        import scipy.fft

        n = y.shape[-1]
        pad = 2048  # zeros on both sides: the filter's ringing does not wrap around
        N = scipy.fft.next_fast_len(n + 2 * pad, real=True)
        while N % 4:
            N = scipy.fft.next_fast_len(N + 1, real=True)
        Y = torch.fft.rfft(F.pad(y, (pad, N - n - pad)))[..., : N // 4 + 1]
        f = torch.linspace(0, 1, N // 4 + 1, device=y.device, dtype=y.dtype)  # 1 = new Nyquist
        taper = torch.where(f <= 0.9, torch.ones_like(f), 0.5 * (1 + torch.cos(math.pi * (f - 0.9) / 0.1)))
        out = torch.fft.irfft(Y * taper, n=N // 2)[..., pad // 2: pad // 2 + (n + 1) // 2]
        return out * (math.sqrt(2.0) / 2)

    def forward(self, y):
        level_sig = {}
        sig = y
        for _ in range(self.early):
            sig = self.halve(sig)
        if not self.scale:
            sig = sig * math.sqrt(2.0**self.early)
        level_sig[0] = sig
        responses = []
        for i, (level, hop, n_fft, c0) in enumerate(self.plan):
            while level not in level_sig:
                level_sig[max(level_sig) + 1] = self.halve(level_sig[max(level_sig)])
            X = torch.stft(level_sig[level], n_fft, hop, window=torch.ones(n_fft, dtype=y.dtype, device=y.device), center=True,
                           pad_mode=self.pad_mode, return_complex=True).transpose(1, 2)  # (b, t, bins): contiguous
            k = self.w(f"kernels_{i}")
            R = torch.matmul(X[..., c0:c0 + k.shape[-1]], torch.complex(k[0], k[1]).T)  # (b, t, filters)
            responses.append(R.abs().transpose(1, 2))
        n_frames = min(r.shape[-1] for r in responses)
        parts, end = [], self.n_bins
        for r in responses:  # octaves from the top down
            take = min(end, r.shape[-2])
            parts.append(r[:, r.shape[-2] - take:, :n_frames])
            end -= take
        return torch.cat(parts[::-1], dim=1) * self.inv_sqrt_len


class Sinc(_Stage):
    """SincNet's parametric band-pass filters (a Hamming-windowed difference of two sinc
    low-passes per band, mel-spaced at the start) as a filterbank energy whose band edges are
    learnt: each frame's energy through each filter, ``sum_f |H(f)|^2 |Y(f)|^2`` over the
    frame's power spectrum (a Hann-windowed STFT of ``win_length`` samples every
    ``hop_length``), which is the filtered frame's energy by Parseval's theorem, up to the
    frame window. Filtering the signal itself (SincNet's convolution, even done by FFT) gives
    the same bands at about 20 times the cost of a training step on a CPU. Trainable: each band's low cut-off and width (Hz).

    References
    ----------
    Ravanelli, M., & Bengio, Y. "Speaker recognition from raw waveform with SincNet." SLT 2018.
    """

    weights = ("low_hz", "band_hz")

    def __init__(self, *, sr, n_filters, kernel_size, hop_length, win_length, fmin, fmax, min_band_hz, trainable=False):
        super().__init__()
        from ..features.filters import hz_to_mel, mel_to_hz

        if kernel_size % 2 == 0 or kernel_size > win_length:
            raise ParameterError(f"sincnet kernel_size must be odd and at most win_length={win_length}, got kernel_size={kernel_size}")
        fmax = sr / 2 if fmax is None else fmax
        edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax - min_band_hz), n_filters + 1))
        _hold(self, "low_hz", edges[:-1], trainable, scale=1000.0)  # held in kHz
        _hold(self, "band_hz", np.diff(edges), trainable, scale=1000.0)
        self.sr, self.win, self.min_band = float(sr), int(win_length), float(min_band_hz)
        n = (kernel_size - 1) // 2
        self.register_buffer("t", torch.arange(-n, n + 1, dtype=torch.float32) / self.sr)
        self.register_buffer("hamming", torch.hamming_window(kernel_size, periodic=False))
        self.dft = DFT(n_fft=win_length, hop_length=hop_length, win_length=None, window="hann", center=True, pad_mode="constant", power=2.0)

    def filters(self):
        """The band-pass kernels ``(n_filters, kernel_size)``, each with peak gain about 1."""
        low = self.w("low_hz").abs()
        high = (low + self.min_band + self.w("band_hz").abs()).clamp(max=self.sr / 2)
        t = self.t[None]

        def lowpass(fc):
            return 2 * fc[:, None] * torch.special.sinc(2 * fc[:, None] * t)

        return (lowpass(high) - lowpass(low)) * self.hamming / self.sr

    def responses(self):
        """``|H(f)|^2`` of every filter at the STFT's bins: ``(n_filters, 1 + win_length // 2)``."""
        H = torch.fft.rfft(self.filters(), n=self.win)
        return H.real.square() + H.imag.square()

    def forward(self, y):
        return Linear.from_parts_with(self.dft.squared_parts(y), self.responses())


def _check(name, params, sr, trainable):
    spec = FRONTENDS.get(name)
    if spec is None:
        raise ParameterError(f"unknown front-end {name!r}; choose one of {', '.join(FRONTENDS)}")
    if not (isinstance(sr, (int, float)) and sr > 0):
        raise ParameterError(f"sr must be a positive number, got sr={sr!r}")
    bad = sorted(set(params) - set(spec["params"]))
    if bad:
        raise ParameterError(f"unknown parameter(s) {', '.join(bad)} for front-end {name!r}; valid: {', '.join(spec['params'])}")
    p = dict(spec["params"], **params)
    if trainable == "all":  # every stage with something to learn
        trainable = [s for s in spec["stages"] if s != "log" or p.get("log", "db") == "log1p"]
    elif isinstance(trainable, str):
        trainable = (trainable,)
    trainable = tuple(trainable)
    wrong = sorted(set(trainable) - set(spec["stages"]))
    if wrong:
        raise ParameterError(f"front-end {name!r} has no stage {', '.join(wrong)} to train; its stages: {', '.join(spec['stages'])}")
    if "log" in trainable and p.get("log", "db") == "db":
        raise ParameterError(f"front-end {name!r}: the dB stage has nothing to train; set log='log1p' to learn its compression")
    if p.get("log", "db") not in ("db", "log1p"):
        raise ParameterError(f"log must be 'db' or 'log1p', got log={p['log']!r}")
    return p, tuple(s for s in spec["stages"] if s in trainable)


class Frontend(nn.Module):
    """A chain of named stages (``self.stages``, an ``nn.ModuleDict`` in order). Build with
    :func:`frontend`; ``get_config()`` rebuilds it: ``frontend(**fe.get_config())``."""

    def __init__(self, name, *, sr, trainable=(), **params):
        super().__init__()
        p, trainable = _check(name, params, sr, trainable)
        self.name, self.sr, self.params, self.trainable = name, sr, p, trainable
        stages = nn.ModuleDict()
        n = None  # bands coming out of the last stage
        for stage in FRONTENDS[name]["stages"]:
            tr = stage in trainable
            if stage == "dft":
                stft = {k: p[k] for k in _STFT}
                stages["dft"] = DFT(**stft, power=p.get("power", 1.0) if name != "pcen" else 1.0, trainable=tr)
                n = p["n_fft"] // 2 + 1
            elif stage == "mel":
                from ..features.filters import mel_filterbank

                fb = mel_filterbank(sr=sr, n_fft=p["n_fft"], n_mels=p["n_mels"], fmin=p["fmin"], fmax=p["fmax"], htk=p["htk"],
                                    norm="slaney" if name == "mfcc" else p["norm"])
                stages["mel"], n = Linear(fb, trainable=tr, local=True), p["n_mels"]
            elif stage == "chroma" and name == "chroma":
                from ..features.filters import chroma_filterbank

                fb = chroma_filterbank(sr=sr, n_fft=p["n_fft"], n_chroma=p["n_chroma"], tuning=p["tuning"], ctroct=p["ctroct"],
                                       octwidth=p["octwidth"], base_c=p["base_c"])
                stages["chroma"], n = Chroma(fb, norm=p["norm"], trainable=tr, local=True), p["n_chroma"]
            elif stage == "chroma":
                from ..features.filters import C1_HZ, cq_to_chroma

                cmap = cq_to_chroma(n, bins_per_octave=p["bins_per_octave"], n_chroma=p["n_chroma"], fmin=p["fmin"] or C1_HZ)
                stages["chroma"], n = Chroma(cmap, norm=p["chroma_norm"], trainable=tr, local=True), p["n_chroma"]
            elif stage == "cqt":
                q = {k: p[k] for k in _CQT if k in p}
                if name == "chroma_cqt":
                    q["n_bins"] = p["n_octaves"] * p["bins_per_octave"]
                stages["cqt"], n = CQT(sr=sr, **q, trainable=tr), q["n_bins"]
            elif stage == "log":
                if p.get("log", "db") == "log1p":
                    stages["log"] = Log1p(n, c=p["log_c"], trainable=tr)
                else:
                    stages["log"] = DB(ref=p["ref"], amin=p["amin"], top_db=p["top_db"], mult=20.0 if name == "logcqt" else 10.0)
            elif stage == "pcen":
                stages["pcen"] = PCEN(n, sr=sr, hop_length=p["hop_length"], **{k: p[k] for k in _PCEN}, trainable=tr)
            elif stage == "dct":
                stages["dct"], n = Linear(_dct_matrix(n, p["n_mfcc"], p["norm"], p["lifter"]), trainable=tr), p["n_mfcc"]
            elif stage == "sinc":
                stages["sinc"] = Sinc(sr=sr, **{k: p[k] for k in ("n_filters", "kernel_size", "hop_length", "win_length", "fmin", "fmax", "min_band_hz")},
                                      trainable=tr)
                n = p["n_filters"]
        self.stages = stages
        self.n_features = n

    def forward(self, y):
        if y.ndim != 2:
            raise ParameterError(f"a front-end takes waveforms shaped (batch, n_samples), got shape {tuple(y.shape)}")
        stages = list(self.stages.values())
        first = stages[0] if stages else None
        if isinstance(first, DFT) and not first.trainable and first.power == 2 and len(stages) > 1 and isinstance(stages[1], Linear):
            x = stages[1].from_parts(first.squared_parts(y))  # the same numbers, faster
            stages = stages[2:]
        else:
            x = y
        for stage in stages:
            x = stage(x)
        return x

    def get_config(self):
        """``{name, sr, trainable, **params}``: :func:`frontend` of it builds this front-end."""
        p = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.params.items()}
        return dict(name=self.name, sr=self.sr, trainable=list(self.trainable), **p)

    def extra_repr(self):
        return f"{self.name!r}, sr={self.sr}, trainable={list(self.trainable)}"


def _dct_matrix(n_in, n_out, norm, lifter):
    """The first ``n_out`` rows of the DCT-II matrix over ``n_in`` inputs (scipy's
    ``dct(type=2, norm=norm)``), each row scaled by librosa's lifter."""
    import scipy.fft

    if norm not in ("ortho", None):
        raise ParameterError(f"the DCT norm must be 'ortho' or None, got norm={norm!r}")
    if lifter < 0:
        raise ParameterError(f"MFCC lifter={lifter!r} must be a non-negative number")
    D = scipy.fft.dct(np.eye(n_in), type=2, norm=norm, axis=0)[:n_out]
    if lifter > 0:
        D = D * (1 + (lifter / 2) * np.sin(np.pi * np.arange(1, 1 + n_out) / lifter))[:, None]
    return D


def frontend(name, *, sr, trainable=(), **params):
    """A torch front-end by name: waveforms ``(batch, n_samples)`` → features ``(batch,
    n_features, n_frames)``.

    Parameters
    ----------
    name : str
        One of :data:`FRONTENDS`: ``stft``, ``mel``, ``logmel``, ``mfcc``, ``pcen``,
        ``chroma``, ``cqt``, ``logcqt``, ``chroma_cqt``, ``sincnet``.
    sr : number > 0
        Sampling rate of the waveforms.
    trainable : sequence of str or 'all'
        Stages to learn (``dft``, ``mel``, ``chroma``, ``cqt``, ``log``, ``pcen``, ``dct``,
        ``sinc``; those of this front-end); the others are frozen buffers.
    **params
        librosa's parameters of the front-end's stages (``n_fft``, ``hop_length``,
        ``n_mels``, ``fmin``, ``n_mfcc``...); see ``FRONTENDS[name]['params']``.

    Returns
    -------
    Frontend

    Examples
    --------
    >>> fe = frontend("mfcc", sr=22050, n_mfcc=13, trainable=["mel", "dct"])  # doctest: +SKIP
    >>> fe(torch.randn(4, 22050)).shape  # doctest: +SKIP
    torch.Size([4, 13, 44])
    """
    return Frontend(name, sr=sr, trainable=trainable, **params)


def frontend_changes(fe):
    """What training changed in a front-end: for every trainable stage, each weight tensor
    before (rebuilt from the configuration: the hand-designed initialisation) and after, and
    how far it moved, ``||after - before|| / ||before||`` (Frobenius).

    Returns
    -------
    dict
        ``{stage: {"weights": {name: (initial, learned)}, "moved": float}}`` with numpy arrays,
        in the front-end's stage order.
    """
    initial = frontend(**fe.get_config())
    out = {}
    for stage in fe.trainable:
        now, then = fe.stages[stage], initial.stages[stage]
        weights, num, den = {}, 0.0, 0.0
        for name in now.weights:
            a = then.w(name).detach().cpu().numpy().astype(np.float64)
            b = now.w(name).detach().cpu().numpy().astype(np.float64)
            weights[name] = (a, b)
            num += float(np.sum((b - a) ** 2))
            den += float(np.sum(a**2))
        out[stage] = dict(weights=weights, moved=math.sqrt(num / den) if den > 0 else math.sqrt(num))
    return out
