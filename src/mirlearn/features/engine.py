"""The feature engine: many features from one pass over the signal.

:func:`extract` computes any set of features of :data:`FEATURES` from a time series. The
features that need a spectrogram share ONE short-time Fourier transform per
``(n_fft, hop_length, win_length, window, center, pad_mode)``, and everything derived from
it (magnitude, power, mel spectrogram, its dB scaling, MFCC, tuning estimate) is computed
once and reused. The CQT-based features share one CQT per CQT configuration.

Every feature is an array shaped ``(..., n_features, n_frames)`` (time last), float32. The
pretrained embeddings (``musicnn_msd``...: :mod:`mirlearn.features.embeddings`) are features
too, with one frame per 3 s patch.
Parameter names and defaults are those of the librosa function of the same name; see
``docs/features.md`` for the list, the librosa function each one matches, and the
tolerance to which it matches.
"""

from __future__ import annotations

import inspect
import math
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..audio.io import SILENT
from ..errors import MirlearnWarning, ParameterError
from . import spectral
from .cqt import cqt as _cqt
from .embeddings import EMBEDDING_FEATURES
from .embeddings import _compute as _embedding
from .filters import chroma_filterbank, cq_to_chroma, mel_filterbank, normalize

__all__ = ["FEATURES", "DEFAULT_FEATURES", "FeatureSpec", "extract", "resolve_params"]


@dataclass(frozen=True)
class FeatureSpec:
    """One entry of the feature registry.

    Attributes
    ----------
    name : str
    librosa : str
        The librosa expression this feature reproduces (used in docs and parity tests).
    params : dict
        Parameter names and their defaults (librosa's).
    compute : callable
        ``compute(ctx, params) -> np.ndarray`` with ``ctx`` a :class:`_Context`.
    axis : str
        What the feature axis is, for plots: ``'linear'``, ``'mel'``, ``'cqt_note'``,
        ``'chroma'``, ``'coef'`` (numbered coefficients) or ``'scalar'``.
    """

    name: str
    librosa: str
    params: dict
    compute: Callable = field(repr=False)
    axis: str = "coef"


_STFT = dict(n_fft=2048, hop_length=512, win_length=None, window="hann", center=True, pad_mode="constant")
_MEL = dict(n_mels=128, fmin=0.0, fmax=None, htk=False, norm="slaney", power=2.0)
# the CQT's parameters and defaults are those of features.cqt.cqt (librosa's)
_CQT = {
    k: v.default for k, v in inspect.signature(_cqt).parameters.items() if v.default is not inspect.Parameter.empty and k not in ("sr", "pyramid")
}


