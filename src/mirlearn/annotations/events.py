"""Frame-level annotations as plain text: event times, labelled events, f0 series, notes.

Units, once for the whole module: times and durations are in **seconds**, frequencies in
**Hz** (0 means unvoiced), pitches are MIDI note numbers (fractional allowed). Events are
1-d arrays sorted in time; labelled events are ``(times, labels)``; an f0 series is
``(times, frequencies)``; notes are ``(intervals (n, 2), pitches (n,))`` with
``intervals[:, 0]`` the onsets and ``intervals[:, 1]`` the offsets.

File formats, all readable by :mod:`mir_eval.io` where it has a reader:

* events (``.onsets``): one time per line;
* labelled events (``.drums``, MDB Drums' ``_class.txt``): ``time<TAB>label`` per line;
* beats (``.beats``, madmom's and MDB Drums'): ``time`` or ``time<TAB>position`` per line,
  the position in the bar counting from 1 (downbeats are the beats at position 1);
* f0 series (``.f0.csv``): ``time,frequency`` per line, with an optional header;
* notes: ``onset<TAB>offset<TAB>pitch`` per line, or madmom's ``.notes`` layout
  ``onset<TAB>pitch<TAB>duration[<TAB>velocity]`` (``layout='madmom'``).

Lines starting with ``#`` are comments; columns may be separated by tabs, spaces or commas.
An empty file is legal and gives empty arrays. Every reader validates what it read
(:func:`validate_events`): negative or unsorted times, times that look like milliseconds or
frame indices, unknown labels raise :class:`AnnotationError` with the file, the line and the
likely fix.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..errors import ParameterError
from ..fileio import atomic_write_text

__all__ = [
    "AnnotationError",
    "validate_events",
    "read_events",
    "write_events",
    "read_labelled_events",
    "write_labelled_events",
    "validate_beats",
    "read_beats",
    "write_beats",
    "downbeats",
    "read_f0",
    "write_f0",
    "read_notes",
    "write_notes",
    "notes_to_f0",
    "hz_to_midi",
    "midi_to_hz",
]

_SPLIT = re.compile(r"[\t ,;]+")

# Longer than any recording anyone annotates by hand; a larger "time" is almost surely in
# milliseconds (mir_eval warns at 30000 s; we stop earlier, two hours).
MAX_SECONDS = 7200.0


class AnnotationError(ParameterError):
    """An annotation file or array breaks a rule (units, order, columns, labels).

    The message names the file (or array), the rule, the value received and the likely fix.
    """


def hz_to_midi(frequencies):
    f = np.asarray(frequencies, dtype=float)
    with np.errstate(divide="ignore"):
        return 12.0 * (np.log2(f) - np.log2(440.0)) + 69.0


def midi_to_hz(notes):
    return 440.0 * 2.0 ** ((np.asarray(notes, dtype=float) - 69.0) / 12.0)


def validate_events(times, *, name="events", duration=None, allow_unsorted=False, sort_hint=True):
    """Check event times the way :func:`mir_eval.util.validate_events` does, with errors that
    suggest the fix.

    Parameters
    ----------
    times : np.ndarray [shape=(n,)]
        Event times in seconds.
    name : str
        What to call the events in messages (a file name, usually).
    duration : float or None
        Length of the audio in seconds, when known: times far beyond it are reported with the
        unit they were probably written in.
    allow_unsorted : bool
        Labelled events (drums) may list simultaneous hits in any order but must still be
        non-decreasing; f0 series and events must be non-decreasing.

    Returns
    -------
    times : np.ndarray [shape=(n,), dtype=float64]

    Raises
    ------
    AnnotationError
        Not 1-d, not finite, negative, decreasing, or looking like milliseconds or frames.
    """
    t = np.asarray(times, dtype=np.float64)
    if t.ndim != 1:
        raise AnnotationError(f"{name}: event times must be a 1-d array of seconds, got shape {t.shape}")
    if t.size == 0:
        return t
    if not np.all(np.isfinite(t)):
        bad = int(np.flatnonzero(~np.isfinite(t))[0])
        raise AnnotationError(f"{name}: event {bad} is {t[bad]!r}; times must be finite numbers of seconds")
    if t.min() < 0:
        bad = int(np.argmin(t))
        raise AnnotationError(f"{name}: event {bad} is at {t[bad]:g} s; times must be >= 0 (is there an offset to remove?)")
    if not allow_unsorted and np.any(np.diff(t) < 0):
        bad = int(np.flatnonzero(np.diff(t) < 0)[0]) + 1
        raise AnnotationError(
            f"{name}: times are not sorted (event {bad} at {t[bad]:g} s comes after {t[bad - 1]:g} s)"
            + ("; sort them, e.g. with `sort -g`" if sort_hint else "")
        )
    _check_units(t, name=name, duration=duration)
    return t


def _check_units(t, *, name, duration):
    top = float(t.max())
    integral = bool(np.all(t == np.round(t)))
    if duration is not None:
        if top <= duration + 1.0:
            return
        if integral:
            raise AnnotationError(
                f"{name}: the last event is at {top:g} s but the audio lasts {duration:.2f} s; whole numbers like these "
                f"look like frame indices or milliseconds: divide them by the frame rate (e.g. 100 fps) or by 1000"
            )
        if top / 1000.0 <= duration + 1.0:
            raise AnnotationError(
                f"{name}: the last event is at {top:g} s but the audio lasts {duration:.2f} s; the times look like "
                f"milliseconds: divide them by 1000"
            )
        raise AnnotationError(
            f"{name}: the last event is at {top:g} s but the audio lasts {duration:.2f} s: is this the annotation of "
            f"another file, or are the times in another unit than seconds?"
        )
    if top > MAX_SECONDS:
        raise AnnotationError(
            f"{name}: an event at {top:g} s (over {MAX_SECONDS / 3600:g} hours); the times look like milliseconds: "
            f"divide them by 1000"
        )
    if integral and t.size >= 3 and top >= 100 and len(np.unique(t)) == t.size:
        raise AnnotationError(
            f"{name}: every time is a whole number (up to {top:g}); they look like frame indices or milliseconds, "
            f"not seconds: divide them by the frame rate (e.g. 100 fps) or by 1000"
        )


def _rows(path, *, min_cols, max_cols, what):
    """Non-comment rows of a text table, split into columns."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise AnnotationError(f"{path}: annotation file not found") from None
    except UnicodeDecodeError:
        raise AnnotationError(f"{path}: not a text file; expected {what}") from None
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        cells = [c for c in _SPLIT.split(line) if c]
        if not (min_cols <= len(cells) <= max_cols):
            raise AnnotationError(
                f"{path}, line {n}: {len(cells)} column(s) ({line!r}); expected {what}"
            )
        rows.append((n, cells))
    return path, rows


