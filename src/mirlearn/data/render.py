"""Note-level datasets rendered from SoundFonts (SF2/SF3), with exact labels.

Each note is one General MIDI program at one pitch and velocity, held for ``duration``
seconds and followed by its release. Labels are the instrument and its family (the
NSynth families). Debian's ``fluid-soundfont-gm``, ``musescore-general-soundfont`` and
``timgm6mb-soundfont`` install General MIDI SoundFonts sampled from real instruments.

Rendered notes are not recordings: test across SoundFonts (``test_soundfont``), and
augment the training side (``augment``).
"""

from __future__ import annotations

import csv
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ParameterError

__all__ = ["INSTRUMENTS", "Instrument", "render_notes", "render_groups"]


@dataclass(frozen=True)
class Instrument:
    name: str
    program: int  # General MIDI program, 0-based
    family: str  # NSynth instrument family
    low: int  # MIDI pitch range
    high: int


#: The instruments rendered by default: General MIDI program, family and playable range.
INSTRUMENTS = {
    i.name: i
    for i in [
        Instrument("piano", 0, "keyboard", 36, 96),
        Instrument("vibraphone", 11, "mallet", 53, 89),
        Instrument("organ", 19, "organ", 36, 96),
        Instrument("guitar", 24, "guitar", 40, 84),
        Instrument("bass", 33, "bass", 28, 55),
        Instrument("violin", 40, "string", 55, 96),
        Instrument("cello", 42, "string", 36, 76),
        Instrument("trumpet", 56, "brass", 54, 82),
        Instrument("trombone", 57, "brass", 40, 72),
        Instrument("saxophone", 65, "reed", 49, 81),
        Instrument("clarinet", 71, "reed", 50, 89),
        Instrument("flute", 73, "flute", 60, 96),
    ]
}


def _render_one(synth, sfid, inst, pitch, velocity, duration, release, sr):
    synth.program_select(0, sfid, 0, inst.program)
    synth.noteon(0, pitch, velocity)
    on = np.frombuffer(synth.generate(int(duration * sr)), dtype=np.float32)
    synth.noteoff(0, pitch)
    off = np.frombuffer(synth.generate(int(release * sr)), dtype=np.float32)
    synth.sounds_off()
    synth.generate(int(0.05 * sr))  # flush
    stereo = np.concatenate([on, off]).reshape(-1, 2)
    return stereo.mean(axis=1).astype(np.float32)


def render_groups(notes):
    """Group labels that tie together rendered notes sharing a recorded sample.

    Parameters
    ----------
    notes : sequence of (soundfont path, instrument name, pitch, velocity)

    Returns
    -------
    dict
        ``{note: group}``: notes of one SoundFont are in one group when they are
        velocities of one pitch or play a common sample (transitively), read from the
        SoundFont's zones (:func:`mirlearn.data.soundfont.note_samples`). A SoundFont whose
        zones cannot be read groups each pitch's velocities only, with a warning.
    """
    import warnings

    from ..errors import MirlearnWarning
    from .soundfont import SoundFontError, note_samples

    parent = {}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a, b):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    pitch_of = {}
    for note in notes:
        sf_path, name, pitch, _ = note
        key = (str(sf_path), name, pitch)  # all velocities of a pitch: one node
        parent.setdefault(key, key)
        pitch_of[note] = key
    by_sample = {}
    unreadable = set()
    for note in notes:
        sf_path, name, pitch, vel = note
        if str(sf_path) in unreadable:
            continue
        try:
            samples = note_samples(sf_path, INSTRUMENTS[name].program, pitch, vel)
        except (SoundFontError, OSError, struct.error) as exc:
            unreadable.add(str(sf_path))
            warnings.warn(f"{sf_path}: cannot read which notes share samples ({exc}); grouping each pitch's "
                          "velocities only", MirlearnWarning, stacklevel=2)
            continue
        for smp in samples:
            other = by_sample.setdefault((str(sf_path), smp), pitch_of[note])
            union(other, pitch_of[note])
    members = {}
    for key in parent:
        members.setdefault(find(key), []).append(key)
    label = {}
    for root, keys in members.items():
        sf_path, name, lo = min(keys)
        hi = max(p for _, n, p in keys if n == name)
        others = sorted({n for _, n, _ in keys} - {name})
        label[root] = f"{Path(sf_path).stem}/{name}/{lo}-{hi}" + (f"+{'+'.join(others)}" if others else "")
    return {note: label[find(key)] for note, key in pitch_of.items()}