class _Context:
    """Memo of intermediate results for one signal: each node is computed once."""

    def __init__(self, y, sr):
        self.y = y
        self.sr = sr
        self._memo = {}

    def memo(self, key, fn):
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = fn()
            return value

    # -- STFT family --------------------------------------------------------------
    @staticmethod
    def stft_key(p):
        return (p["n_fft"], p["hop_length"], p["win_length"], p["window"], p["center"], p["pad_mode"])

    def stft(self, p):
        k = self.stft_key(p)
        return self.memo(
            ("stft",) + k,
            lambda: spectral.stft(
                self.y,
                n_fft=k[0],
                hop_length=k[1],
                win_length=k[2],
                window=k[3],
                center=k[4],
                pad_mode=k[5],
            ),
        )

    def magnitude(self, p):
        return self.memo(("mag",) + self.stft_key(p), lambda: np.abs(self.stft(p)))

    def spectrogram(self, p, power):
        """``|STFT| ** power`` (power 1: magnitude, 2: power)."""
        if power == 1:
            return self.magnitude(p)

        def f():
            mag = self.magnitude(p)
            return np.square(mag) if power == 2 else mag**power

        return self.memo(("spec", power) + self.stft_key(p), f)

    def mel(self, p, norm):
        key = ("mel", p["power"], p["n_mels"], p["fmin"], p["fmax"], p["htk"], norm) + self.stft_key(p)

        def f():
            fb = mel_filterbank(
                sr=self.sr, n_fft=p["n_fft"], n_mels=p["n_mels"], fmin=p["fmin"], fmax=p["fmax"], htk=p["htk"], norm=norm
            )
            return np.matmul(fb, self.spectrogram(p, p["power"]))

        return self.memo(key, f)

    def logmel(self, p, norm, ref=1.0, amin=1e-10, top_db=80.0):
        key = ("logmel", ref, amin, top_db, p["power"], p["n_mels"], p["fmin"], p["fmax"], p["htk"], norm) + self.stft_key(p)
        return self.memo(key, lambda: spectral.power_to_db(self.mel(p, norm), ref=ref, amin=amin, top_db=top_db))

    def mfcc(self, p):
        key = ("mfcc", p["n_mfcc"], p["dct_type"], p["norm"], p["lifter"], p["power"], p["n_mels"], p["fmin"], p["fmax"], p["htk"]) + self.stft_key(p)

        def f():
            import scipy.fft

            # as librosa.feature.mfcc: the mel spectrogram keeps its default norm='slaney'
            S = self.logmel(p, "slaney")
            M = scipy.fft.dct(S, axis=-2, type=p["dct_type"], norm=p["norm"])[..., : p["n_mfcc"], :]
            if p["lifter"] > 0:
                lift = 1 + (p["lifter"] / 2) * np.sin(np.pi * np.arange(1, 1 + p["n_mfcc"]) / p["lifter"])
                M = M * lift[:, None].astype(M.dtype)
            elif p["lifter"] != 0:
                raise ParameterError(f"MFCC lifter={p['lifter']!r} must be a non-negative number")
            return M

        return self.memo(key, f)

    def tuning(self, p, power, bins_per_octave):
        """Tuning estimated from ``|STFT| ** power`` as librosa's ``estimate_tuning``."""
        key = ("tuning", power, bins_per_octave) + self.stft_key(p)
        return self.memo(
            key,
            lambda: float(
                spectral.estimate_tuning(
                    self.spectrogram(p, power), sr=self.sr, n_fft=p["n_fft"], bins_per_octave=bins_per_octave
                )
            ),
        )

    # -- CQT family ----------------------------------------------------------------
    def cqt(self, p):
        """CQT magnitude; ``p`` holds every key of ``_CQT``; tuning None is estimated."""
        tuning = p["tuning"]
        if tuning is None:
            # librosa.cqt estimates tuning with piptrack on the default STFT magnitude:
            # reuse the shared STFT.
            tuning = self.tuning(dict(_STFT), 1, p["bins_per_octave"])
        key = ("cqt", tuning) + tuple(p[k] for k in _CQT if k != "tuning")

        def f():
            # the octave pyramid of down-sampled signals is shared by every CQT of y
            pyramid = self.memo(("cqt_pyramid",), dict)
            return np.abs(_cqt(self.y, sr=self.sr, **{k: p[k] for k in _CQT if k != "tuning"}, tuning=tuning, pyramid=pyramid))

        return self.memo(key, f)


# --------------------------------------------------------------------------------------
# compute functions: (ctx, p) -> array


def _c_stft(ctx, p):
    return ctx.magnitude(p)


def _c_power(ctx, p):
    return ctx.spectrogram(p, 2)


def _c_mel(ctx, p):
    return ctx.mel(p, p["norm"])


def _c_logmel(ctx, p):
    return ctx.logmel(p, p["norm"], ref=p["ref"], amin=p["amin"], top_db=p["top_db"])


def _c_mfcc(ctx, p):
    return ctx.mfcc(p)


def _delta_of_mfcc(ctx, p, order):
    M = ctx.mfcc(p)
    mode = p["mode"]
    if mode == "interp" and M.shape[-1] < p["width"]:
        warnings.warn(
            f"only {M.shape[-1]} frames, fewer than the delta width={p['width']}: "
            "computing MFCC deltas with mode='nearest' instead of 'interp'",
            MirlearnWarning,
            stacklevel=4,
        )
        mode = "nearest"
    return spectral.delta(M, width=p["width"], order=order, mode=mode)


