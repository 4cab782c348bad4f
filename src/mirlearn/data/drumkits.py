"""Synthetic drum tracks with exact labels, from Hydrogen drum kits (Debian ``hydrogen-data``).

A kit is a folder with ``drumkit.xml`` and its samples. Instruments are mapped to MDB Drums'
classes by name: kick / bass drum → ``KD``, snare (not rimshot or side stick) → ``SD``,
hi-hat → ``HH``, tom → ``TT``, crash / ride / splash / china / cymbal → ``CY``; others
(claps, cowbells, percussion) are ``OT``. Kits without a kick, a snare and a hi-hat are
skipped.

Each track is a random rock/pop-style pattern on a 16th-note grid (70-180 BPM) with random
velocities, fills and cymbals, optionally mixed with a rendered General MIDI accompaniment
(bass and one other instrument) into a full mixture. Annotations: ``time<TAB>label``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from ..errors import ParameterError
from .frames import write_paired_manifest

__all__ = ["load_kit", "find_kits", "default_kits", "render_drum_tracks", "HYDROGEN_KITS", "DEFAULT_KITS", "RECORDED_KITS"]

HYDROGEN_KITS = Path("/usr/share/hydrogen/data/drumkits")

#: The kits of Debian's hydrogen-data, the default of every renderer. Other packages install
#: kits into the same folder (hydrogen-drumkits: 15 more); they are used only when asked for
#: (``kits=``, ``--kits``), so that installing them changes no default rendering.
DEFAULT_KITS = ("GMRockKit", "TR808EmulationKit")

#: Kits of hydrogen-data and hydrogen-drumkits that say in their drumkit.xml that they are
#: recordings of real drums or percussion (docs/data-sources.md). The others are synthesised
#: (TR808EmulationKit, ElectricEmpireKit, HardElectro1, VariBreaks) or do not say
#: (Audiophob: "sounds from freesound.org"; rumpf_kit_z01_h2: "analog samples").
RECORDED_KITS = ("BJA_Pacific", "ColomboAcousticDrumkit", "ForzeeStereo", "Gimme A Hand 1.0", "GMRockKit", "Millo-Drums_v.1",
                 "Millo_MultiLayered2", "Millo_MultiLayered3", "The Black Pearl 1.0", "circAfrique v4")

_RULES = [
    ("SD", re.compile(r"rim|side ?stick|stick", re.I), "OT"),
    ("KD", re.compile(r"kick|bass ?drum|\bbd\b", re.I), None),
    ("SD", re.compile(r"snare", re.I), None),
    ("HH", re.compile(r"hat|\bhh\b|hi-?hat", re.I), None),
    ("TT", re.compile(r"tom", re.I), None),
    ("CY", re.compile(r"crash|ride|splash|china|cymbal", re.I), None),
]


def _label(name):
    for _, rx, override in _RULES[:1]:
        if rx.search(name):
            return override
    for label, rx, _ in _RULES[1:]:
        if rx.search(name):
            return label
    return "OT"


def load_kit(folder, *, sr=44100):
    """``{label: [sample arrays]}`` of a Hydrogen kit, resampled to ``sr``, mono, float32;
    also the kit's licence text."""
    import soundfile as sf

    from ..audio.io import resample
    from .augment import remove_dc

    folder = Path(folder)
    root = ET.parse(folder / "drumkit.xml").getroot()
    ns = root.tag.split("}")[0] + "}" if root.tag.startswith("{") else ""
    lic = root.find(f"{ns}license")
    out = {}
    for inst in root.iter(f"{ns}instrument"):
        name = inst.find(f"{ns}name")
        if name is None or not name.text:
            continue
        label = _label(name.text)
        for fn in inst.iter(f"{ns}filename"):
            path = folder / fn.text
            if not path.is_file():
                continue
            y, s = sf.read(path, dtype="float32", always_2d=True)
            y = y.mean(axis=1)
            if s != sr:
                y = resample(y, orig_sr=s, target_sr=sr)
            y = remove_dc(y, sr)  # TR808EmulationKit's hi-hats: DC up to 2/3 of their RMS
            peak = np.abs(y).max()
            if peak > 0:
                out.setdefault(label, []).append(y / peak)
    return out, (lic.text if lic is not None else "")


