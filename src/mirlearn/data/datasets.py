"""Labelled audio collections.

A dataset is a list of :class:`Item` (an audio path, its labels, optionally a split and a
group) read from

* a folder with one sub-folder per class (``genres/blues/*.wav``...);
* a CSV or TSV manifest with columns ``path,label[,split][,group]`` (``artist`` is accepted
  for ``group``); several labels per item (tags) are separated by ``;`` and make the dataset
  multi-label; relative paths are relative to the manifest's folder. Any other column
  (pitch, dynamic, source...) is kept as the item's metadata, and ``group_by=COLUMN`` makes
  any column the group;
* a local copy of a dataset that mirdata knows, in mirdata's layout (:func:`from_mirdata`,
  or ``mirdata:NAME:DATA_HOME`` wherever a dataset path is expected), never downloading.
"""

from __future__ import annotations

import csv
import difflib
import io
import os
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..audio import AUDIO_EXTENSIONS
from ..errors import MirlearnWarning, ParameterError

__all__ = ["Item", "Dataset", "load_dataset", "from_folder", "from_manifest", "from_mirdata", "SPLITS"]

SPLITS = ("train", "valid", "test")
MANIFEST_COLUMNS = ("path", "label", "split", "group")
#: metadata columns that mirlearn's own dataset commands write (``datasets render-notes`` and the
#: sample-library readers: ``source``); kept in each item's ``meta`` like any other extra column,
#: without the warning that an unknown column gets
OWN_METADATA = ("source",)
_ALIASES = {"artist": "group", "filename": "path", "file": "path", "labels": "label", "tags": "label"}


@dataclass(frozen=True)
class Item:
    """One labelled audio file."""

    path: str
    labels: tuple
    split: str | None = None
    group: str | None = None
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def label(self):
        """The single label of a single-label item."""
        return self.labels[0]


@dataclass
class Dataset:
    """A labelled collection.

    Attributes
    ----------
    items : list of Item
    classes : list of str
        Sorted labels.
    multilabel : bool
        True when some item has several labels (tagging).
    source : str
        Where it was read from.
    skipped : list of (path, reason)
        Entries left out (missing files), reported to the user.
    """

    items: list
    classes: list
    multilabel: bool = False
    source: str = ""
    skipped: list = field(default_factory=list)

    def __len__(self):
        return len(self.items)

    @property
    def paths(self):
        return [it.path for it in self.items]

    @property
    def has_splits(self):
        return any(it.split for it in self.items)

    def counts(self):
        return Counter(lab for it in self.items for lab in it.labels)

    def subset(self, indices):
        return Dataset([self.items[i] for i in indices], self.classes, self.multilabel, self.source)

    def targets(self, classes=None):
        """Integer class indices (single-label) or a multi-hot matrix (multi-label)."""
        import numpy as np

        classes = list(classes or self.classes)
        pos = {c: i for i, c in enumerate(classes)}
        if self.multilabel:
            Y = np.zeros((len(self.items), len(classes)), dtype=np.int64)
            for r, it in enumerate(self.items):
                for lab in it.labels:
                    if lab in pos:
                        Y[r, pos[lab]] = 1
            return Y
        return np.array([pos.get(it.label, -1) for it in self.items], dtype=np.int64)

    def check_trainable(self, *, min_per_class=2):
        """Raise a clear error for datasets that cannot be trained on."""
        if not self.items:
            raise ParameterError(f"dataset {self.source!r} has no usable items")
        if len(self.classes) < 2:
            raise ParameterError(
                f"dataset {self.source!r} has {len(self.classes)} class(es) {self.classes}; a classifier needs at least 2"
            )
        counts = self.counts()
        few = {c: n for c, n in counts.items() if n < min_per_class}
        if few:
            listing = ", ".join(f"{c!r} ({n})" for c, n in sorted(few.items()))
            raise ParameterError(
                f"class(es) with fewer than {min_per_class} examples: {listing}. Splitting and evaluation need at "
                f"least {min_per_class} per class: add examples or remove the class from {self.source!r}"
            )