def _float(path, n, cell, what):
    try:
        return float(cell)
    except ValueError:
        raise AnnotationError(f"{path}, line {n}: {cell!r} is not a number ({what})") from None


def _header(rows, path, what):
    """Drop one header line (a first row whose first cell is not a number)."""
    if rows:
        try:
            float(rows[0][1][0])
        except ValueError:
            return rows[1:]
    return rows


def read_events(path, *, duration=None):
    """Event times (seconds) from a file with one time per line (extra columns are an error).

    Returns
    -------
    times : np.ndarray [shape=(n,)]
    """
    path, rows = _rows(path, min_cols=1, max_cols=1, what="one event time in seconds per line")
    t = np.array([_float(path, n, c[0], "an event time in seconds") for n, c in rows], dtype=np.float64)
    return validate_events(t, name=str(path), duration=duration)


def write_events(path, times):
    """Write event times, one per line, as :func:`mir_eval.io.load_events` reads them."""
    t = validate_events(times, name=str(path))
    atomic_write_text(path, "".join(f"{x:.6f}\n" for x in t))


def read_labelled_events(path, *, labels=None, duration=None):
    """``(times, labels)`` from ``time<TAB>label`` lines (MDB Drums' class files).

    Parameters
    ----------
    labels : collection of str or None
        The labels allowed; another label raises, naming the close matches.

    Returns
    -------
    times : np.ndarray [shape=(n,)]
    labels : np.ndarray [shape=(n,), dtype=object]
    """
    path, rows = _rows(path, min_cols=2, max_cols=2, what="'time<TAB>label' per line")
    rows = _header(rows, path, "")
    t = np.array([_float(path, n, c[0], "an event time in seconds") for n, c in rows], dtype=np.float64)
    lab = np.array([c[1] for _, c in rows], dtype=object)
    if labels is not None:
        allowed = set(labels)
        unknown = sorted(set(lab) - allowed)
        if unknown:
            import difflib

            first = next(n for n, c in rows if c[1] == unknown[0])
            near = difflib.get_close_matches(unknown[0].upper(), sorted(allowed), n=1, cutoff=0.5)
            raise AnnotationError(
                f"{path}, line {first}: unknown label(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(sorted(allowed))}"
                + (f" (did you mean {near[0]!r}?)" if near else "")
                + "; map or drop the others before training"
            )
    validate_events(t, name=str(path), duration=duration)
    return t, lab


