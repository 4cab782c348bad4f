"""Separation datasets: songs as stems, and random training chunks remixed across songs.

A separation dataset is either

* a folder with one sub-folder per song, each holding one audio file per stem
  (``song/drums.flac, song/bass.flac, ...``, as MUSDB18's stems or ``mdb-stems-dev``), or
* a CSV manifest with a row per song: ``song,<stem>,<stem>,...[,split][,group]``, each stem
  column a path (relative to the manifest).

The mixture is the sum of the stems (MUSDB18's convention). Signals are ``(n_stems,
n_channels, n_samples)`` float32 at the dataset's sample rate.

:class:`RemixChunks` draws training chunks on the fly: with probability ``remix`` each stem
comes from its own random song and offset (cross-song remixing), otherwise all stems come
from one song at one offset; each stem gets a random gain (``gain_db``) and, with
``polarity``, a random sign. With ``layers`` (recordings of one stem alone, read by
:func:`read_layers`), a chunk's ``layer_stem`` is, with probability ``layer``, replaced by a
piece of one of those recordings at the level of the stem it replaces: real drum recordings
layered into real songs' mixtures, for example. Validation chunks (:class:`SongChunks`) are
fixed and un-augmented.
"""

from __future__ import annotations

import csv
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..audio.io import load
from ..errors import MirlearnWarning, ParameterError
from .augment import remove_dc
from .soundfont import require_tinysoundfont

__all__ = ["Song", "load_separation", "read_song", "read_layers", "stem_order", "RemixChunks", "SongChunks", "AUDIO_SUFFIXES",
           "render_songs"]

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif")
#: The usual four stems come first, in this order; other stem names follow alphabetically.
KNOWN_STEMS = ("drums", "bass", "vocals", "other")


@dataclass(frozen=True)
class Song:
    """One song: a name, a path per stem, and optionally its split and group."""

    name: str
    paths: dict
    split: str | None = None
    group: str | None = None


def stem_order(names):
    """The usual stems first (drums, bass, vocals, other), then the rest alphabetically."""
    names = set(names)
    return [s for s in KNOWN_STEMS if s in names] + sorted(names - set(KNOWN_STEMS))


def _from_folder(root):
    songs = []
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        files = sorted(p for p in d.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)
        if not files:
            continue
        stems = {}
        for f in files:
            if f.stem in stems:
                raise ParameterError(f"{d}: two files for stem {f.stem!r} ({stems[f.stem].name}, {f.name}); keep one per stem")
            stems[f.stem] = f
        songs.append(Song(d.name, {k: str(v) for k, v in stems.items()}))
    if not songs:
        raise ParameterError(f"--data {root}: no song folders with audio files; a separation dataset is a folder per song "
                             "holding one file per stem (drums.flac, bass.flac, ...), or a manifest song,<stem>,...")
    return songs


def _from_manifest(path):
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        raise ParameterError(f"{path}: the manifest has no rows")
    cols = list(rows[0])
    if "song" not in cols:
        raise ParameterError(f"{path}: a separation manifest needs a 'song' column and one column per stem; got {', '.join(cols)}")
    stems = [c for c in cols if c not in ("song", "split", "group")]
    if not stems:
        raise ParameterError(f"{path}: no stem columns besides song/split/group")
    base = Path(path).parent
    songs = []
    for i, r in enumerate(rows, start=2):
        missing = [s for s in stems if not (r.get(s) or "").strip()]
        if missing:
            raise ParameterError(f"{path}, line {i}: song {r['song']!r} has no path for stem(s) {', '.join(missing)}")
        paths = {s: str((base / r[s].strip()) if not Path(r[s].strip()).is_absolute() else Path(r[s].strip())) for s in stems}
        split = (r.get("split") or "").strip() or None
        if split not in (None, "train", "valid", "test"):
            raise ParameterError(f"{path}, line {i}: split must be train, valid or test, got {split!r}")
        songs.append(Song(r["song"].strip(), paths, split, (r.get("group") or "").strip() or None))
    return songs


