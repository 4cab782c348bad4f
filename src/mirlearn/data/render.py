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
from .frames import write_paired_manifest
from .soundfont import require_tinysoundfont

__all__ = ["INSTRUMENTS", "DRUM_KIT", "Instrument", "resolve_instruments", "render_notes", "render_groups", "render_melodies",
           "write_note_manifests"]


@dataclass(frozen=True)
class Instrument:
    name: str
    program: int  # General MIDI program, 0-based
    family: str  # NSynth instrument family
    low: int  # MIDI pitch range (for the drum kit: the GM percussion keys)
    high: int
    drums: bool = False  # the GM drum kit (percussion channel)


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


#: the GM drum kit as one instrument: every percussion key 35-81 is one of its notes
DRUM_KIT = Instrument("drums", 0, "percussion", 35, 81, drums=True)


def resolve_instruments(tokens=None):
    """Instruments from names and numbers.

    Parameters
    ----------
    tokens : sequence of str or None
        Each one of: a name of :data:`INSTRUMENTS` (the twelve defaults, e.g. ``piano``);
        a General MIDI program, 0-based number (``40``) or name (``viola``,
        ``electric_bass_finger``: :data:`mirlearn.data.gm.GM_PROGRAMS`), labelled with its GM
        name and NSynth family; ``drums`` (the GM drum kit, family ``percussion``); ``gm``
        (all 128 programs). None: the twelve defaults.

    Returns
    -------
    list of Instrument
    """
    from .gm import GM_PROGRAMS, gm_family, gm_program, gm_range

    out = []
    for token in tokens or list(INSTRUMENTS):
        t = str(token).strip()
        if t in INSTRUMENTS:
            out.append(INSTRUMENTS[t])
        elif t.lower() == "drums":
            out.append(DRUM_KIT)
        elif t.lower() == "gm":
            out += [Instrument(GM_PROGRAMS[p], p, gm_family(p), *gm_range(p)) for p in range(128)]
        else:
            p = gm_program(t)
            out.append(Instrument(GM_PROGRAMS[p], p, gm_family(p), *gm_range(p)))
    names = [i.name for i in out]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ParameterError(f"instrument(s) named twice: {twice}")
    return out


