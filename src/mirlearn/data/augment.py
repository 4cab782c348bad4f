"""Waveform augmentation for note-level training data: detuning by a few cents, EQ, room
reverb, noise, onset jitter and level. Pure functions of ``(y, sr, rng)``; ``y`` is float32 ``(n,)``.

Rendered notes are clean, dry and perfectly aligned; real recordings are none of these.
Augmenting the training side narrows that gap (see docs/benchmarks.md for the effect).
"""

from __future__ import annotations

import numpy as np
import scipy.signal

__all__ = ["remove_dc", "room_reverb", "random_eq", "add_noise", "random_level", "onset_jitter", "detune", "augment", "EFFECTS"]


def remove_dc(y, sr, *, cutoff=20.0):
    """A causal 2nd-order Butterworth high-pass at ``cutoff`` Hz, as a recording chain's AC
    coupling. Some samples that synthetic data is made of carry a large DC offset (FluidR3's
    Warm Pad and TimGM6mb's Synth Bass 1, a fifth to a half of their RMS; the hi-hats of
    Hydrogen's TR808 kit, up to two thirds), which would otherwise end up in training audio."""
    sos = scipy.signal.butter(2, cutoff, btype="highpass", fs=sr, output="sos")
    return scipy.signal.sosfilt(sos, y).astype(np.float32)


def room_reverb(y, sr, rng, *, rt60=(0.2, 1.2), wet=(0.1, 0.5)):
    """Convolve with a synthetic room impulse response: exponentially decaying noise with
    the given RT60 range (seconds), mixed at a random wet level."""
    t60 = rng.uniform(*rt60)
    n = int(t60 * sr)
    t = np.arange(n) / sr
    ir = rng.standard_normal(n) * np.exp(-6.9 * t / t60)  # -60 dB at t60
    ir[0] = 0.0
    ir /= np.sqrt(np.sum(ir**2)) + 1e-12
    w = rng.uniform(*wet)
    wet_sig = scipy.signal.fftconvolve(y, ir)[: len(y)]
    return ((1 - w) * y + w * wet_sig).astype(np.float32)


def random_eq(y, sr, rng, *, max_gain_db=9.0):
    """A random peaking filter (100 Hz - 8 kHz, +-max_gain_db, Q 0.5-2)."""
    f0 = float(np.exp(rng.uniform(np.log(100), np.log(min(8000, sr / 2.5)))))
    gain = rng.uniform(-max_gain_db, max_gain_db)
    q = rng.uniform(0.5, 2.0)
    A = 10 ** (gain / 40)
    w0 = 2 * np.pi * f0 / sr
    alpha = np.sin(w0) / (2 * q)
    b = np.array([1 + alpha * A, -2 * np.cos(w0), 1 - alpha * A])
    a = np.array([1 + alpha / A, -2 * np.cos(w0), 1 - alpha / A])
    return scipy.signal.lfilter(b / a[0], a / a[0], y).astype(np.float32)


def add_noise(y, sr, rng, *, snr_db=(20.0, 45.0)):
    """White or pink-ish noise at a random signal-to-noise ratio."""
    p = np.mean(y**2) + 1e-12
    snr = rng.uniform(*snr_db)
    noise = rng.standard_normal(len(y))
    if rng.random() < 0.5:  # pink-ish: integrate white noise gently
        noise = scipy.signal.lfilter([1.0], [1.0, -0.95], noise)
    noise *= np.sqrt(p / 10 ** (snr / 10) / (np.mean(noise**2) + 1e-12))
    return (y + noise).astype(np.float32)


def random_level(y, sr, rng, *, db=(-18.0, 0.0)):
    """Scale by a random gain in dB."""
    return (y * 10 ** (rng.uniform(*db) / 20)).astype(np.float32)


def onset_jitter(y, sr, rng, *, max_seconds=0.1):
    """Delay the onset by up to ``max_seconds`` (leading silence), keeping the length."""
    k = int(rng.uniform(0, max_seconds) * sr)
    return np.concatenate([np.zeros(k, np.float32), y[: len(y) - k]]).astype(np.float32)


def detune(y, sr, rng, *, max_cents=15.0):
    """Pitch-shift by up to ``max_cents`` either way (resampling by the cents' ratio, which
    also stretches time by as little), keeping the length: real players are not tuned to
    the sampler's exact pitch."""
    ratio = 2.0 ** (rng.uniform(-max_cents, max_cents) / 1200.0)
    n = len(y)
    t = np.arange(n) * ratio  # read the signal faster (higher) or slower (lower)
    return np.interp(t, np.arange(n), y, right=0.0).astype(np.float32)


#: the recording-chain effects :func:`augment` draws from, in the order it applies them
EFFECTS = ("detune", "eq", "reverb", "noise", "jitter", "level")
_EFFECT_FNS = {"detune": detune, "eq": random_eq, "reverb": room_reverb, "noise": add_noise, "jitter": onset_jitter}


def augment(y, sr, rng, *, effects=EFFECTS):
    """Each of ``effects`` with probability 1/2 (``level`` always), in a realistic order:
    the player (``detune``), the instrument's and microphone's response (``eq``), the room
    (``reverb``), the background (``noise``), the edit (``jitter``), the gain (``level``).
    ``effects`` picks a subset (an ablation leaves one out)."""
    bad = sorted(set(effects) - set(EFFECTS))
    if bad:
        from ..errors import ParameterError

        raise ParameterError(f"unknown augmentation(s) {bad}; choose from {', '.join(EFFECTS)}")
    for name in EFFECTS[:-1]:
        if name in effects and rng.random() < 0.5:
            y = _EFFECT_FNS[name](y, sr, rng)
    if "level" in effects:
        y = random_level(y, sr, rng)
    peak = np.max(np.abs(y))
    return (y / peak * 0.99).astype(np.float32) if peak > 0.99 else y