def _c_mfcc_delta(ctx, p):
    return _delta_of_mfcc(ctx, p, 1)


def _c_mfcc_delta2(ctx, p):
    return _delta_of_mfcc(ctx, p, 2)


def _c_chroma_stft(ctx, p):
    S = ctx.spectrogram(p, 2)
    tuning = p["tuning"]
    if tuning is None:
        tuning = ctx.tuning(p, 2, p["n_chroma"])
    fb = chroma_filterbank(
        sr=ctx.sr,
        n_fft=p["n_fft"],
        n_chroma=p["n_chroma"],
        tuning=tuning,
        ctroct=p["ctroct"],
        octwidth=p["octwidth"],
        base_c=p["base_c"],
    )
    return normalize(np.matmul(fb, S), norm=p["norm"], axis=-2)


def _c_centroid(ctx, p):
    return ctx.memo(
        ("centroid",) + ctx.stft_key(p),
        lambda: spectral.spectral_centroid(ctx.magnitude(p), sr=ctx.sr, n_fft=p["n_fft"]),
    )


def _c_bandwidth(ctx, p):
    return spectral.spectral_bandwidth(
        ctx.magnitude(p), sr=ctx.sr, n_fft=p["n_fft"], centroid=_c_centroid(ctx, p), norm=p["norm"], p=p["p"]
    )


def _c_rolloff(ctx, p):
    return spectral.spectral_rolloff(ctx.magnitude(p), sr=ctx.sr, n_fft=p["n_fft"], roll_percent=p["roll_percent"])


def _c_flatness(ctx, p):
    return spectral.spectral_flatness(
        ctx.magnitude(p), amin=p["amin"], power=p["power"], S_power=ctx.spectrogram(p, p["power"])
    )


def _c_contrast(ctx, p):
    return spectral.spectral_contrast(
        ctx.magnitude(p),
        sr=ctx.sr,
        n_fft=p["n_fft"],
        fmin=p["fmin"],
        n_bands=p["n_bands"],
        quantile=p["quantile"],
        linear=p["linear"],
    )


def _c_zcr(ctx, p):
    return spectral.zero_crossing_rate(
        ctx.y, frame_length=p["frame_length"], hop_length=p["hop_length"], center=p["center"]
    )


def _c_rms(ctx, p):
    return spectral.rms(
        ctx.y, frame_length=p["frame_length"], hop_length=p["hop_length"], center=p["center"], pad_mode=p["pad_mode"]
    )


def _c_onset(ctx, p):
    q = dict(p, center=True)  # the onset's `center` is its own; the mel STFT is centred
    S_db = ctx.logmel(q, p["norm"])
    return spectral.onset_strength_from_db(
        S_db,
        lag=p["lag"],
        max_size=p["max_size"],
        detrend=p["detrend"],
        center=p["center"],
        n_fft=p["n_fft"],
        hop_length=p["hop_length"],
        aggregate=p["aggregate"],
    )


def _c_cqt(ctx, p):
    return ctx.cqt(p)


def _c_cqt_db(ctx, p):
    return spectral.amplitude_to_db(ctx.cqt(p), ref=p["ref"], amin=p["amin"], top_db=p["top_db"])


def _c_chroma_cqt(ctx, p):
    bpo = p["bins_per_octave"]
    q = dict(_CQT, hop_length=p["hop_length"], fmin=p["fmin"], n_bins=p["n_octaves"] * bpo, bins_per_octave=bpo, tuning=p["tuning"])
    if p["cqt_mode"] == "hybrid":
        raise ParameterError("chroma_cqt: cqt_mode='hybrid' is not supported by mirlearn; use cqt_mode='full'")
    if p["cqt_mode"] != "full":
        raise ParameterError(f"chroma_cqt: cqt_mode must be 'full', got {p['cqt_mode']!r}")
    C = ctx.cqt(q)
    thr = p["threshold"]
    if thr is not None:
        C = np.where(C < thr, 0, C)
    cmap = cq_to_chroma(C.shape[-2], bins_per_octave=bpo, n_chroma=p["n_chroma"], fmin=p["fmin"])
    chroma = np.matmul(cmap.astype(C.dtype), C)
    if thr is not None:
        chroma[chroma < thr] = 0.0
    return normalize(chroma, norm=p["norm"], axis=-2)