def write_labelled_events(path, times, labels):
    t = validate_events(times, name=str(path))
    if len(labels) != len(t):
        raise ParameterError(f"{path}: {len(t)} times but {len(labels)} labels")
    atomic_write_text(path, "".join(f"{x:.6f}\t{lab}\n" for x, lab in zip(t, labels)))


#: Longer bars than this are not a meter anyone annotates; a larger position is a typo.
MAX_BEATS_PER_BAR = 16


def validate_beats(times, positions=None, *, name="beats", duration=None):
    """Check beat times (as :func:`validate_events`) and their positions in the bar.

    Positions are whole numbers from 1; each beat's position is the previous one plus 1, or 1
    where a new bar starts (a first, incomplete bar may start anywhere). Meters may change.

    Parameters
    ----------
    times : np.ndarray [shape=(n,)]
    positions : np.ndarray [shape=(n,)] or None
        Position of each beat in its bar; None (or all NaN) when the file gives times only.
    name : str
    duration : float or None

    Returns
    -------
    times : np.ndarray [shape=(n,), dtype=float64]
    positions : np.ndarray [shape=(n,), dtype=float64]
        NaN everywhere when unknown.

    Raises
    ------
    AnnotationError
        Times as :func:`validate_events`, two beats at one time, positions that are not whole
        numbers from 1 or that do not cycle.
    """
    t = validate_events(times, name=name, duration=duration)
    if np.any(np.diff(t) == 0):
        bad = int(np.flatnonzero(np.diff(t) == 0)[0]) + 1
        raise AnnotationError(f"{name}: beats {bad - 1} and {bad} are both at {t[bad]:g} s; each beat needs its own time")
    if positions is None:
        return t, np.full(t.shape, np.nan)
    p = np.asarray(positions, dtype=np.float64).reshape(-1)
    if p.shape != t.shape:
        raise AnnotationError(f"{name}: {len(t)} beat times but {len(p)} positions")
    if np.all(np.isnan(p)):
        return t, p
    if np.any(np.isnan(p)):
        raise AnnotationError(f"{name}: some beats have a position in the bar and some do not; give all or none")
    bad = np.flatnonzero((p != np.round(p)) | (p < 1) | (p > MAX_BEATS_PER_BAR))
    if len(bad):
        k = int(bad[0])
        raise AnnotationError(
            f"{name}: beat {k} (at {t[k]:g} s) has position {p[k]:g}; positions are whole numbers from 1 (the "
            f"downbeat) to {MAX_BEATS_PER_BAR}: is the second column something else, e.g. a label or a bar number?")
    step = np.flatnonzero((p[1:] != p[:-1] + 1) & (p[1:] != 1)) + 1
    if len(step):
        k = int(step[0])
        raise AnnotationError(
            f"{name}: beat {k} (at {t[k]:g} s) has position {p[k]:g} after {p[k - 1]:g}; positions count up by 1 "
            f"and restart at 1 with each bar (is a beat missing, or are two lines swapped?)")
    return t, p


def read_beats(path, *, duration=None):
    """``(times, positions)`` from a beat file: ``time`` or ``time<TAB>position`` per line
    (madmom's and MDB Drums' ``.beats``), validated by :func:`validate_beats`.

    Returns
    -------
    times : np.ndarray [shape=(n,)]
    positions : np.ndarray [shape=(n,)]
        NaN everywhere for a file of times only.
    """
    path, rows = _rows(path, min_cols=1, max_cols=2, what="'time' or 'time<TAB>position in the bar' per line")
    rows = _header(rows, path, "")
    widths = {len(c) for _, c in rows}
    if len(widths) > 1:
        n = next(n for n, c in rows if len(c) != len(rows[0][1]))
        raise AnnotationError(f"{path}, line {n}: some lines have a position in the bar and some do not; give all or none")
    t = np.array([_float(path, n, c[0], "a beat time in seconds") for n, c in rows], dtype=np.float64)
    p = None
    if widths == {2}:
        p = np.array([_float(path, n, c[1], "a position in the bar (1 = downbeat)") for n, c in rows], dtype=np.float64)
    return validate_beats(t, p, name=str(path), duration=duration)


def write_beats(path, times, positions=None):
    """Write ``time<TAB>position`` lines (``time`` lines when the positions are unknown), as
    madmom writes ``.beats`` files and :func:`mir_eval.io.load_events` reads the first column."""
    t, p = validate_beats(times, positions, name=str(path))
    if np.all(np.isnan(p)):
        atomic_write_text(path, "".join(f"{x:.6f}\n" for x in t))
    else:
        atomic_write_text(path, "".join(f"{x:.6f}\t{int(q)}\n" for x, q in zip(t, p)))