def _render_one(synth, sfid, inst, pitch, velocity, duration, release, sr):
    chan = 9 if inst.drums else 0
    synth.program_select(chan, sfid, 128 if inst.drums else 0, inst.program, is_drums=inst.drums)
    synth.noteon(chan, pitch, velocity)
    on = np.frombuffer(synth.generate(int(duration * sr)), dtype=np.float32)
    synth.noteoff(chan, pitch)
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
        The path may be a GUS patch set (:class:`mirlearn.data.gus.PatchSet`).

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
    from .gus import PatchSet, is_patch_set
    from .soundfont import SoundFontError, note_samples

    parent = {}
    patch_sets = {}

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
        inst = resolve_instruments([name])[0]
        if is_patch_set(sf_path):  # a GUS patch set: one sample per note, by frequency range
            ps = patch_sets.setdefault(str(sf_path), PatchSet(sf_path))
            idx = ps.sample_index(inst.program, pitch, drums=inst.drums)
            if idx is not None:
                smp = (str(ps.patch(pitch if inst.drums else inst.program, drums=inst.drums)), idx)
                union(by_sample.setdefault((str(sf_path), smp), pitch_of[note]), pitch_of[note])
            continue
        try:
            samples = note_samples(sf_path, inst.program, pitch, vel, bank=128 if inst.drums else 0)
        except SoundFontError as exc:
            if "no preset" in str(exc):  # this SoundFont lacks the program: nothing is shared
                continue
            unreadable.add(str(sf_path))
            warnings.warn(f"{sf_path}: cannot read which notes share samples ({exc}); grouping each pitch's "
                          "velocities only", MirlearnWarning, stacklevel=2)
            continue
        except (OSError, struct.error) as exc:
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
    augment_effects=None,
    seed=0,
    progress=True,
):
    """Render labelled notes from SoundFonts into ``out`` with manifests.

    Parameters
    ----------
    soundfonts : sequence of path-like
        SF2/SF3 files, or folders of GUS patches (freepats: ``/usr/share/midi/freepats``,
        real recorded samples; :class:`mirlearn.data.gus.PatchSet`).
    out : path-like
        Output folder: ``<soundfont>/<instrument>/<instrument>_p<pitch>_v<vel>[_aug<k>].wav``
        and two manifests, ``notes-instrument.csv`` and ``notes-family.csv`` (columns
        ``path,label,split,group,source``; ``source`` is the SoundFont, so that
        ``mirlearn train --group-by source --folds N`` with N SoundFonts is
        leave-one-SoundFont-out cross-validation). A group ties together every rendering that shares a
        recorded sample: a note's velocities and augmented copies, and the neighbouring
        pitches (or other instruments) that the SoundFont plays from the same sample
        (:func:`render_groups`), so that no split puts near-duplicates on both sides.
    instruments : sequence of str or None
        Default names, General MIDI programs by number or name, ``drums``, ``gm``: see
        :func:`resolve_instruments` (default: the twelve of :data:`INSTRUMENTS`).
    pitch_step : int
        Every ``pitch_step``-th MIDI pitch of each instrument's range (the drum kit: every
        key).
    velocities : sequence of int
    duration, release : float
        Seconds held, seconds rendered after the note-off.
    test_soundfont : str or None
        Stem of the SoundFont whose notes form the ``test`` split (the others are
        ``train``): cross-source evaluation. None: no split column values.
    augment : int
        Augmented copies of each training note (:func:`mirlearn.data.augment.augment`).
    augment_effects : sequence of str or None
        The effects those copies draw from (default: all of
        :data:`mirlearn.data.augment.EFFECTS`).

    Returns
    -------
    dict
        ``{"instrument": manifest path, "family": manifest path, "n_notes": n}``
    """
    tinysoundfont = require_tinysoundfont("render-notes")
    import soundfile as sf
    from tqdm.auto import tqdm

    from .augment import EFFECTS
    from .augment import augment as augment_fn

    effects = tuple(EFFECTS if augment_effects is None else augment_effects)
    augment_fn(np.zeros(16, np.float32), sr, np.random.default_rng(0), effects=effects)  # unknown names: an error now

    from .gus import PatchSet, is_patch_set

    soundfonts = [Path(s) for s in soundfonts]
    for s in soundfonts:
        if not (s.is_file() or is_patch_set(s)):
            raise ParameterError(
                f"SoundFont {str(s)!r} does not exist (Debian: apt-get install fluid-soundfont-gm "
                "musescore-general-soundfont timgm6mb-soundfont; a folder of GUS patches: apt-get install freepats)"
            )
    stems = [s.stem for s in soundfonts]
    if len(set(stems)) != len(stems):
        raise ParameterError(f"two SoundFonts share a name: {stems}")
    if test_soundfont is not None and test_soundfont not in stems:
        raise ParameterError(f"test_soundfont {test_soundfont!r} is not one of the SoundFonts given: {stems}")
    insts = resolve_instruments(instruments)
    for v in velocities:
        if not 1 <= int(v) <= 127:
            raise ParameterError(f"velocities must lie in 1..127, got {v!r}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    rows = []
    jobs = [(sf_path, inst, p, v) for sf_path in soundfonts for inst in insts for p in range(inst.low, inst.high + 1, 1 if inst.drums else pitch_step)
            for v in velocities]
    bar = tqdm(total=len(jobs), unit="note", disable=not progress)
    synth = None
    current = None
    missing = set()
    for sf_path, inst, pitch, vel in jobs:
        if sf_path != current:
            if is_patch_set(sf_path):
                synth, sfid = PatchSet(sf_path), None
            else:
                synth = tinysoundfont.Synth(samplerate=sr)
                try:
                    sfid = synth.sfload(str(sf_path))
                except Exception as exc:
                    raise ParameterError(f"cannot load SoundFont {str(sf_path)!r}: {exc}") from exc
            current = sf_path
        if (sf_path, inst.name) in missing:
            bar.update(1)
            continue
        try:
            if isinstance(synth, PatchSet):
                y = synth.render(inst.program, pitch, vel, duration, release, sr, drums=inst.drums)
                if y is None and inst.drums:  # a kit lacking this key: skip the key only
                    bar.update(1)
                    continue
                if y is None:
                    raise RuntimeError("no patch")
            else:
                y = _render_one(synth, sfid, inst, pitch, vel, duration, release, sr)
        except RuntimeError:  # tinysoundfont: no preset for this bank and program
            missing.add((sf_path, inst.name))
            bar.update(1)
            continue
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
                sf.write(f"{base}_aug{k}.wav", augment_fn(y, sr, rng, effects=effects), sr, subtype="PCM_16")
                rows.append((f"{base}_aug{k}.wav", inst, split, note))
        bar.update(1)
    bar.close()
    if missing:
        import warnings

        from ..errors import MirlearnWarning

        warnings.warn("no preset for " + ", ".join(f"{n} in {Path(s).name}" for s, n in sorted(missing, key=str)) + "; skipped",
                      MirlearnWarning, stacklevel=2)
    if not rows:
        raise ParameterError("no note produced any sound; are these General MIDI SoundFonts?")
    groups = render_groups(sorted({r[3] for r in rows}))
    rows = [(path, inst, split, groups[note]) for path, inst, split, note in rows]
    manifests = write_note_manifests(out, [(path, inst.name, inst.family, split, group, Path(path).relative_to(out).parts[0])
                                           for path, inst, split, group in rows])
    return {**manifests, "n_notes": len(rows)}


def write_note_manifests(out, rows):
    """``out/notes-instrument.csv`` and ``out/notes-family.csv`` (columns ``path,label,split,group,source``)
    from rows ``(path, instrument, family, split, group, source)``; returns ``{"instrument": path, "family": path}``."""
    manifests = {}
    for k, kind in enumerate(("instrument", "family")):
        m = Path(out) / f"notes-{kind}.csv"
        with m.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["path", "label", "split", "group", "source"])
            for path, inst, family, split, group, source in rows:
                w.writerow([Path(path).relative_to(out), (inst, family)[k], split, group, source])
        manifests[kind] = m
    return manifests