def load_separation(path, *, stems=None):
    """Read a separation dataset (a folder per song, or a manifest).

    Parameters
    ----------
    path : str or Path
    stems : list of str or None
        The stems to use, in order; by default every stem of the data (the usual four
        first). Every song must have every stem.

    Returns
    -------
    songs : list of Song
    stems : list of str
    """
    path = Path(path)
    if path.is_dir():
        songs = _from_folder(path)
    elif path.is_file():
        songs = _from_manifest(path)
    else:
        raise ParameterError(f"--data {path}: no such folder or manifest")
    names = [s.name for s in songs]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ParameterError(f"--data {path}: song name(s) {', '.join(dup)} appear more than once")
    available = set.intersection(*(set(s.paths) for s in songs))
    if stems is None:
        every = set.union(*(set(s.paths) for s in songs))
        if every != available:
            odd = [s.name for s in songs if set(s.paths) != every]
            raise ParameterError(f"--data {path}: songs {', '.join(odd[:5])} lack stem(s) {', '.join(sorted(every - available))}; "
                                 "give every song the same stems, or pick stems with --stems")
        stems = stem_order(available)
    else:
        stems = list(stems)
        lacking = [s for s in stems if s not in available]
        if lacking:
            raise ParameterError(f"--data {path}: stem(s) {', '.join(lacking)} are not in every song; available in all: "
                                 f"{', '.join(stem_order(available)) or 'none'}")
    if len(stems) < 2:
        raise ParameterError(f"separation needs at least 2 stems, got {stems}")
    for p in (q for s in songs for k, q in s.paths.items() if k in stems):
        if not Path(p).is_file():
            raise ParameterError(f"--data {path}: stem file {p} does not exist")
    return songs, stems


def read_song(song, *, stems, sr, mono=True):
    """``(n_stems, n_channels, n_samples)`` float32: every stem decoded at ``sr``.

    Stems of slightly different lengths are zero-padded to the longest (with a warning when
    they differ by more than 0.1 s: they may not belong together).
    """
    sigs = []
    for s in stems:
        with warnings.catch_warnings():
            # a silent stem is legal (an instrumental's vocals); a silent song is not
            warnings.filterwarnings("ignore", message=".*silent", category=MirlearnWarning)
            y, _ = load(song.paths[s], sr=sr, mono=mono)
        sigs.append(np.atleast_2d(y).astype(np.float32))
    if not any(np.any(x) for x in sigs):
        raise ParameterError(f"song {song.name}: every stem is silent")
    n_chan = {x.shape[0] for x in sigs}
    if len(n_chan) > 1:
        raise ParameterError(f"song {song.name}: stems have different channel counts {sorted(n_chan)}")
    lengths = [x.shape[-1] for x in sigs]
    n = max(lengths)
    if n - min(lengths) > 0.1 * sr:
        warnings.warn(f"song {song.name}: stem lengths differ by {(n - min(lengths)) / sr:.2f} s; shorter stems are zero-padded",
                      MirlearnWarning, stacklevel=2)
    return np.stack([np.pad(x, ((0, 0), (0, n - x.shape[-1]))) for x in sigs])


