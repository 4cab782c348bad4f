"""Gravis UltraSound patches (``.pat``): the format of the freepats General MIDI set.

A patch holds recorded samples, each with the range of frequencies it plays, its root
frequency and a sustain loop. :func:`read_patch` reads them with numpy. :class:`PatchSet`
plays notes of General MIDI programs from a freepats-style folder (``Tone_000/NNN_Name.pat``
for program NNN, ``Drum_000/NNN_Name.pat`` for percussion key NNN): the sample whose range
holds the note's frequency, resampled by linear interpolation, looped while held and faded
out over the release; percussion plays at its recorded pitch. The patches' envelopes,
tremolo and vibrato are not applied: the notes keep the recorded sample's own attack and
decay.

Debian installs freepats (real recordings of most General MIDI instruments, GPL-2+) with
``apt-get install freepats``.

References
----------
Gravis UltraSound patch format GF1PATCH110, as read by TiMidity++ (``timidity/instrum.c``).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import ParameterError

__all__ = ["PatchSample", "PatchSet", "read_patch", "is_patch_set", "PatchError"]

_HEADER = 239  # file (129) + instrument (63) + layer (47) headers
_SAMPLE_HEADER = 96
_MODE_16BIT, _MODE_UNSIGNED, _MODE_LOOP, _MODE_PINGPONG, _MODE_REVERSE = 1, 2, 4, 8, 16


class PatchError(ParameterError):
    """A ``.pat`` file whose structure cannot be read."""


@dataclass(frozen=True)
class PatchSample:
    """One recorded sample of a patch."""

    name: str
    data: np.ndarray  # float32 in [-1, 1)
    rate: int  # samples per second
    low_hz: float  # the range of note frequencies it plays
    high_hz: float
    root_hz: float  # the frequency recorded
    loop: tuple | None  # (start, end) in samples, or None
    pingpong: bool


@lru_cache(maxsize=64)
def read_patch(path):
    """The samples of a GUS patch file, as a tuple of :class:`PatchSample`.

    Raises
    ------
    PatchError
        Not a GF1 patch, or truncated.
    """
    path = Path(path)
    d = path.read_bytes()
    if len(d) < _HEADER or d[:8] != b"GF1PATCH" or d[12:22] != b"ID#000002\0":
        raise PatchError(f"{path}: not a Gravis UltraSound patch (no GF1PATCH header)")
    n = d[198]  # samples of the first layer of the first instrument
    pos, out = _HEADER, []
    for _ in range(n):
        if pos + _SAMPLE_HEADER > len(d):
            raise PatchError(f"{path}: truncated sample header at byte {pos}")
        name = d[pos : pos + 7].split(b"\0")[0].decode("latin-1")
        _frac, size, ls, le, rate, lo, hi, root = struct.unpack_from("<BIIIHIII", d, pos + 7)
        modes = d[pos + 55]
        start = pos + _SAMPLE_HEADER
        if start + size > len(d):
            raise PatchError(f"{path}: sample {name!r} runs past the end of the file")
        raw = d[start : start + size]
        if modes & _MODE_16BIT:
            x = np.frombuffer(raw[: size // 2 * 2], dtype="<u2" if modes & _MODE_UNSIGNED else "<i2").astype(np.float32)
            x = (x - 32768.0 if modes & _MODE_UNSIGNED else x) / 32768.0
            ls, le = ls // 2, le // 2
        else:
            x = np.frombuffer(raw, dtype=np.uint8 if modes & _MODE_UNSIGNED else np.int8).astype(np.float32)
            x = (x - 128.0 if modes & _MODE_UNSIGNED else x) / 128.0
        if modes & _MODE_REVERSE:
            x = x[::-1]
        loop = (int(ls), int(le)) if modes & _MODE_LOOP and 0 <= ls < le <= len(x) and le - ls >= 2 else None
        if rate <= 0 or root <= 0 or len(x) == 0:
            raise PatchError(f"{path}: sample {name!r} has no rate, root frequency or data")
        out.append(PatchSample(name, x.astype(np.float32), int(rate), lo / 1000.0, hi / 1000.0, root / 1000.0, loop,
                               bool(modes & _MODE_PINGPONG)))
        pos = start + size
    if not out:
        raise PatchError(f"{path}: no samples")
    return tuple(out)


def _choose(samples, hz):
    """Index of the sample whose range holds ``hz`` (else the nearest root frequency)."""
    for i, s in enumerate(samples):
        if s.low_hz <= hz <= s.high_hz:
            return i
    return int(np.argmin([abs(np.log2(hz / s.root_hz)) for s in samples]))


def _positions(n, step, sample):
    """Source positions of ``n`` output samples read at ``step``, looped if the sample loops."""
    t = np.arange(n, dtype=np.float64) * step
    if sample.loop is not None:
        ls, le = sample.loop
        span = le - ls
        over = t >= ls
        u = t[over] - ls
        if sample.pingpong:
            u = np.mod(u, 2 * span)
            u = np.where(u < span, u, 2 * span - u)
        else:
            u = np.mod(u, span)
        t[over] = ls + u
    return t


def _play(sample, step, n):
    t = _positions(n, step, sample)
    x = sample.data
    inside = t < len(x) - 1
    i = np.minimum(t.astype(np.int64), len(x) - 2)
    frac = (t - i).astype(np.float32)
    y = x[i] * (1 - frac) + x[np.minimum(i + 1, len(x) - 1)] * frac
    return np.where(inside, y, 0.0).astype(np.float32)


class PatchSet:
    """The patches of a freepats-style folder, playable as General MIDI notes.

    Parameters
    ----------
    folder : path-like
        Holds ``Tone_000/NNN_*.pat`` (program NNN, 0-based) and optionally
        ``Drum_000/NNN_*.pat`` (percussion key NNN).
    """

    def __init__(self, folder):
        self.folder = Path(folder)
        if not is_patch_set(self.folder):
            raise ParameterError(f"{str(folder)!r} is not a folder of GUS patches (no Tone_000/NNN_*.pat)")
        self.tones = _index(self.folder / "Tone_000")
        self.drums = _index(self.folder / "Drum_000")

    def patch(self, program, *, drums=False):
        """The patch file of a program (or percussion key), or None."""
        return (self.drums if drums else self.tones).get(int(program))

    def sample_index(self, program, pitch, *, drums=False):
        """Which sample of the patch plays MIDI ``pitch`` (None: no patch)."""
        p = self.patch(pitch if drums else program, drums=drums)
        if p is None:
            return None
        samples = read_patch(p)
        return 0 if drums else _choose(samples, 440.0 * 2.0 ** ((pitch - 69) / 12))

    def render(self, program, pitch, velocity, duration, release, sr, *, drums=False):
        """A mono note: held ``duration`` s, then ``release`` s fading to -60 dB; None when
        the set has no patch for it. Percussion (``drums``): ``pitch`` is the key, played as
        recorded."""
        p = self.patch(pitch if drums else program, drums=drums)
        if p is None:
            return None
        samples = read_patch(p)
        hz = 440.0 * 2.0 ** ((pitch - 69) / 12)
        s = samples[self.sample_index(program, pitch, drums=drums)]
        step = (1.0 if drums else hz / s.root_hz) * s.rate / sr
        n_on, n_off = int(round(duration * sr)), int(round(release * sr))
        y = _play(s, step, n_on + n_off)
        if n_off:
            y[n_on:] *= np.exp(np.linspace(0.0, np.log(1e-3), n_off, dtype=np.float32))
        return (y * (int(velocity) / 127.0) ** 2).astype(np.float32)


def _index(folder):
    out = {}
    if folder.is_dir():
        for f in sorted(folder.glob("*.pat")):
            m = re.match(r"(\d{3})_", f.name)
            if m:
                out.setdefault(int(m.group(1)), f)
    return out


def is_patch_set(path):
    """True for a folder holding ``Tone_000/NNN_*.pat`` patches (a freepats-style set)."""
    p = Path(path)
    return p.is_dir() and bool(_index(p / "Tone_000"))