def load_dataset(path, *, check_files=True, group_by=None):
    """Read a dataset from a folder of class folders or a manifest file.

    Parameters
    ----------
    path : path-like
        A folder (one sub-folder per class) or a ``.csv``/``.tsv`` manifest.
    check_files : bool
        Leave out (and report in ``Dataset.skipped``, with a warning) entries whose file
        does not exist.
    group_by : str or None
        A manifest column whose value is each item's group (items of one group never
        straddle two parts of a split), instead of the ``group`` column.

    Raises
    ------
    ParameterError
        The path does not exist, a manifest has unknown or missing columns, or an entry is
        malformed.
    """
    if isinstance(path, str) and path.startswith("mirdata:"):
        parts = path.split(":", 2)
        if len(parts) != 3 or not parts[2]:
            raise ParameterError(f"expected mirdata:NAME:DATA_HOME (e.g. mirdata:gtzan_genre:/data/gtzan), got {path!r}")
        return from_mirdata(parts[1], parts[2])
    p = Path(path)
    if p.is_dir():
        if group_by is not None:
            raise ParameterError(f"group_by={group_by!r} needs a manifest with that column; {str(p)!r} is a folder")
        return from_folder(p)
    if p.is_file() and p.suffix.lower() in (".csv", ".tsv"):
        return from_manifest(p, check_files=check_files, group_by=group_by)
    if not p.exists():
        raise ParameterError(f"dataset {str(p)!r} does not exist; give a folder of class folders or a .csv/.tsv manifest")
    raise ParameterError(f"dataset {str(p)!r} is neither a folder nor a .csv/.tsv manifest")


def from_folder(root):
    """A dataset from ``root/<class>/<audio files>`` (searched recursively in each class)."""
    root = Path(root)
    items, skipped = [], []
    for d in sorted(x for x in root.iterdir() if x.is_dir() and not x.name.startswith(".")):
        for f in sorted(d.rglob("*")):
            if f.suffix.lower() not in AUDIO_EXTENSIONS:
                continue
            if f.is_file():
                items.append(Item(str(f), (d.name,)))
            elif f.is_symlink():
                skipped.append((str(f), f"broken symbolic link: its target {os.readlink(f)!r} does not exist"))
    if skipped:
        warnings.warn(
            f"{root}: {len(skipped)} broken symbolic link(s) left out: " + "; ".join(p for p, _ in skipped[:5]),
            MirlearnWarning,
            stacklevel=2,
        )
    if not items:
        raise ParameterError(
            f"no audio files in class folders under {str(root)!r}; expected {root}/<class>/<file>"
            f" with one of {', '.join(AUDIO_EXTENSIONS)}"
        )
    return Dataset(items, sorted({it.label for it in items}), False, str(root), skipped)


def _check_columns(path, header, cols):
    """Extra columns are metadata; one that looks like a misspelt known column is an error."""
    known = sorted(set(MANIFEST_COLUMNS) | set(_ALIASES))
    extra = [h for h, c in zip(header, cols) if c not in MANIFEST_COLUMNS]
    for h in extra:
        near = difflib.get_close_matches(h, known, n=1, cutoff=0.8)
        if near:
            raise ParameterError(
                f"manifest {str(path)!r}: column {h!r} is not one mirlearn reads; did you mean {near[0]!r}? "
                f"(columns: path, label, split, group or artist; others are kept as metadata)"
            )
    return extra