def render_melodies(soundfonts, out, *, n_per_instrument=4, seconds=8.0, instruments=None, sr=16000, test_soundfont=None,
                    augment=0, seed=0, progress=True):
    """Monophonic melodies rendered from SoundFonts, with exact f0 annotations: the
    training data of the pitch model.

    Each melody is one instrument playing random notes of its range (0.1-0.8 s; after 40% of
    them a rest of 0.1-1 s), one note at a time. The f0 annotation (100 fps,
    ``time,frequency``, 0 = unvoiced) is the note's frequency while it is held, and during its
    release while the frame's level stays within 25 dB of the note's peak.

    Writes ``OUT/<soundfont>/<instrument>/melody_NNN.wav`` with ``melody_NNN.f0.csv``, and the
    manifest ``OUT/melodies.csv`` (``path,annotation,split,group``: a melody and its augmented
    copies share a group; ``test_soundfont``'s melodies are the test split, never augmented).

    Returns
    -------
    pathlib.Path
        The manifest.
    """
    tinysoundfont = require_tinysoundfont("render_melodies")
    import soundfile as sf
    from tqdm.auto import tqdm

    from ..annotations import midi_to_hz, write_f0
    from .augment import add_noise, random_eq, random_level, room_reverb

    soundfonts = [Path(s) for s in soundfonts]
    for s in soundfonts:
        if not s.is_file():
            raise ParameterError(f"SoundFont {str(s)!r} does not exist (Debian: apt-get install fluid-soundfont-gm timgm6mb-soundfont)")
    names = list(instruments) if instruments else list(INSTRUMENTS)
    unknown = [n for n in names if n not in INSTRUMENTS]
    if unknown:
        raise ParameterError(f"unknown instrument(s) {unknown}; choose from {', '.join(INSTRUMENTS)}")
    out = Path(out)
    rng = np.random.default_rng(seed)
    fps, hop = 100, sr // 100
    rows = []
    jobs = [(s, INSTRUMENTS[n], k) for s in soundfonts for n in names for k in range(n_per_instrument)]
    synths = {}
    for sf_path, inst, k in tqdm(jobs, desc="render melodies", disable=not progress):
        if sf_path not in synths:
            synth = tinysoundfont.Synth(samplerate=sr)
            synths[sf_path] = (synth, synth.sfload(str(sf_path)))
        synth, sfid = synths[sf_path]
        synth.program_select(0, sfid, 0, inst.program)
        chunks, f0, t = [], [], 0
        total = int(seconds * sr)
        while t < total:
            pitch = int(rng.integers(inst.low, inst.high + 1))
            held = int(rng.uniform(0.1, 0.8) * sr)
            rest = int(rng.uniform(0.1, 1.0) * sr) if rng.random() < 0.4 else int(0.02 * sr)
            synth.noteon(0, pitch, int(rng.integers(50, 120)))
            a = np.frombuffer(synth.generate(held), dtype=np.float32).reshape(-1, 2).mean(1)
            synth.noteoff(0, pitch)
            b = np.frombuffer(synth.generate(rest), dtype=np.float32).reshape(-1, 2).mean(1)
            seg = np.concatenate([a, b])
            n_fr = len(seg) // hop
            rms = np.sqrt(np.mean(seg[: n_fr * hop].reshape(n_fr, hop) ** 2, axis=1) + 1e-12)
            voiced = np.zeros(n_fr, bool)
            voiced[: held // hop] = True
            voiced[held // hop:] = 20 * np.log10(rms[held // hop:] / rms.max()) > -25
            f0.append(np.where(voiced, midi_to_hz(pitch), 0.0))
            chunks.append(seg[: n_fr * hop])
            t += n_fr * hop
        synth.sounds_off()
        synth.generate(int(0.2 * sr))
        y = np.concatenate(chunks)
        f = np.concatenate(f0)
        peak = np.max(np.abs(y))
        if peak > 0:
            y = 0.5 * y / peak
        folder = out / sf_path.stem / inst.name
        folder.mkdir(parents=True, exist_ok=True)
        split = "test" if sf_path.stem == test_soundfont else ("train" if test_soundfont else "")
        group = f"{sf_path.stem}/{inst.name}/{k}"
        copies = [("", y)]
        if split != "test":
            for c in range(augment):
                z = random_eq(y, sr, rng) if rng.random() < 0.5 else y
                z = room_reverb(z, sr, rng, rt60=(0.1, 0.6), wet=(0.05, 0.3)) if rng.random() < 0.5 else z
                z = add_noise(z, sr, rng) if rng.random() < 0.5 else z
                copies.append((f"_aug{c}", random_level(z, sr, rng)))
        for suffix, z in copies:
            name = f"melody_{k:03d}{suffix}"
            sf.write(folder / f"{name}.wav", np.clip(z, -1, 1), sr, subtype="PCM_16")
            write_f0(folder / f"{name}.f0.csv", np.arange(len(f)) / fps, f)
            rows.append((str((folder / f"{name}.wav").relative_to(out)), str((folder / f"{name}.f0.csv").relative_to(out)), split, group))
    return write_paired_manifest(out / "melodies.csv", rows)