def downbeats(times, positions):
    """The beats at position 1 (the first beat of each bar).

    Raises
    ------
    AnnotationError
        The positions are unknown (a file of beat times only has no downbeats).
    """
    t = np.asarray(times, dtype=float)
    p = np.asarray(positions, dtype=float)
    if len(p) and np.all(np.isnan(p)):
        raise AnnotationError("these beats have no positions in the bar, so no downbeats; "
                              "annotate 'time<TAB>position' with position 1 on each downbeat")
    return t[p == 1]


def read_f0(path, *, duration=None):
    """``(times, frequencies)`` of an f0 series (``time,frequency`` per line, 0 = unvoiced;
    an optional header line). Negative frequencies are read as unvoiced, as mir_eval does
    for its 'unvoiced with an estimate' convention."""
    path, rows = _rows(path, min_cols=2, max_cols=2, what="'time,frequency' per line (Hz, 0 = unvoiced)")
    rows = _header(rows, path, "")
    t = np.array([_float(path, n, c[0], "a time in seconds") for n, c in rows], dtype=np.float64)
    f = np.array([_float(path, n, c[1], "a frequency in Hz") for n, c in rows], dtype=np.float64)
    validate_events(t, name=str(path), duration=duration)
    if f.size and np.nanmax(f) > 20000:
        raise AnnotationError(f"{path}: a frequency of {np.nanmax(f):g} Hz; expected Hz (are these cents or MIDI×100?)")
    return t, np.where(f > 0, f, 0.0)


def write_f0(path, times, frequencies):
    t = validate_events(times, name=str(path))
    f = np.asarray(frequencies, dtype=float)
    if f.shape != t.shape:
        raise ParameterError(f"{path}: {len(t)} times but {len(f)} frequencies")
    atomic_write_text(path, "time,frequency\n" + "".join(f"{x:.6f},{y:.3f}\n" for x, y in zip(t, f)))


def read_notes(path, *, layout="auto", duration=None):
    """Notes as ``(intervals, pitches)``: intervals ``(n, 2)`` in seconds, pitches in MIDI.

    Parameters
    ----------
    layout : {'auto', 'onset,offset,pitch', 'madmom'}
        ``'madmom'`` is ``onset pitch duration [velocity]`` (madmom's ``.notes``); ``'auto'``
        takes four columns as madmom's and three as onset, offset, pitch.
    """
    if layout not in ("auto", "onset,offset,pitch", "madmom"):
        raise ParameterError(f"layout must be 'auto', 'onset,offset,pitch' or 'madmom', got {layout!r}")
    path, rows = _rows(path, min_cols=3, max_cols=4, what="'onset offset pitch' or madmom's 'onset pitch duration velocity'")
    vals = np.array([[_float(path, n, x, "a number") for x in c[:3]] for n, c in rows], dtype=np.float64).reshape(-1, 3)
    madmom = layout == "madmom" or (layout == "auto" and rows and len(rows[0][1]) == 4)
    if madmom:
        onsets, pitches, durs = vals[:, 0], vals[:, 1], vals[:, 2]
        offsets = onsets + durs
    else:
        onsets, offsets, pitches = vals[:, 0], vals[:, 1], vals[:, 2]
    order = np.argsort(onsets, kind="stable")
    onsets, offsets, pitches = onsets[order], offsets[order], pitches[order]
    validate_events(onsets, name=str(path), duration=duration)
    if np.any(offsets < onsets):
        bad = int(np.flatnonzero(offsets < onsets)[0])
        raise AnnotationError(f"{path}: note at {onsets[bad]:g} s ends before it starts ({offsets[bad]:g} s); "
                              "is the third column a duration (layout='madmom')?")
    if pitches.size and (pitches.min() < 0 or pitches.max() > 127):
        raise AnnotationError(f"{path}: pitch {pitches.max():g} is outside MIDI 0-127; pitches must be MIDI note numbers")
    return np.stack([onsets, offsets], axis=1), pitches


def write_notes(path, intervals, pitches):
    iv = np.asarray(intervals, dtype=float).reshape(-1, 2)
    p = np.asarray(pitches, dtype=float)
    validate_events(iv[:, 0], name=str(path))
    atomic_write_text(path, "".join(f"{a:.6f}\t{b:.6f}\t{c:g}\n" for (a, b), c in zip(iv, p)))


def notes_to_f0(intervals, pitches, *, times):
    """The f0 (Hz) of monophonic notes sampled at ``times``; 0 outside every note. Where notes
    overlap, the later onset wins."""
    times = np.asarray(times, dtype=float)
    f0 = np.zeros(times.shape)
    for (a, b), p in zip(np.asarray(intervals, dtype=float).reshape(-1, 2), pitches):
        f0[(times >= a) & (times < b)] = midi_to_hz(p)
    return f0
