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
``polarity``, a random sign. Validation chunks (:class:`SongChunks`) are fixed and
un-augmented.
"""

from __future__ import annotations

import csv
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..audio.io import load
from ..errors import MirlearnWarning, ParameterError

__all__ = ["Song", "load_separation", "read_song", "stem_order", "RemixChunks", "SongChunks", "AUDIO_SUFFIXES"]

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
    seed : int
    """

    def __init__(self, tracks, *, chunk, n_chunks, remix=0.5, gain_db=0.0, polarity=False, seed=0):
        self.tracks, self.chunk, self.n_chunks = tracks, int(chunk), int(n_chunks)
        self.remix, self.gain_db, self.polarity, self.seed = float(remix), float(gain_db), bool(polarity), int(seed)
        self.epoch = 0

    def __len__(self):
        return self.n_chunks

    def _piece(self, rng, song, stem):
        """``chunk`` samples of one stem (``stem`` an index) or of all (``slice(None)``)."""
        x = self.tracks[song][stem]
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