def from_manifest(path, *, check_files=True, group_by=None):
    """A dataset from a CSV/TSV manifest ``path,label[,split][,group]``; other columns are
    kept in each item's ``meta``, and ``group_by`` names the column that gives the group."""
    path = Path(path)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    with io.StringIO(_manifest_text(path), newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            header = [h.strip().lower() for h in next(reader)]
        except StopIteration:
            raise ParameterError(f"manifest {str(path)!r} is empty; expected a header 'path,label[,split][,group]'") from None
        cols = [_ALIASES.get(h, h) for h in header]
        extra = _check_columns(path, header, cols)
        if group_by is not None:
            gb = _ALIASES.get(group_by.strip().lower(), group_by.strip().lower())
            if gb not in cols:
                raise ParameterError(f"manifest {str(path)!r} has no column {group_by!r} to group by; its columns: {', '.join(header)}")
        else:
            gb = "group"
        extra = [h for h in extra if _ALIASES.get(h, h) != gb]  # the column grouped by is used, not just kept
        unknown = [h for h in extra if h not in OWN_METADATA]
        if unknown:
            warnings.warn(
                f"manifest {path}: column(s) {', '.join(unknown)} kept as metadata", MirlearnWarning, stacklevel=2
            )
        missing = [c for c in ("path", "label") if c not in cols]
        if missing:
            raise ParameterError(f"manifest {str(path)!r}: missing column(s) {missing}; found {header}")
        if len(set(cols)) != len(cols):
            raise ParameterError(f"manifest {str(path)!r}: a column appears twice: {header}")
        items, skipped, no_label, seen, repeated = [], [], [], {}, []
        base = path.parent
        for lineno, row in enumerate(reader, start=2):
            if not row or all(not c.strip() for c in row):
                continue
            if len(row) != len(cols):
                raise ParameterError(
                    f"manifest {str(path)!r}, line {lineno}: {len(row)} field(s), expected {len(cols)} ({', '.join(header)})"
                )
            rec = dict(zip(cols, (c.strip() for c in row)))
            labels = tuple(t.strip() for t in rec["label"].split(";") if t.strip())
            if not rec["path"]:
                raise ParameterError(f"manifest {str(path)!r}, line {lineno}: empty path")
            split = rec.get("split") or None
            if split is not None and split not in SPLITS:
                raise ParameterError(
                    f"manifest {str(path)!r}, line {lineno}: split {split!r} is not one of {', '.join(SPLITS)}"
                )
            if not labels:
                no_label.append(lineno)
                continue
            f = Path(rec["path"])
            f = f if f.is_absolute() else base / f
            group = rec.get(gb) or None
            key = os.path.realpath(f)  # one file, however its path is spelt
            if key in seen:
                first, first_entry = seen[key]
                if first_entry != (labels, split, group):
                    raise ParameterError(
                        f"manifest {str(path)!r}: lines {first} and {lineno} list the same file {str(f)!r} with "
                        f"different labels, split or group; keep one"
                    )
                repeated.append((lineno, first))
                continue
            seen[key] = (lineno, (labels, split, group))
            if check_files and not f.is_file():
                skipped.append((str(f), "file does not exist"))
                continue
            meta = {h: rec[h] for h in extra}
            items.append(Item(str(f), labels, split, group, meta))
    if no_label:
        lines = ", ".join(map(str, no_label[:10])) + (" ..." if len(no_label) > 10 else "")
        raise ParameterError(
            f"manifest {str(path)!r}: {len(no_label)} row(s) with an empty label (line {lines}); every item needs a "
            "label (several tags are separated by ';')"
        )
    if repeated:
        listing = ", ".join(f"line {a} repeats line {b}" for a, b in repeated[:5]) + (" ..." if len(repeated) > 5 else "")
        warnings.warn(
            f"manifest {path}: {len(repeated)} duplicate row(s) left out ({listing})", MirlearnWarning, stacklevel=2
        )
    if skipped:
        listing = "; ".join(p for p, _ in skipped[:5]) + (" ..." if len(skipped) > 5 else "")
        warnings.warn(
            f"manifest {path}: {len(skipped)} file(s) do not exist and are left out: {listing}",
            MirlearnWarning,
            stacklevel=2,
        )
    multilabel = any(len(it.labels) > 1 for it in items)  # tags: some item has several
    classes = sorted({lab for it in items for lab in it.labels})
    return Dataset(items, classes, multilabel, str(path), skipped)


def _manifest_text(path):
    """The manifest's text: UTF-8, with or without a byte-order mark (Excel's "CSV UTF-8");
    any other encoding is a clear error."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ParameterError(
            f"manifest {str(path)!r} is not UTF-8 (byte 0x{data[exc.start]:02x} on line {line}); save it as "
            "UTF-8 (in Excel: 'CSV UTF-8')"
        ) from None


def _wavs(folder):
    return sorted(p for p in Path(folder).rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS)


def _gtzan_genre(home):
    root = home / "gtzan_genre" / "genres" if (home / "gtzan_genre").is_dir() else home / "genres"
    return [Item(str(f), (f.parent.name,)) for f in _wavs(root)]


def _tinysol(home):
    # audio/<Family>/<Instrument>/<technique>/<file>.wav; the label is the instrument
    root = home / "audio"
    return [Item(str(f), (f.relative_to(root).parts[1],)) for f in _wavs(root) if len(f.relative_to(root).parts) >= 3]


def _medley_solos_db(home):
    meta = home / "annotation" / "Medley-solos-DB_metadata.csv"
    if not meta.is_file():
        raise ParameterError(f"{meta} is missing: not a local copy of medley_solos_db")
    split_of = {"training": "train", "validation": "valid", "test": "test"}
    items = []
    with meta.open(newline="") as fh:
        for row in csv.DictReader(fh):
            name = f"Medley-solos-DB_{row['subset']}-{row['instrument_id']}_{row['uuid4']}.wav"
            items.append(Item(str(home / "audio" / name), (row["instrument"],), split_of.get(row["subset"]), row.get("song_id")))
    return items


_IRMAS = {"cel": "cello", "cla": "clarinet", "flu": "flute", "gac": "acoustic guitar", "gel": "electric guitar",
          "org": "organ", "pia": "piano", "sax": "saxophone", "tru": "trumpet", "vio": "violin", "voi": "voice"}


def _irmas(home):
    items = []
    train = home / "IRMAS-TrainingData"
    for f in _wavs(train):
        code = f.parent.name
        if code in _IRMAS:
            items.append(Item(str(f), (_IRMAS[code],), "train"))
    for part in sorted(home.glob("IRMAS-TestingData-Part*")):
        for f in _wavs(part):
            txt = f.with_suffix(".txt")
            if txt.is_file():
                codes = [ln.strip() for ln in txt.read_text().split() if ln.strip()]
                items.append(Item(str(f), tuple(_IRMAS[c] for c in codes if c in _IRMAS), "test"))
    return items


#: mirdata dataset name -> reader of its local layout
_MIRDATA = {"gtzan_genre": _gtzan_genre, "tinysol": _tinysol, "medley_solos_db": _medley_solos_db, "irmas": _irmas}


def from_mirdata(name, data_home):
    """A dataset from a local copy of a dataset that mirdata knows, in mirdata's layout
    under ``data_home``; nothing is downloaded (mirdata itself is not needed).

    Parameters
    ----------
    name : {'gtzan_genre', 'tinysol', 'medley_solos_db', 'irmas'}
    data_home : path-like
        The folder mirdata downloads that dataset into.

    Labels: GTZAN genres; TinySOL instruments; Medley-solos-DB instruments, with its
    subsets as splits and songs as groups; IRMAS predominant instruments (training part,
    single-label) and all annotated instruments (testing parts, multi-label). Entries whose
    audio is missing are left out and reported.
    """
    if name not in _MIRDATA:
        raise ParameterError(f"unknown mirdata dataset {name!r}; supported: {', '.join(_MIRDATA)}")
    home = Path(data_home)
    if not home.is_dir():
        raise ParameterError(f"data_home {str(home)!r} does not exist")
    items = _MIRDATA[name](home)
    skipped = [(it.path, "audio file not in the local copy") for it in items if not Path(it.path).is_file()]
    items = [it for it in items if Path(it.path).is_file() and it.labels]
    if skipped:
        warnings.warn(f"mirdata {name}: {len(skipped)} track(s) missing from {home} are left out", MirlearnWarning, stacklevel=2)
    if not items:
        raise ParameterError(f"no audio of {name} found under {str(home)!r} (expected mirdata's layout)")
    multilabel = any(len(it.labels) != 1 for it in items)
    return Dataset(items, sorted({lab for it in items for lab in it.labels}), multilabel, f"mirdata:{name}:{home}", skipped)
