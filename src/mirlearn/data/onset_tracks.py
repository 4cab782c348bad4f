"""Synthetic onset-detection tracks with exact onset times, from General MIDI SoundFonts and
Hydrogen drum kits.

Real onset datasets are small (Böck's has 321 files; ``bock-onsets-dev`` 160). Rendered music
is not real music, but its onsets are exact and it comes in any amount, so it can be added
to the training part of every fold (``split=train``, no fold: see
:func:`mirlearn.training.frames.split_items`) without ever being scored.

Each track is one of four arrangements, drawn at random:

* ``solo``: one monophonic line (any melodic General MIDI program, 16th to half notes,
  repeated notes, legato or detached), as in the solo-instrument part of Böck's set;
* ``keys``: chords and a melody on one piano, organ, guitar or mallet program;
* ``drums``: a groove on a Hydrogen kit;
* ``band``: two to four of drums, bass line, chords and a voice-like melody over one chord
  progression (:func:`mirlearn.data.separation.render_songs`' parts).

Velocities range from soft to loud, and each track passes through a random recording chain
(EQ, room reverb, noise, level; :mod:`mirlearn.data.augment`), none of which moves an onset.
The annotation is every note-on and drum hit, with onsets closer than ``merge`` seconds
merged into the first (one perceived onset, as the evaluation's 30 ms merge treats them).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ParameterError
from .frames import write_paired_manifest
from .soundfont import require_tinysoundfont

__all__ = ["render_onset_tracks", "ARRANGEMENTS", "merge_onsets"]

#: Arrangements and their probabilities.
ARRANGEMENTS = {"solo": 0.3, "keys": 0.2, "drums": 0.15, "band": 0.35}
#: Melodic General MIDI programs (0-based) a solo line draws from, with a playable range each.
_SOLO = [(p, 48, 84) for p in (*range(0, 8), *range(8, 16), 16, 17, 19, *range(24, 32), 40, 41, 42, 56, 57, 60, 64, 65, 66,
                               68, 69, 70, 71, 72, 73, 74, 75, 80, 81, 104, 105, 106, 108)] + [(p, 28, 55) for p in range(32, 40)]
_KEYS = (0, 1, 2, 4, 5, 6, 7, 8, 11, 12, 16, 19, 24, 25, 26, 27, 46)


def merge_onsets(times, merge=0.02):
    """Sorted unique onset times, each within ``merge`` seconds of the previous kept one dropped."""
    out = []
    for t in np.sort(np.asarray(times, dtype=float)):
        if not out or t - out[-1] >= merge:
            out.append(float(t))
    return np.asarray(out)


def _solo_line(rng, seconds, low, high):
    """Notes ``(onset, duration, pitch, velocity)`` of one monophonic line."""
    beat = 60.0 / rng.uniform(60, 180)
    legato = rng.uniform(0.4, 1.0)
    base_vel = rng.uniform(40, 110)
    notes, t = [], beat * float(rng.choice([0, 0.5, 1]))
    pitch = int(rng.integers(low + 6, high - 6))
    while t < seconds:
        dur = beat * float(rng.choice([0.25, 0.5, 0.5, 1, 1, 1.5, 2]))
        if rng.random() < 0.12:  # a rest
            t += dur
            continue
        if rng.random() > 0.15:  # otherwise the same pitch again
            pitch = int(np.clip(pitch + rng.choice([-7, -5, -3, -2, -1, 1, 2, 3, 4, 5, 12]), low, high))
        vel = int(np.clip(base_vel + rng.normal(0, 15), 15, 127))
        notes.append((t, legato * dur, pitch, vel))
        t += dur
    return notes


def _soften(rng, notes):
    """Scale a line's velocities by one random factor (soft to loud playing)."""
    k = rng.uniform(0.45, 1.1)
    return [(t, d, p, int(np.clip(v * k, 10, 127))) for t, d, p, v in notes]


def _record(y, sr, rng):
    """A random recording chain: each of EQ, room reverb and noise with probability 1/2."""
    from .augment import add_noise, random_eq, room_reverb

    if rng.random() < 0.5:
        y = random_eq(y, sr, rng)
    if rng.random() < 0.5:
        y = room_reverb(y, sr, rng, rt60=(0.1, 0.8), wet=(0.05, 0.35))
    if rng.random() < 0.5:
        y = add_noise(y, sr, rng, snr_db=(25.0, 50.0))
    return y