_ONSET = {k: v for k, v in _STFT.items() if k != "center"}
_ONSET.update(_MEL, lag=1, max_size=1, detrend=False, center=True, aggregate="mean")
_MFCC = dict(_STFT, **{k: v for k, v in _MEL.items() if k != "norm"}, n_mfcc=20, dct_type=2, norm="ortho", lifter=0)

#: The registry of features, by name.
FEATURES: dict[str, FeatureSpec] = {
    s.name: s
    for s in [
        FeatureSpec("stft", "np.abs(librosa.stft(y))", dict(_STFT), _c_stft, "linear"),
        FeatureSpec("power", "np.abs(librosa.stft(y)) ** 2", dict(_STFT), _c_power, "linear"),
        FeatureSpec("mel", "librosa.feature.melspectrogram(y=y, sr=sr)", dict(_STFT, **_MEL), _c_mel, "mel"),
        FeatureSpec(
            "logmel",
            "librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=sr))",
            dict(_STFT, **_MEL, ref=1.0, amin=1e-10, top_db=80.0),
            _c_logmel,
            "mel",
        ),
        FeatureSpec("mfcc", "librosa.feature.mfcc(y=y, sr=sr)", dict(_MFCC), _c_mfcc, "coef"),
        FeatureSpec(
            "mfcc_delta",
            "librosa.feature.delta(librosa.feature.mfcc(y=y, sr=sr))",
            dict(_MFCC, width=9, mode="interp"),
            _c_mfcc_delta,
            "coef",
        ),
        FeatureSpec(
            "mfcc_delta2",
            "librosa.feature.delta(librosa.feature.mfcc(y=y, sr=sr), order=2)",
            dict(_MFCC, width=9, mode="interp"),
            _c_mfcc_delta2,
            "coef",
        ),
        FeatureSpec(
            "chroma_stft",
            "librosa.feature.chroma_stft(y=y, sr=sr)",
            dict(_STFT, norm=math.inf, tuning=None, n_chroma=12, ctroct=5.0, octwidth=2, base_c=True),
            _c_chroma_stft,
            "chroma",
        ),
        FeatureSpec("cqt", "np.abs(librosa.cqt(y, sr=sr))", dict(_CQT), _c_cqt, "cqt_note"),
        FeatureSpec(
            "cqt_db",
            "librosa.amplitude_to_db(np.abs(librosa.cqt(y, sr=sr)))",
            dict(_CQT, ref=1.0, amin=1e-5, top_db=80.0),
            _c_cqt_db,
            "cqt_note",
        ),
        FeatureSpec(
            "chroma_cqt",
            "librosa.feature.chroma_cqt(y=y, sr=sr)",
            dict(
                hop_length=512,
                fmin=None,
                norm=math.inf,
                threshold=0.0,
                tuning=None,
                n_chroma=12,
                n_octaves=7,
                bins_per_octave=36,
                cqt_mode="full",
            ),
            _c_chroma_cqt,
            "chroma",
        ),
        FeatureSpec("spectral_centroid", "librosa.feature.spectral_centroid(y=y, sr=sr)", dict(_STFT), _c_centroid, "scalar"),
        FeatureSpec(
            "spectral_bandwidth",
            "librosa.feature.spectral_bandwidth(y=y, sr=sr)",
            dict(_STFT, norm=True, p=2),
            _c_bandwidth,
            "scalar",
        ),
        FeatureSpec(
            "spectral_rolloff",
            "librosa.feature.spectral_rolloff(y=y, sr=sr)",
            dict(_STFT, roll_percent=0.85),
            _c_rolloff,
            "scalar",
        ),
        FeatureSpec(
            "spectral_flatness",
            "librosa.feature.spectral_flatness(y=y)",
            dict(_STFT, amin=1e-10, power=2.0),
            _c_flatness,
            "scalar",
        ),
        FeatureSpec(
            "spectral_contrast",
            "librosa.feature.spectral_contrast(y=y, sr=sr)",
            dict(_STFT, fmin=200.0, n_bands=6, quantile=0.02, linear=False),
            _c_contrast,
            "coef",
        ),
        FeatureSpec(
            "zero_crossing_rate",
            "librosa.feature.zero_crossing_rate(y)",
            dict(frame_length=2048, hop_length=512, center=True),
            _c_zcr,
            "scalar",
        ),
        FeatureSpec(
            "rms",
            "librosa.feature.rms(y=y)",
            dict(frame_length=2048, hop_length=512, center=True, pad_mode="constant"),
            _c_rms,
            "scalar",
        ),
        FeatureSpec(
            "onset_strength",
            "librosa.onset.onset_strength(y=y, sr=sr)[None]",
            _ONSET,
            _c_onset,
            "scalar",
        ),
        *(
            FeatureSpec(name, f"pretrained {name} embedding per 3 s patch (no librosa equivalent)",
                        dict(layer=layer, patch_hop=3.0), _embedding(name), "coef")
            for name, (layer, _) in EMBEDDING_FEATURES.items()
        ),
    ]
}

