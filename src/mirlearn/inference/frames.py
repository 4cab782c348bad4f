"""Frame-level inference: input features, the frame bundle, activations and decoding.

A frame bundle is a folder with ``bundle.json`` (task, classes, network name and config,
input features, normalisation, post-processing parameters, versions) and ``model.pt`` (the
network's ``state_dict``, loaded with ``torch.load(weights_only=True)``): data only, never
code. Times are in seconds, frame rates in fps; activations are ``(n_classes, n_frames)``
probabilities, time last.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..fileio import atomic_write_text
from ..features.frames import frame_features
from ..tasks import get_task
from .bundle import read_weights_folder, versions

__all__ = ["FrameBundle", "load_frame_bundle", "decode_pitch", "pitch_bins_hz"]


def pitch_bins_hz(n_bins, *, fmin, bins_per_octave):
    """Centre frequencies (Hz) of the pitch classifier's bins."""
    return fmin * 2.0 ** (np.arange(n_bins) / bins_per_octave)


def decode_pitch(probs, *, freqs, voicing_threshold=0.5, viterbi=False, fps=100.0, max_jump=None, p_stay_voiced=0.99):
    """Per-frame f0 (Hz, 0 = unvoiced) from pitch-bin probabilities.

    Parameters
    ----------
    probs : np.ndarray [shape=(n_bins + 1, n_frames)]
        Softmax over the pitch bins and a last "unvoiced" class.
    freqs : np.ndarray [shape=(n_bins,)]
        Bin centres in Hz (log-spaced).
    voicing_threshold : float
        A frame is voiced when its summed pitch probability is at least this.
    viterbi : bool
        Smooth the path with an HMM over bins and voicing (:func:`mirlearn.detection.pitch.viterbi_f0`)
        instead of a frame-wise argmax.

    Returns
    -------
    f0 : np.ndarray [shape=(n_frames,)]
        The pitch is the probability-weighted mean of log-frequency over the 9 bins around the
        peak (CREPE's local average), so it is finer than one bin.
    """
    probs = np.asarray(probs, dtype=np.float64)
    pitch = probs[:-1]
    voiced_p = pitch.sum(axis=0)
    if viterbi:
        from ..detection.pitch import viterbi_f0

        path, voiced = viterbi_f0(pitch / np.maximum(voiced_p, 1e-12), voiced_p, voicing_threshold=voicing_threshold,
                                  p_stay=p_stay_voiced, max_jump=max_jump or 12)
    else:
        path = pitch.argmax(axis=0)
        voiced = voiced_p >= voicing_threshold
    logf = np.log2(freqs)
    n = len(freqs)
    f0 = np.zeros(probs.shape[1])
    for t in np.flatnonzero(voiced):
        c = path[t]
        lo, hi = max(0, c - 4), min(n, c + 5)
        w = pitch[lo:hi, t]
        f0[t] = 2.0 ** ((w * logf[lo:hi]).sum() / max(w.sum(), 1e-12))
    return f0


@dataclass
class FrameBundle:
    """A trained frame-level model: everything :func:`activations` and :func:`detect` need."""

    task: str
    classes: list
    network: str
    network_config: dict
    features: dict
    norm_mean: np.ndarray
    norm_std: np.ndarray
    postprocess: dict
    state_dict: dict = field(repr=False, default=None)
    info: dict = field(default_factory=dict)
    _net: object = field(default=None, repr=False)

    @property
    def fps(self):
        return float(self.features["fps"])

    @property
    def sr(self):
        return int(self.features["sr"])

    @property
    def is_baseline(self):
        """A non-learned detection function: its "features" are the activation itself."""
        return self.network in ("spectral_flux", "superflux")

    def net(self):
        if self._net is None:
            from ..models.neural import build_network

            net = build_network(self.network, **self.network_config)
            net.load_state_dict(self.state_dict)
            self._net = net.for_inference() if hasattr(net, "for_inference") else net.eval()
        return self._net

    def save(self, folder):
        import torch

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        meta = dict(
            format="mirlearn-frame-bundle", format_version=1, task=self.task, classes=list(self.classes),
            network=self.network, network_config=self.network_config, features=self.features,
            norm_mean=np.asarray(self.norm_mean).tolist(), norm_std=np.asarray(self.norm_std).tolist(),
            postprocess=self.postprocess, info=self.info, versions=versions(),
        )
        tmp = folder / ".model.pt.tmp"
        torch.save({k: v.detach().cpu() for k, v in (self.state_dict or {}).items()}, tmp)
        tmp.replace(folder / "model.pt")
        atomic_write_text(folder / "bundle.json", json.dumps(meta, indent=1) + "\n")

    def model_input(self, X):
        """Normalised features padded by the network's context (silence: raw value 0)."""
        ctx = int(self.info.get("context", 0))
        X = np.pad(X, ((0, 0), (0, 0), (ctx, ctx)))
        return ((X - self.norm_mean[..., None]) / self.norm_std[..., None]).astype(np.float32)

    def activations_from_features(self, X):
        """``(n_outputs, n_frames)`` probabilities: sigmoid per class for events, softmax over
        bins for pitch."""
        if self.is_baseline:
            return np.asarray(X[0], dtype=np.float64)
        import torch

        with torch.inference_mode():
            net = self.net()
            x = torch.from_numpy(self.model_input(X))[None]
            logits = (net.infer(x) if hasattr(net, "infer") else net(x))[0]
            out = get_task(self.task).activate(logits)
        return out.numpy().astype(np.float64)

    def activations(self, y):
        return self.activations_from_features(frame_features(y, self.features))

    def f0(self, act, postprocess=None):
        """``(times, f0)`` of pitch probabilities, decoded with ``postprocess`` (default:
        the bundle's own, tuned on validation)."""
        pp = self.postprocess if postprocess is None else postprocess
        freqs = pitch_bins_hz(act.shape[0] - 1, fmin=self.features["fmin"], bins_per_octave=self.features["bins_per_octave"])
        f0 = decode_pitch(act, freqs=freqs, voicing_threshold=pp["voicing_threshold"], viterbi=pp.get("viterbi", False), fps=self.fps)
        return np.arange(len(f0)) / self.fps, f0

    def decode(self, act):
        """The task's result: events per class ``{class: times}`` (onsets, drums) or
        ``(times, f0)`` (pitch)."""
        return get_task(self.task).decode(self, act)


def load_frame_bundle(folder):
    """Load a frame bundle saved by :meth:`FrameBundle.save` (data only)."""
    meta, state = read_weights_folder(folder, fmt="mirlearn-frame-bundle", what="frame-level model (RUN_DIR/model)")
    return FrameBundle(
        task=meta["task"], classes=meta["classes"], network=meta["network"], network_config=meta["network_config"],
        features=meta["features"], norm_mean=np.asarray(meta["norm_mean"], np.float32), norm_std=np.asarray(meta["norm_std"], np.float32),
        postprocess=meta["postprocess"], state_dict=state, info=meta.get("info", {}),
    )