def render_onset_tracks(out, *, n_tracks=100, seconds=15.0, sr=44100, soundfonts=None, kits=None, merge=0.02, seed=0,
                        progress=True):
    """Render synthetic tracks with exact onset annotations (onset-detection training data).

    Parameters
    ----------
    out : path-like
        Output folder: ``OUT/track_NNN.wav`` with ``track_NNN.onsets`` (one time per line),
        and the manifest ``OUT/onsets.csv`` (``path,annotation,split,group``, split
        ``train`` and no fold, so that cross-validation only ever trains on them).
    n_tracks : int
    seconds : float
        Length of each track.
    sr : int
        Sample rate (44100: the onset model's).
    soundfonts : sequence of path-like or None
        SF2 files the melodic parts are rendered from, one drawn per track (default: the
        Debian ones present of FluidR3_GM and TimGM6mb).
    kits : sequence of path-like or None
        Hydrogen kit folders (default: :func:`mirlearn.data.drumkits.default_kits`).
    merge : float
        Onsets closer than this (seconds) are one onset.

    Returns
    -------
    pathlib.Path
        The manifest.
    """
    tinysoundfont = require_tinysoundfont("render_onset_tracks")
    import soundfile as sf
    from tqdm.auto import tqdm

    from ..annotations import write_events
    from .augment import random_level
    from .drumkits import _pattern, _play, default_kits, load_kit
    from .separation import SYNTH_PROGRAMS, _render_line, _song_parts

    if n_tracks < 1 or seconds <= 0:
        raise ParameterError(f"n_tracks must be >= 1 and seconds > 0, got {n_tracks} and {seconds}")
    if soundfonts is None:
        soundfonts = [p for p in ("/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/sounds/sf2/TimGM6mb.sf2") if Path(p).is_file()]
    soundfonts = [Path(s) for s in soundfonts]
    missing = [str(s) for s in soundfonts if not s.is_file()]
    if not soundfonts or missing:
        raise ParameterError(f"SoundFont(s) {missing or '(none)'} not found (Debian: apt-get install fluid-soundfont-gm timgm6mb-soundfont)")
    kits = [Path(k) for k in (default_kits() if kits is None else kits)]
    if not kits:
        raise ParameterError("no usable drum kit (Debian: apt-get install hydrogen-data)")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    synths, loaded, rows = {}, {}, []
    names, probs = list(ARRANGEMENTS), np.array(list(ARRANGEMENTS.values()))
    for k in tqdm(range(n_tracks), desc="render onset tracks", disable=not progress):
        sf_path = soundfonts[int(rng.integers(len(soundfonts)))]
        if sf_path not in synths:
            synth = tinysoundfont.Synth(samplerate=sr)
            synths[sf_path] = (synth, synth.sfload(str(sf_path)))
        synth, sfid = synths[sf_path]
        kit = kits[int(rng.integers(len(kits)))]
        arrangement = str(rng.choice(names, p=probs / probs.sum()))
        parts, onsets = [], []  # parts: (mono audio, level dB)
        if arrangement == "solo":
            program, low, high = _SOLO[int(rng.integers(len(_SOLO)))]
            notes = _solo_line(rng, seconds, low, high)
            parts.append((_render_line(synth, sfid, program, notes, seconds, sr), 0.0))
            onsets += [n[0] for n in notes]
        else:
            bpm, bass, chords, melody = _song_parts(rng, seconds)
            if arrangement == "keys":
                program = int(rng.choice(_KEYS))
                lines = [(program, _soften(rng, chords), 0.0), (program, _soften(rng, melody), 2.0)]
                use_drums = False
            elif arrangement == "drums":
                lines, use_drums = [], True
            else:
                chosen = []
                while len(chosen) < 2:
                    chosen = [p for p in ("drums", "bass", "other", "vocals") if rng.random() < 0.65]
                lines = [(int(rng.choice(SYNTH_PROGRAMS[name])), _soften(rng, notes), level)
                         for name, notes, level in (("bass", bass, -3.0), ("other", chords, -4.0), ("vocals", melody, -1.0))
                         if name in chosen]
                use_drums = "drums" in chosen
            for program, notes, level in lines:
                parts.append((_render_line(synth, sfid, program, notes, seconds, sr), level))
                onsets += [n[0] for n in notes]
            if use_drums:
                if kit not in loaded:
                    loaded[kit] = load_kit(kit, sr=sr)[0]
                y, times, _ = _play(loaded[kit], _pattern(rng, seconds, bpm), seconds, sr, rng)
                parts.append((y, 0.0))
                onsets += list(times)
        mix = np.zeros(int(seconds * sr), np.float32)
        for y, level in parts:
            rms = np.sqrt(np.mean(y**2))
            if rms > 0:
                mix += y[: len(mix)] * (10 ** ((level + rng.uniform(-4, 4)) / 20) * 0.1 / rms)
        mix = _record(mix, sr, rng)
        mix = random_level(0.9 * mix / max(np.abs(mix).max(), 1e-6), sr, rng, db=(-12.0, 0.0))
        times = merge_onsets([t for t in onsets if 0 <= t < seconds], merge)
        name = f"track_{k:03d}"
        sf.write(out / f"{name}.wav", mix.astype(np.float32), sr, subtype="PCM_16")
        write_events(out / f"{name}.onsets", times)
        rows.append((f"{name}.wav", f"{name}.onsets", "train", f"synth-onsets-{seed}-{k}"))
    return write_paired_manifest(out / "onsets.csv", rows)