def render_notes(
    soundfonts,
    out,
    *,
    instruments=None,
    pitch_step=3,
    velocities=(64, 110),
    duration=1.0,
    release=0.5,
    sr=22050,
    test_soundfont=None,
    augment=0,
    seed=0,
    progress=True,
):
    """Render labelled notes from SoundFonts into ``out`` with manifests.

    Parameters
    ----------
    soundfonts : sequence of path-like
        SF2/SF3 files.
    out : path-like
        Output folder: ``<soundfont>/<instrument>/<instrument>_p<pitch>_v<vel>[_aug<k>].wav``
        and two manifests, ``notes-instrument.csv`` and ``notes-family.csv`` (columns
        ``path,label,split,group``). A group ties together every rendering that shares a
        recorded sample: a note's velocities and augmented copies, and the neighbouring
        pitches (or other instruments) that the SoundFont plays from the same sample
        (:func:`render_groups`), so that no split puts near-duplicates on both sides.
    instruments : sequence of str or None
        Names from :data:`INSTRUMENTS` (default: all twelve).
    pitch_step : int
        Every ``pitch_step``-th MIDI pitch of each instrument's range.
    velocities : sequence of int
    duration, release : float
        Seconds held, seconds rendered after the note-off.
    test_soundfont : str or None
        Stem of the SoundFont whose notes form the ``test`` split (the others are
        ``train``): cross-source evaluation. None: no split column values.
    augment : int
        Augmented copies of each training note (:func:`mirlearn.data.augment.augment`).

    Returns
    -------
    dict
        ``{"instrument": manifest path, "family": manifest path, "n_notes": n}``
    """
    try:
        import tinysoundfont
    except ImportError as exc:
        raise ParameterError(
            "render-notes needs tinysoundfont: pip install --no-deps tinysoundfont "
            "(its pyaudio dependency is only for playback)"
        ) from exc
    import soundfile as sf
    from tqdm.auto import tqdm

    from .augment import augment as augment_fn

    soundfonts = [Path(s) for s in soundfonts]
    for s in soundfonts:
        if not s.is_file():
            raise ParameterError(
                f"SoundFont {str(s)!r} does not exist (Debian: apt-get install fluid-soundfont-gm "
                "musescore-general-soundfont timgm6mb-soundfont)"
            )
    stems = [s.stem for s in soundfonts]
    if len(set(stems)) != len(stems):
        raise ParameterError(f"two SoundFonts share a name: {stems}")
    if test_soundfont is not None and test_soundfont not in stems:
        raise ParameterError(f"test_soundfont {test_soundfont!r} is not one of the SoundFonts given: {stems}")
    names = list(instruments) if instruments else list(INSTRUMENTS)
    unknown = [n for n in names if n not in INSTRUMENTS]
    if unknown:
        raise ParameterError(f"unknown instrument(s) {unknown}; available: {', '.join(INSTRUMENTS)}")
    for v in velocities:
        if not 1 <= int(v) <= 127:
            raise ParameterError(f"velocities must lie in 1..127, got {v!r}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    rows = []
    jobs = [(sf_path, INSTRUMENTS[n], p, v) for sf_path in soundfonts for n in names for p in range(INSTRUMENTS[n].low, INSTRUMENTS[n].high + 1, pitch_step) for v in velocities]
    bar = tqdm(total=len(jobs), unit="note", disable=not progress)
    synth = None
    current = None
    for sf_path, inst, pitch, vel in jobs:
        if sf_path != current:
            synth = tinysoundfont.Synth(samplerate=sr)
            try:
                sfid = synth.sfload(str(sf_path))
            except Exception as exc:
                raise ParameterError(f"cannot load SoundFont {str(sf_path)!r}: {exc}") from exc
            current = sf_path
        y = _render_one(synth, sfid, inst, pitch, vel, duration, release, sr)
        split = "" if test_soundfont is None else ("test" if sf_path.stem == test_soundfont else "train")
        base = out / sf_path.stem / inst.name / f"{inst.name}_p{pitch:03d}_v{vel:03d}"
        base.parent.mkdir(parents=True, exist_ok=True)
        note = (sf_path, inst.name, pitch, vel)
        if np.max(np.abs(y)) < 1e-4:  # the SoundFont has no sample for this note
            bar.update(1)
            continue
        peak = np.max(np.abs(y))
        if peak > 0.99:
            y = y / peak * 0.99
        sf.write(f"{base}.wav", y, sr, subtype="PCM_16")
        rows.append((f"{base}.wav", inst, split, note))
        if split != "test":  # test notes are never augmented
            for k in range(augment):
                sf.write(f"{base}_aug{k}.wav", augment_fn(y, sr, rng), sr, subtype="PCM_16")
                rows.append((f"{base}_aug{k}.wav", inst, split, note))
        bar.update(1)
    bar.close()
    if not rows:
        raise ParameterError("no note produced any sound; are these General MIDI SoundFonts?")
    groups = render_groups(sorted({r[3] for r in rows}))
    rows = [(path, inst, split, groups[note]) for path, inst, split, note in rows]
    manifests = {}
    for kind in ("instrument", "family"):
        m = out / f"notes-{kind}.csv"
        with m.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["path", "label", "split", "group"])
            for path, inst, split, group in rows:
                w.writerow([Path(path).relative_to(out), inst.name if kind == "instrument" else inst.family, split, group])
        manifests[kind] = m
    return {**manifests, "n_notes": len(rows)}