def default_kits():
    """The usable kits of :data:`DEFAULT_KITS` in :data:`HYDROGEN_KITS` (hydrogen-data's)."""
    kits = [k for k in find_kits(HYDROGEN_KITS) if k.name in DEFAULT_KITS]
    if not kits:
        raise ParameterError(f"none of the default drum kits {', '.join(DEFAULT_KITS)} in {HYDROGEN_KITS} "
                             "(Debian: apt-get install hydrogen-data), or give a folder of kits (--kits)")
    return kits


def find_kits(root=HYDROGEN_KITS):
    """Kit folders under ``root`` with a kick, a snare and a hi-hat."""
    root = Path(root)
    if not root.is_dir():
        raise ParameterError(f"no drum kits in {root} (Debian: apt-get install hydrogen-data)")
    kits = []
    for xml in sorted(root.glob("*/drumkit.xml")):
        try:
            names = [n.text or "" for n in ET.parse(xml).getroot().iter() if n.tag.endswith("name")]
        except ET.ParseError:
            continue
        labels = {_label(n) for n in names}
        if {"KD", "SD", "HH"} <= labels:
            kits.append(xml.parent)
    return kits


def _pattern(rng, seconds, bpm=None, meter=4, bar_cues=False):
    """Hits ``(time, label, velocity)`` of a random groove (at a random tempo unless ``bpm``)
    with ``meter`` beats to the bar (kick on the downbeat, snare on the other beats' backbeat:
    2 and 4 in 4/4, 2 and 3 in 3/4), a tom fill in the last beat of every fourth bar. With
    ``bar_cues``, the bar after each fill (a phrase of four bars starts) opens on a crash
    most of the time, as in rock and pop, rather than one bar in ten at random."""
    drawn = rng.uniform(70, 180)  # drawn either way: the stream stays the same
    bpm = drawn if bpm is None else bpm
    step = 60.0 / bpm / 4  # a 16th note
    n = int(seconds / step)
    bar = 4 * meter
    half = 8 if meter == 4 else None
    snare = (4, 12) if meter == 4 else tuple(range(4, bar, 4))
    hh_every = rng.choice([1, 2, 2, 4])
    kd_p = rng.uniform(0.1, 0.35)
    hits = []
    for i in range(n):
        t = i * step + rng.normal(0, 0.004)
        bar_pos = i % bar
        if t < 0:
            continue
        if bar_pos == 0 or (bar_pos % 2 == 0 and rng.random() < kd_p) or (bar_pos == half and rng.random() < 0.7):
            hits.append((t, "KD", rng.uniform(0.6, 1.0)))
        if bar_pos in snare and rng.random() < 0.92 or rng.random() < 0.03:
            hits.append((t, "SD", rng.uniform(0.5, 1.0)))
        if bar_pos % hh_every == 0 and rng.random() < 0.9:
            hits.append((t, "HH", rng.uniform(0.3, 0.9)))
        if bar_pos == 0 and rng.random() < (0.85 if bar_cues and (i // bar) % 4 == 0 else 0.1):
            hits.append((t, "CY", rng.uniform(0.5, 1.0)))
        if bar_pos >= bar - 4 and (i // bar) % 4 == 3 and rng.random() < 0.4:
            hits.append((t, "TT", rng.uniform(0.5, 1.0)))
    return sorted(hits)


def render_drum_tracks(out, *, n_tracks=20, seconds=12.0, sr=44100, kits=None, backing_soundfont=None, seed=0, progress=True):
    """Render synthetic drum tracks (and, with ``backing_soundfont``, the same tracks in a
    mixture with a General MIDI accompaniment).

    Writes ``OUT/<kit>/track_NNN.wav`` (drums) and ``track_NNN_mix.wav`` with
    ``track_NNN.drums`` annotations, and the manifest ``OUT/drums.csv``
    (``path,annotation,split,group``: split ``train``, no fold, so that they only ever train;
    a track and its mixture share a group).

    Returns
    -------
    pathlib.Path
        The manifest.
    """
    import soundfile as sf
    from tqdm.auto import tqdm

    from ..annotations import write_labelled_events

    out = Path(out)
    kits = [Path(k) for k in (default_kits() if kits is None else kits)]
    if not kits:
        raise ParameterError("no usable drum kit (one with a kick, a snare and a hi-hat)")
    rng = np.random.default_rng(seed)
    loaded = {}
    rows = []
    synth = None
    if backing_soundfont is not None:
        import tinysoundfont

        synth = tinysoundfont.Synth(samplerate=sr)
        sfid = synth.sfload(str(backing_soundfont))
    for k in tqdm(range(n_tracks), desc="render drum tracks", disable=not progress):
        kit = kits[k % len(kits)]
        if kit not in loaded:
            loaded[kit] = load_kit(kit, sr=sr)[0]
        y, times, labels = _play(loaded[kit], _pattern(rng, seconds), seconds, sr, rng)
        y = 0.7 * y / max(np.abs(y).max(), 1e-6)
        folder = out / kit.name.replace(" ", "_")
        folder.mkdir(parents=True, exist_ok=True)
        name = f"track_{k:03d}"
        keep = np.asarray(times) < seconds
        write_labelled_events(folder / f"{name}.drums", np.asarray(times)[keep], np.asarray(labels, dtype=object)[keep])
        sf.write(folder / f"{name}.wav", y, sr, subtype="PCM_16")
        rows.append((str(folder / f"{name}.wav"), str(folder / f"{name}.drums"), "train", f"synth{k}"))
        if synth is not None:
            z = _backing(synth, sfid, rng, seconds, sr)
            mix = y + z * rng.uniform(0.5, 1.5) * np.sqrt(np.mean(y**2) / max(np.mean(z**2), 1e-12))
            mix = 0.8 * mix / max(np.abs(mix).max(), 1e-6)
            sf.write(folder / f"{name}_mix.wav", mix.astype(np.float32), sr, subtype="PCM_16")
            rows.append((str(folder / f"{name}_mix.wav"), str(folder / f"{name}.drums"), "train", f"synth{k}"))
    return write_paired_manifest(out / "drums.csv", rows)


def _play(samples, hits, seconds, sr, rng):
    """The hits ``(time, label, velocity)`` played on a kit's ``samples``: the track
    (``seconds`` long; sounds ring into the end) and the times and labels it holds."""
    y = np.zeros(int((seconds + 1.5) * sr), np.float32)
    times, labels = [], []
    for t, lab, vel in hits:
        if lab not in samples:
            continue
        s = samples[lab][rng.integers(len(samples[lab]))]
        i = int(t * sr)
        n = min(len(s), len(y) - i)
        y[i:i + n] += vel * s[:n] * rng.uniform(0.3, 0.6)
        times.append(t)
        labels.append(lab)
    return y[: int(seconds * sr)], times, labels


def _backing(synth, sfid, rng, seconds, sr):
    """A bass line and one chordal/melodic instrument, random notes, General MIDI."""
    total = int(seconds * sr)
    out = np.zeros(total, np.float32)
    for program, lo, hi, poly in ((33, 28, 50, 1), (int(rng.choice([0, 4, 19, 24, 29, 48, 61])), 48, 76, 3)):
        synth.program_select(0, sfid, 0, program)
        t, buf = 0, []
        while t < total:
            pitches = [int(rng.integers(lo, hi))] + [int(rng.integers(lo, hi)) for _ in range(poly - 1)]
            for p in pitches:
                synth.noteon(0, p, int(rng.integers(60, 110)))
            n = int(rng.uniform(0.2, 1.0) * sr)
            buf.append(np.frombuffer(synth.generate(n), dtype=np.float32).reshape(-1, 2).mean(1))
            for p in pitches:
                synth.noteoff(0, p)
            t += n
        synth.sounds_off()
        synth.generate(int(0.1 * sr))
        out += np.concatenate(buf)[:total]
    return out