def read_layers(path, *, sr, min_seconds=1.0):
    """Recordings of one stem alone, to layer into training mixtures (:class:`RemixChunks`).

    Parameters
    ----------
    path : str or Path
        A folder: every audio file under it (sub-folders included), except files whose name
        ends in ``_mix`` (the mixtures ``mirlearn datasets render-drums --backing-soundfont``
        writes beside its drum tracks); or one audio file.
    sr : int
        The sample rate to decode at.
    min_seconds : float
        Shorter or silent files are skipped with a warning.

    Returns
    -------
    list of np.ndarray [shape=(n_samples,)]
        Mono float32 signals, in sorted path order.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(f for f in path.rglob("*") if f.suffix.lower() in AUDIO_SUFFIXES and not f.stem.endswith("_mix"))
    elif path.is_file():
        files = [path]
    else:
        raise ParameterError(f"layer_data {path}: no such folder or audio file")
    out = []
    for f in files:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*silent", category=MirlearnWarning)
            y, _ = load(f, sr=sr, mono=True)
        y = np.asarray(y, np.float32).reshape(-1)
        if y.size < min_seconds * sr or not np.any(y):
            warnings.warn(f"layer_data: {f} is silent or shorter than {min_seconds} s; skipped", MirlearnWarning, stacklevel=2)
            continue
        out.append(y)
    if not out:
        raise ParameterError(f"layer_data {path}: no usable audio file (at least {min_seconds} s, not silent)")
    return out


def _rms(x):
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


class RemixChunks:
    """Random training chunks ``(n_stems, n_channels, chunk)`` from songs in memory.

    Parameters
    ----------
    tracks : list of np.ndarray [shape=(n_stems, n_channels, n_samples)]
    chunk : int
        Samples per chunk.
    n_chunks : int
        Chunks per epoch (the dataset's length).
    remix : float in [0, 1]
        Probability that a chunk's stems come from independent songs and offsets.
    gain_db : float
        Each stem's gain is uniform in ``[-gain_db, gain_db]`` dB.
    polarity : bool
        Flip each stem's sign with probability 0.5.
    layers : list of np.ndarray [shape=(n_samples,)] or None
        Recordings of stem ``layer_stem`` alone (:func:`read_layers`).
    layer_stem : int
        The index of the stem the layers stand in for.
    layer : float in [0, 1]
        Probability that a chunk's ``layer_stem`` is replaced by a random piece of a random
        layer, scaled to the RMS of the piece it replaces (or, where that is silent, to the
        median RMS of that stem over the songs), before the gains; a near-silent piece of a
        layer replaces nothing. With ``layer=0`` the
        chunks are those without layers, draw for draw.
    seed : int
    """

    def __init__(self, tracks, *, chunk, n_chunks, remix=0.5, gain_db=0.0, polarity=False, layers=None, layer_stem=0,
                 layer=0.0, seed=0):
        self.tracks, self.chunk, self.n_chunks = tracks, int(chunk), int(n_chunks)
        self.remix, self.gain_db, self.polarity, self.seed = float(remix), float(gain_db), bool(polarity), int(seed)
        self.layers, self.layer_stem, self.layer = layers, int(layer_stem), float(layer)
        if self.layer and not layers:
            raise ParameterError(f"layer={layer} needs recordings to layer (layers=)")
        if self.layer:
            levels = [_rms(t[self.layer_stem]) for t in tracks]
            self._level = float(np.median([v for v in levels if v > 0] or [0.1]))
        self.epoch = 0

    def __len__(self):
        return self.n_chunks

    def _piece(self, rng, song, stem):
        """``chunk`` samples of one stem (``stem`` an index) or of all (``slice(None)``)."""
        return self._cut(rng, self.tracks[song][stem])

    def _cut(self, rng, x):
        n = x.shape[-1]
        if n <= self.chunk:
            return np.pad(x, [(0, 0)] * (x.ndim - 1) + [(0, self.chunk - n)])
        s = int(rng.integers(0, n - self.chunk + 1))
        return x[..., s:s + self.chunk]

    def __getitem__(self, i):
        # seeded by (seed, epoch, index): reproducible, and different every epoch
        rng = np.random.default_rng([self.seed, self.epoch, i])
        n_stems = self.tracks[0].shape[0]
        if rng.random() < self.remix:
            songs = rng.integers(0, len(self.tracks), n_stems)
            out = np.stack([self._piece(rng, int(songs[k]), k) for k in range(n_stems)])
        else:
            song = int(rng.integers(0, len(self.tracks)))
            out = self._piece(rng, song, slice(None))
        gains = 10 ** (rng.uniform(-self.gain_db, self.gain_db, n_stems) / 20) if self.gain_db else np.ones(n_stems)
        if self.polarity:
            gains = gains * rng.choice([-1.0, 1.0], n_stems)
        if self.layer and rng.random() < self.layer:  # drawn after the gains: layer=0 leaves the stream unchanged
            k = self.layer_stem
            piece = self._cut(rng, self.layers[int(rng.integers(len(self.layers)))])
            if _rms(piece) > 1e-4:  # a near-silent piece (a track's last bar ringing out) is not scaled up
                level = _rms(out[k]) if _rms(out[k]) > 1e-4 else self._level
                out = out.copy()
                out[k] = piece[None, :] * (level / _rms(piece))
        return (out * gains[:, None, None].astype(np.float32)).astype(np.float32)


class SongChunks:
    """Consecutive chunks of whole songs, unaugmented (validation). The last chunk of a song
    is zero-padded."""

    def __init__(self, tracks, *, chunk):
        self.tracks, self.chunk = tracks, int(chunk)
        self.index = [(k, s) for k, t in enumerate(tracks) for s in range(0, max(t.shape[-1] - self.chunk // 4, 1), self.chunk)]

    def __len__(self):
        return len(self.index)

    def __getitem__(self, i):
        k, s = self.index[i]
        x = self.tracks[k][..., s:s + self.chunk]
        return np.pad(x, ((0, 0), (0, 0), (0, self.chunk - x.shape[-1]))).astype(np.float32)


#: General MIDI programs (0-based) each synthetic stem draws from.
SYNTH_PROGRAMS = {
    "bass": (32, 33, 34, 35, 36, 37, 38, 39),  # acoustic, finger, pick, fretless, slap 1-2, synth 1-2
    "vocals": (52, 53, 54, 85),  # choir aahs, voice oohs, synth voice, lead 6 (voice)
    "other": (0, 2, 4, 16, 19, 24, 25, 27, 29, 30, 48, 50, 61, 89),  # pianos, organs, guitars, strings, brass, pad
}
_SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}


def _render_line(synth, sfid, program, notes, seconds, sr):
    """Render ``notes`` ``(onset_s, duration_s, pitch, velocity)`` on one General MIDI
    ``program``: ``seconds`` of mono float32 audio."""
    synth.program_select(0, sfid, 0, int(program))
    events = sorted([(int(t * sr), 1, p, v) for t, d, p, v in notes] + [(int((t + d) * sr), 0, p, 0) for t, d, p, v in notes])
    total = int(seconds * sr)
    out, cur = [], 0
    for at, on, p, v in events:
        at = min(at, total)
        if at > cur:
            out.append(np.frombuffer(synth.generate(at - cur), dtype=np.float32).reshape(-1, 2).mean(1))
            cur = at
        if on:
            synth.noteon(0, int(p), int(v))
        else:
            synth.noteoff(0, int(p))
    if cur < total:
        out.append(np.frombuffer(synth.generate(total - cur), dtype=np.float32).reshape(-1, 2).mean(1))
    synth.sounds_off()
    synth.generate(int(0.2 * sr))  # let the voices die before the next line
    return remove_dc(np.concatenate(out)[:total], sr) if out else np.zeros(total, np.float32)


def _song_parts(rng, seconds, meter=4, bar_cues=False):
    """Tempo, and the notes of a bass line, a chordal part and a vocal-range melody over one
    random chord progression in a random key, ``meter`` beats to the bar. With ``bar_cues``
    the chord changes on every bar line (never the same degree twice in a row) and always
    sounds there, accented, over the bass's root: the harmonic cues that tell beat 1 from
    beat 3."""
    bpm = rng.uniform(70, 170)
    beat = 60.0 / bpm
    key = int(rng.integers(0, 12))
    scale = _SCALES[str(rng.choice(list(_SCALES)))]
    n_bars = int(np.ceil(seconds / (meter * beat)))
    degrees = [0] + [int(rng.choice([0, 3, 4, 5, 1])) for _ in range(n_bars - 1)]
    if bar_cues:
        for b in range(1, n_bars):
            if degrees[b] == degrees[b - 1]:
                degrees[b] = int(rng.choice([d for d in (0, 3, 4, 5, 1) if d != degrees[b - 1]]))

    def pitch(degree, octave):
        return 12 * (octave + degree // 7) + key + scale[degree % 7]

    bass, chords, melody = [], [], []
    bass_step = float(rng.choice([0.5, 1.0, 2.0]))
    comp = str(rng.choice(["whole", "half", "stabs"]))
    halves = [(0, 2), (2, 2)] if meter == 4 else [(0, 2), (2, meter - 2)]
    for b, d in enumerate(degrees):
        t0 = meter * b * beat
        for i in range(int(meter / bass_step)):  # root mostly, fifth or octave sometimes
            step = int(rng.choice([0, 0, 0, 4, 7]))
            step = 0 if bar_cues and i == 0 else step
            bass.append((t0 + i * bass_step * beat, 0.9 * bass_step * beat, pitch(d + step, 3), int(rng.integers(70, 115))))
        triad = [pitch(d + j, 5) for j in (0, 2, 4)]
        hits = {"whole": [(0, meter)], "half": halves, "stabs": [(i * 0.5, 0.35) for i in range(2 * meter) if rng.random() < 0.5 or (bar_cues and i == 0)]}[comp]
        for on, dur in hits:
            accent = 20 if bar_cues and on == 0 else 0
            chords += [(t0 + on * beat, dur * beat * 0.95, p, min(127, int(rng.integers(55, 100)) + accent)) for p in triad]
    t, degree = beat * float(rng.choice([0, 1, 2])), int(rng.integers(0, 7))
    while t < seconds:  # phrases of stepwise notes, 1/2 to 2 beats, rests between
        dur = beat * float(rng.choice([0.5, 1, 1, 2]))
        if rng.random() < 0.15:
            t += dur
            continue
        degree = int(np.clip(degree + rng.choice([-2, -1, -1, 0, 1, 1, 2]), 0, 11))
        melody.append((t, 0.95 * dur, pitch(degree, 5), int(rng.integers(70, 115))))
        t += dur
    return bpm, bass, chords, melody


def _song_synth(what, soundfont, kits, sr):
    """``(synth, soundfont id, kits)`` for rendering songs, or a clear error naming the
    Debian package that is missing."""
    tinysoundfont = require_tinysoundfont(what)
    from .drumkits import default_kits

    if not Path(soundfont).is_file():
        raise ParameterError(f"SoundFont {str(soundfont)!r} does not exist (Debian: apt-get install fluid-soundfont-gm)")
    kits = [Path(k) for k in (default_kits() if kits is None else kits)]
    if not kits:
        raise ParameterError("no usable drum kit (Debian: apt-get install hydrogen-data)")
    synth = tinysoundfont.Synth(samplerate=sr)
    return synth, synth.sfload(str(soundfont)), kits


def render_songs(out, *, n_songs=8, seconds=20.0, sr=22050, soundfont="/usr/share/sounds/sf2/FluidR3_GM.sf2", kits=None,
                 seed=0, progress=True):
    """Synthetic songs as four stems, for separation training.

    Each song has one tempo, key and chord progression: ``drums`` is a random groove
    (:mod:`mirlearn.data.drumkits`) on a Hydrogen kit (Debian ``hydrogen-data``), ``bass`` a
    root-and-fifth bass line, ``other`` the chords on a piano, organ, guitar, string, brass or
    pad program, and ``vocals`` a stepwise melody on a voice-like program (choir, oohs, synth
    voice: not singing, but a voice's range and formants), all rendered from a General MIDI
    SoundFont. Programs and levels (±4 dB around a balanced mix) are random per song; the
    sum of the stems peaks at 0.8.

    Writes ``OUT/synth_NNN/{drums,bass,vocals,other}.wav`` (a separation dataset folder:
    :func:`load_separation` reads it) and returns ``OUT``.
    """
    import soundfile as sf
    from tqdm.auto import tqdm

    from .drumkits import _pattern, _play, load_kit

    synth, sfid, kits = _song_synth("render_songs", soundfont, kits, sr)
    out = Path(out)
    rng = np.random.default_rng(seed)
    loaded = {}
    for k in tqdm(range(n_songs), desc="render songs", disable=not progress):
        kit = kits[k % len(kits)]
        if kit not in loaded:
            loaded[kit] = load_kit(kit, sr=sr)[0]
        bpm, bass, chords, melody = _song_parts(rng, seconds)
        stems = {"drums": _play(loaded[kit], _pattern(rng, seconds, bpm), seconds, sr, rng)[0]}
        for name, notes in (("bass", bass), ("vocals", melody), ("other", chords)):
            stems[name] = _render_line(synth, sfid, rng.choice(SYNTH_PROGRAMS[name]), notes, seconds, sr)
        for name, level in (("drums", 0.0), ("bass", -3.0), ("vocals", -1.0), ("other", -4.0)):
            rms = np.sqrt(np.mean(stems[name] ** 2))
            if rms > 0:
                stems[name] = stems[name] * (10 ** ((level + rng.uniform(-4, 4)) / 20) * 0.1 / rms)
        scale = 0.8 / max(np.abs(sum(stems.values())).max(), 1e-6)
        folder = out / f"synth_{k:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        for name, y in stems.items():
            sf.write(folder / f"{name}.wav", (y * scale).astype(np.float32), sr, subtype="FLOAT")
    return out


def render_beat_songs(out, *, n_songs=40, seconds=30.0, sr=22050, soundfont="/usr/share/sounds/sf2/FluidR3_GM.sf2", kits=None,
                      meters=(3, 4), bar_cues=False, seed=0, progress=True):
    """Synthetic songs with exact beats and downbeats, for ``mirlearn train --task beats``.

    Each song is drawn as :func:`render_songs` draws one (a groove on a Hydrogen kit, bass,
    chords and a melody from a General MIDI SoundFont, one tempo of 70-170 BPM) in a meter
    drawn from ``meters`` (3: 3/4, 4: 4/4), after a lead-in of 0-1.5 s of silence, mixed
    down to one file; a random gain of ±6 dB per part. The beat grid is exact; the drums
    play it with a few milliseconds of human timing. ``bar_cues`` marks the bar lines as rock
    and pop songs do: a chord change on every bar, the bass's root and accented chords on 1,
    a crash opening each four-bar phrase after the fill (see ``_song_parts`` and
    ``drumkits._pattern``); without it, the songs of earlier versions, note for note.

    Writes ``OUT/synth_NNN.wav`` with ``OUT/synth_NNN.beats`` (``time<TAB>position``) and the
    manifest ``OUT/beats.csv`` (``path,annotation,split,group``; split ``train`` and no fold,
    so that in cross-validation they only ever train, and real songs alone are scored).

    Returns
    -------
    pathlib.Path
        The manifest.
    """
    import soundfile as sf
    from tqdm.auto import tqdm

    from ..annotations import write_beats
    from ..fileio import write_csv
    from .drumkits import _pattern, _play, load_kit

    synth, sfid, kits = _song_synth("render_beat_songs", soundfont, kits, sr)
    meters = [int(m) for m in meters]
    if not meters or any(m < 2 or m > 12 for m in meters):
        raise ParameterError(f"meters must be beats per bar from 2 to 12, got {meters!r}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    loaded, rows = {}, {"path": [], "annotation": [], "split": [], "group": []}
    for k in tqdm(range(n_songs), desc="render beat songs", disable=not progress):
        kit = kits[k % len(kits)]
        if kit not in loaded:
            loaded[kit] = load_kit(kit, sr=sr)[0]
        meter = int(rng.choice(meters))
        lead = float(rng.uniform(0.0, 1.5))
        body = seconds - lead
        bpm, bass, chords, melody = _song_parts(rng, body, meter, bar_cues=bar_cues)
        parts = [_play(loaded[kit], _pattern(rng, body, bpm, meter, bar_cues=bar_cues), body, sr, rng)[0][: int(body * sr)]]
        for name, notes in (("bass", bass), ("vocals", melody), ("other", chords)):
            parts.append(_render_line(synth, sfid, rng.choice(SYNTH_PROGRAMS[name]), notes, body, sr))
        mix = np.zeros(int(seconds * sr), np.float32)
        for y, level in zip(parts, (0.0, -3.0, -1.0, -4.0)):
            rms = np.sqrt(np.mean(y ** 2))
            if rms > 0:
                y = y * (10 ** ((level + rng.uniform(-6, 6)) / 20) * 0.1 / rms)
            a = int(lead * sr)
            mix[a:a + len(y)] += y[: len(mix) - a]
        mix *= 0.8 / max(np.abs(mix).max(), 1e-6)
        beat = 60.0 / bpm
        times = lead + beat * np.arange(int(np.floor(body / beat - 1e-9)) + 1)
        times = times[times < seconds - 0.05]
        stem = f"synth_{k:03d}"
        sf.write(out / f"{stem}.wav", mix, sr, subtype="FLOAT")
        write_beats(out / f"{stem}.beats", times, np.arange(len(times)) % meter + 1)
        for col, v in (("path", f"{stem}.wav"), ("annotation", f"{stem}.beats"), ("split", "train"), ("group", stem)):
            rows[col].append(v)
    write_csv(out / "beats.csv", rows)
    return out / "beats.csv"


def mix_stems(data, annotations, out, *, suffix=".beats", progress=True):
    """Full mixtures of a separation dataset (the sum of each song's stems) paired with
    annotation files, for the frame tasks (e.g. MDB Drums' beats of the MDB stems' songs).

    An annotation belongs to the song whose name starts its file name
    (``MusicDelta_80sRock_MIX.beats`` -> ``MusicDelta_80sRock``; the longest song name wins);
    songs with no annotation are left out, and named.

    Writes ``OUT/<song>.wav`` (32-bit float, the stems' rate) and the manifest
    ``OUT/mixtures.csv`` (``path,annotation,group``) and returns the manifest.
    """
    import soundfile as sf
    from tqdm.auto import tqdm

    from ..fileio import write_csv

    songs, _ = load_separation(data)
    files = sorted(p for p in Path(annotations).iterdir() if p.name.endswith(suffix))
    names = sorted((s.name for s in songs), key=len, reverse=True)
    owner = {}
    for f in files:
        song = next((n for n in names if f.name.startswith(n)), None)
        if song is not None:
            if song in owner:
                raise ParameterError(f"{annotations}: two {suffix} files for song {song} ({owner[song].name}, {f.name})")
            owner[song] = f
    if not owner:
        raise ParameterError(f"{annotations}: no {suffix} file names start with a song name of {data}")
    missing = [s.name for s in songs if s.name not in owner]
    if missing:
        print(f"no {suffix} annotation for {len(missing)} song(s), left out: {', '.join(missing)}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows = {"path": [], "annotation": [], "group": []}
    for s in tqdm([s for s in songs if s.name in owner], desc="mix stems", disable=not progress):
        parts = [sf.read(p, dtype="float32", always_2d=True) for p in s.paths.values()]
        rates = {r for _, r in parts}
        if len(rates) > 1:
            raise ParameterError(f"song {s.name}: stems at different rates {sorted(rates)}")
        n = max(len(y) for y, _ in parts)
        mix = sum(np.pad(y.mean(axis=1), (0, n - len(y))) for y, _ in parts)
        sf.write(out / f"{s.name}.wav", mix.astype(np.float32), rates.pop(), subtype="FLOAT")
        rows["path"].append(f"{s.name}.wav")
        rows["annotation"].append(str(Path(owner[s.name]).resolve()))
        rows["group"].append(s.name)
    write_csv(out / "mixtures.csv", rows)
    return out / "mixtures.csv"