#: The features computed when none are named: a classic bundle for summaries.
DEFAULT_FEATURES = (
    "mfcc",
    "chroma_stft",
    "spectral_centroid",
    "spectral_bandwidth",
    "spectral_rolloff",
    "spectral_flatness",
    "spectral_contrast",
    "zero_crossing_rate",
    "rms",
    "onset_strength",
)


def _check_features(features):
    if isinstance(features, str):
        features = (features,)
    features = tuple(features)
    if not features:
        raise ParameterError("features must name at least one feature; valid names: " + ", ".join(FEATURES))
    unknown = [f for f in features if f not in FEATURES]
    if unknown:
        raise ParameterError(
            f"unknown feature name(s) {', '.join(map(repr, unknown))}; valid names: {', '.join(FEATURES)}"
        )
    if len(set(features)) != len(features):
        raise ParameterError(f"features lists a name twice: {features!r}")
    return features


def resolve_params(features, params):
    """Resolve the parameters of each requested feature.

    A plain parameter name (``n_fft=4096``) applies to every requested feature that has
    a parameter of that name, with that feature's meaning of it (librosa's). A scoped name
    ``FEATURE__PARAM`` (``mfcc__n_mels=40``) applies to one feature only and wins over a
    plain name. Names no requested feature accepts are errors.

    Returns
    -------
    dict[str, dict]
        ``{feature: {param: value}}`` with the defaults filled in.
    """
    features = _check_features(features)
    resolved = {f: dict(FEATURES[f].params) for f in features}
    scoped = {}
    for name, value in params.items():
        if "__" in name:
            scoped[name] = value
            continue
        takers = [f for f in features if name in resolved[f]]
        if not takers:
            valid = sorted({k for f in features for k in FEATURES[f].params})
            raise ParameterError(
                f"unknown parameter {name!r} for feature(s) {', '.join(features)}; "
                f"valid parameters: {', '.join(valid)} (or FEATURE__PARAM for one feature)"
            )
        for f in takers:
            resolved[f][name] = value
    for name, value in scoped.items():
        f, _, key = name.partition("__")
        if f not in FEATURES:
            raise ParameterError(f"unknown feature {f!r} in parameter {name!r}; valid features: {', '.join(FEATURES)}")
        if f not in resolved:
            raise ParameterError(f"parameter {name!r} is for feature {f!r}, which was not requested")
        if key not in resolved[f]:
            raise ParameterError(
                f"unknown parameter {key!r} for feature {f!r}; valid parameters: {', '.join(FEATURES[f].params)}"
            )
        resolved[f][key] = value
    for f, p in resolved.items():
        _validate(f, p)
    return resolved


