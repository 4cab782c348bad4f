"""Frame-level data: targets at a frame rate, and audio paired with annotation files.

Times are in seconds and frame rates in frames per second (``fps``), as in madmom: frame
``i`` is centred on ``i / fps`` seconds. Targets are ``(n_frames,)`` for one event class and
``(n_classes, n_frames)`` for several, time last.

Paired data comes as

* a folder of audio files with annotation files of the same stem, anywhere below it
  (``audio/x.flac`` with ``annotations/x.onsets``). MDB Drums' naming
  (``MusicDelta_Punk_Drum.wav`` with ``MusicDelta_Punk_class.txt``) is matched too: when no
  annotation has the audio's exact stem, the audio's stem loses its last ``_part``, and then
  the annotations' stems too; two equally good matches are an error;
* a manifest (``.csv``/``.tsv``) with columns ``path,annotation[,split][,group][,fold]``,
  relative paths resolved against the manifest's folder.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import AudioError, ParameterError
from ..tasks import FRAME_TASKS, get_task

__all__ = [
    "frame_targets",
    "labelled_frame_targets",
    "f0_frame_targets",
    "PairedItem",
    "load_paired",
    "write_paired_manifest",
    "TASKS",
    "read_reference",
    "targets_for",
    "prepare_files",
    "PreparedFile",
]

#: The frame tasks (:data:`mirlearn.tasks.FRAME_TASKS`).
TASKS = tuple(FRAME_TASKS)
AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif", ".au"}
#: The annotation files each task looks for, in order of preference.


def _check_fps(fps, n_frames):
    if not (np.isfinite(fps) and fps > 0):
        raise ParameterError(f"fps must be a positive frame rate in frames per second, got {fps!r}")
    if int(n_frames) < 0:
        raise ParameterError(f"n_frames must be >= 0, got {n_frames!r}")


def frame_targets(events, *, fps, n_frames, widen=0, widen_weight=0.5):
    """Event times → frame targets.

    Parameters
    ----------
    events : np.ndarray [shape=(n,)]
        Event times in seconds.
    fps : float > 0
        Frame rate; event ``t`` sets frame ``round(t * fps)``.
    n_frames : int
        Length of the target; events beyond it are dropped.
    widen : int >= 0
        Also mark the ``widen`` frames on each side of an event ...
    widen_weight : float in (0, 1]
        ... with this value (an event's own frame is always 1). Eyben et al. 2010 and
        Schlüter & Böck 2014 train onset networks on targets widened this way.

    Returns
    -------
    target : np.ndarray [shape=(n_frames,), dtype=float32]
    """
    _check_fps(fps, n_frames)
    if widen < 0 or int(widen) != widen:
        raise ParameterError(f"widen must be a whole number of frames >= 0, got {widen!r}")
    if not 0 < widen_weight <= 1:
        raise ParameterError(f"widen_weight must be in (0, 1], got {widen_weight!r}")
    y = np.zeros(int(n_frames), dtype=np.float32)
    idx = np.round(np.asarray(events, dtype=float) * fps).astype(int)
    idx = idx[(idx >= 0) & (idx < n_frames)]
    for d in range(1, int(widen) + 1):
        for j in (idx - d, idx + d):
            j = j[(j >= 0) & (j < n_frames)]
            y[j] = np.maximum(y[j], widen_weight)
    y[idx] = 1.0
    return y


def labelled_frame_targets(times, labels, *, classes, fps, n_frames, widen=0, widen_weight=0.5):
    """Labelled events → ``(len(classes), n_frames)`` targets; labels not in ``classes`` are
    ignored (e.g. cymbals for a KD/SD/HH model)."""
    labels = np.asarray(labels, dtype=object)
    times = np.asarray(times, dtype=float)
    return np.stack(
        [frame_targets(times[labels == c], fps=fps, n_frames=n_frames, widen=widen, widen_weight=widen_weight) for c in classes]
    ) if len(classes) else np.zeros((0, int(n_frames)), np.float32)


def f0_frame_targets(times, frequencies, *, fps, n_frames):
    """An f0 series → the f0 (Hz) at each frame centre; 0 = unvoiced.

    A frame takes the annotation at the nearest annotated time, and is unvoiced when that is
    more than one annotation step (or one frame) away: gaps in a series stay unvoiced.
    """
    _check_fps(fps, n_frames)
    t = np.asarray(times, dtype=float)
    f = np.asarray(frequencies, dtype=float)
    out = np.zeros(int(n_frames), dtype=np.float32)
    if t.size == 0 or n_frames == 0:
        return out
    centres = np.arange(int(n_frames)) / fps
    j = np.clip(np.searchsorted(t, centres), 1, max(len(t) - 1, 1)) if len(t) > 1 else np.zeros(int(n_frames), int)
    if len(t) > 1:
        left = j - 1
        j = np.where(np.abs(centres - t[left]) <= np.abs(t[j] - centres), left, j)
        step = max(float(np.median(np.diff(t))), 1.0 / fps)
    else:
        step = 1.0 / fps
    near = np.abs(t[j] - centres) <= step
    out[near] = f[j][near]
    return out


@dataclass
class PairedItem:
    """One audio file with its annotation file."""

    path: str
    annotation: str
    split: str | None = None
    group: str | None = None
    fold: int | None = None
    meta: dict = field(default_factory=dict)


def _strip_last(stem):
    head, sep, _ = stem.rpartition("_")
    return head if sep else None


def _annotation_stem(path, suffixes):
    name = path.name
    for s in suffixes:
        if name.lower().endswith(s):
            return name[: -len(s)]
    return None


def load_paired(path, *, task):
    """Audio files paired with their annotations, from a folder or a manifest.

    Returns
    -------
    items : list of PairedItem
        Sorted by path. Audio with no annotation raises (naming the file and the
        annotation names looked for); so does an annotation claimed by two audio files.
    """
    get_task(task)
    path = Path(path)
    if not path.exists():
        raise ParameterError(f"--data {path}: no such file or folder")
    if path.is_file():
        return _from_manifest(path)
    return _from_folder(path, task)


def _from_folder(root, task):
    suffixes = get_task(task).annotation_suffixes
    audio, ann = [], {}
    for p in sorted(root.rglob("*")):
        if not p.is_file() or p.name.startswith("."):
            continue
        if p.suffix.lower() in AUDIO_SUFFIXES:
            audio.append(p)
            continue
        stem = _annotation_stem(p, suffixes)
        if stem is not None:
            ann.setdefault(stem, []).append(p)
    if not audio:
        raise ParameterError(f"--data {root}: no audio files ({', '.join(sorted(AUDIO_SUFFIXES))}) in the folder")
    # prefer the first suffix of the task's list when a stem has several annotation files
    for stem, files in ann.items():
        files.sort(key=lambda p: next(i for i, s in enumerate(suffixes) if p.name.lower().endswith(s)))
    stripped = {}
    for stem, files in ann.items():
        s = _strip_last(stem)
        if s is not None:
            stripped.setdefault(s, []).append(files[0])
    items, missing, used = [], [], {}
    for a in audio:
        s = _strip_last(a.stem)
        files = ann.get(a.stem) or (ann.get(s) if s is not None else None)
        if not files:
            files = stripped.get(s) if s is not None else None
            if files and len(files) > 1:
                raise ParameterError(f"{a}: several annotations match ({', '.join(map(str, files))}); use a manifest path,annotation")
        if not files:
            missing.append(a)
            continue
        f = files[0]
        if f in used:
            raise ParameterError(f"{f} is claimed by two audio files ({used[f]} and {a}); use a manifest path,annotation")
        used[f] = a
        items.append(PairedItem(str(a), str(f)))
    if missing:
        shown = ", ".join(str(m) for m in missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise ParameterError(
            f"--data {root}: no annotation for {len(missing)} audio file(s): {shown}; a {task} annotation is a file "
            f"of the same stem ending in {' or '.join(suffixes)}; or list pairs in a manifest path,annotation"
        )
    return items


def write_paired_manifest(path, rows):
    """Write ``rows`` ``(path, annotation, split, group)`` as a manifest :func:`load_paired`
    reads (paths relative to the manifest's folder, or absolute); returns ``path``."""
    from ..fileio import atomic_path

    path = Path(path)
    with atomic_path(path) as tmp:
        with open(tmp, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["path", "annotation", "split", "group"])
            w.writerows(rows)
    return path


def _from_manifest(path):
    text = path.read_text(encoding="utf-8-sig")
    dialect = "excel-tab" if path.suffix.lower() == ".tsv" or ("\t" in text.splitlines()[0] if text else False) else "excel"
    reader = csv.DictReader(text.splitlines(), dialect=dialect)
    cols = [c.strip() for c in (reader.fieldnames or [])]
    need = {"path", "annotation"}
    if not need <= set(cols):
        raise ParameterError(
            f"{path}: a frame-level manifest needs the columns path,annotation[,split][,group][,fold]; it has {', '.join(cols) or 'none'}"
        )
    known = {"path", "annotation", "split", "group", "fold"}
    base = path.parent
    items = []
    for n, row in enumerate(reader, 2):
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        if not row.get("path"):
            continue
        a = Path(row["path"])
        b = Path(row["annotation"])
        a = a if a.is_absolute() else base / a
        b = b if b.is_absolute() else base / b
        for p, what in ((a, "audio"), (b, "annotation")):
            if not p.exists():
                raise ParameterError(f"{path}, line {n}: the {what} file {p} does not exist")
        split = row.get("split") or None
        if split is not None and split not in ("train", "valid", "test"):
            raise ParameterError(f"{path}, line {n}: split must be train, valid or test, got {split!r}")
        fold = row.get("fold")
        items.append(PairedItem(str(a), str(b), split, row.get("group") or None,
                                int(fold) if fold not in (None, "") else None,
                                {k: v for k, v in row.items() if k not in known}))
    if not items:
        raise ParameterError(f"{path}: the manifest lists no files")
    return items


class PreparedFile:
    """An item with its input features ``X`` ``(n_channels, n_bands, n_frames)``, targets
    ``Y`` ``(n_outputs, n_frames)``, reference annotation and duration (s)."""

    __slots__ = ("item", "X", "Y", "reference", "duration")

    def __init__(self, item, X, Y, reference, duration):
        self.item, self.X, self.Y, self.reference, self.duration = item, X, Y, reference, duration


def read_reference(task, annotation, *, classes=None, duration=None):
    """An item's annotation in the task's form (:meth:`mirlearn.tasks.FrameTask.reference`):
    event times (onsets), ``(times, labels)`` (drums), ``(times, f0)`` (pitch; notes files are
    sampled at 100 fps)."""
    return get_task(task).reference(annotation, duration=duration)


def targets_for(task, reference, *, cfg, n_frames):
    """The task's ``(n_outputs, n_frames)`` training targets of a reference."""
    return get_task(task).targets(reference, cfg=cfg, n_frames=n_frames)


def prepare_files(task, items, cfg, *, echo=print, progress=False):
    """Load audio, features, annotations and targets of ``items``; unreadable files and bad
    annotations are reported and left out. Returns ``(files, skipped)``."""
    from ..audio import load
    from ..features.frames import frame_features

    files, skipped = [], []
    sr = cfg["features"]["sr"]
    it = items
    if progress:
        from tqdm import tqdm

        it = tqdm(items, desc="features", unit="file")
    for item in it:
        try:
            y, _ = load(item.path, sr=sr)
            duration = len(y) / sr
            ref = read_reference(task, item.annotation, classes=cfg["classes"], duration=duration)
            X = frame_features(y, cfg["features"])
            Y = targets_for(task, ref, cfg=cfg, n_frames=X.shape[-1])
        except (AudioError, ParameterError) as exc:
            skipped.append((item.path, str(exc)))
            echo(f"skipped {item.path}: {exc}")
            continue
        files.append(PreparedFile(item, X, Y, ref, duration))
    return files, skipped