def _validate(feature, p):
    def need(cond, what):
        if not cond:
            raise ParameterError(f"{feature}: {what}")

    for k in ("n_fft", "hop_length", "frame_length", "n_mels", "n_mfcc", "n_chroma", "n_bins", "bins_per_octave", "n_octaves", "width"):
        if k in p:
            v = p[k]
            need(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0, f"{k} must be a positive integer, got {k}={v!r}")
    if "win_length" in p and p["win_length"] is not None:
        need(0 < p["win_length"] <= p["n_fft"], f"win_length must lie in (0, n_fft={p['n_fft']}], got {p['win_length']!r}")
    if "window" in p:
        need(isinstance(p["window"], (str, tuple, float)), f"window must be a name or tuple (as scipy.signal.get_window takes), got {p['window']!r}")
    if "n_mfcc" in p:
        need(p["n_mfcc"] <= p["n_mels"], f"n_mfcc={p['n_mfcc']} cannot exceed n_mels={p['n_mels']}")


def extract(y, *, sr, features=DEFAULT_FEATURES, **params):
    """Compute several features of a time series in one pass.

    Parameters
    ----------
    y : np.ndarray [shape=(..., n)]
        Audio time series, mono or multichannel (leading axes are kept).
    sr : number > 0
        Sampling rate of ``y``.
    features : str or sequence of str
        Names from :data:`FEATURES` (default: :data:`DEFAULT_FEATURES`).
    **params
        librosa parameters by name (``n_fft``, ``hop_length``, ``n_mels``, ``n_mfcc``...),
        applied to every requested feature that has them, or ``FEATURE__PARAM`` for one
        feature. See :func:`resolve_params`.

    Returns
    -------
    dict[str, np.ndarray]
        ``{name: array}`` with each array shaped ``(..., n_features, n_frames)``, float32,
        in the order requested.

    Raises
    ------
    ParameterError
        Unknown feature or parameter names (the message lists the valid ones), invalid
        values, an empty signal.

    Warns
    -----
    MirlearnWarning
        Silent input; input shorter than one frame (it is zero-padded to one frame).

    Examples
    --------
    >>> feats = mirlearn.extract(y, sr=sr, features=["mfcc", "chroma_stft"], n_mfcc=13)  # doctest: +SKIP
    >>> feats["mfcc"].shape  # doctest: +SKIP
    (13, 1292)
    """
    resolved = resolve_params(features, params)
    if not (np.isscalar(sr) and sr > 0):
        raise ParameterError(f"sr must be a positive number, got sr={sr!r}")
    y = np.asarray(y)
    if not np.issubdtype(y.dtype, np.floating):
        raise ParameterError(f"y must be a floating-point array, got dtype {y.dtype}")
    if y.ndim == 0 or y.shape[-1] == 0:
        raise ParameterError(f"y is empty (shape {y.shape}); there is nothing to analyse")
    if not np.all(np.isfinite(y)):
        raise ParameterError("y contains NaN or infinite values")
    y = np.ascontiguousarray(y, dtype=np.float32)
    need = max(max(p.get("n_fft", 0), p.get("frame_length", 0)) for p in resolved.values())
    if y.shape[-1] < need:
        warnings.warn(
            f"the signal ({y.shape[-1]} samples) is shorter than one frame ({need} samples); "
            "it is zero-padded to one frame",
            MirlearnWarning,
            stacklevel=2,
        )
        pad = [(0, 0)] * (y.ndim - 1) + [(0, need - y.shape[-1])]
        y = np.pad(y, pad)
    if not np.any(y):
        warnings.warn(SILENT, MirlearnWarning, stacklevel=2)

    ctx = _Context(y, sr)
    out = {}
    for name, p in resolved.items():
        value = FEATURES[name].compute(ctx, p)
        out[name] = np.asarray(value, dtype=np.float32)
    return out
