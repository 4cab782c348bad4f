"""JAMS in and out for every annotation kind, and Standard MIDI files for notes.

Times are in seconds. JAMS (Humphrey et al., ISMIR 2014) is JSON; it is written and read
here without the ``jams`` package, in the namespaces that package defines:

* events → ``onset`` (value ``null``);
* labelled events → ``tag_open`` (value: the label, e.g. ``KD``);
* f0 series → ``pitch_contour`` (value ``{index, frequency, voiced}``);
* notes → ``note_midi`` (value: the MIDI pitch, ``duration``: offset − onset).

MIDI: format 0, one track, 480 ticks per quarter note at 120 BPM (960 ticks per second),
so times round to about 1 ms.
"""

from __future__ import annotations

import json
import struct

import numpy as np

from .._version import __version__
from ..fileio import atomic_write_bytes, atomic_write_text
from .events import AnnotationError, validate_beats, validate_events

__all__ = ["write_jams", "read_jams", "write_midi", "read_midi"]

KINDS = {"events": "onset", "labelled_events": "tag_open", "beats": "beat", "f0": "pitch_contour", "notes": "note_midi"}


def _observations(kind, data):
    if kind == "events":
        return [{"time": float(t), "duration": 0.0, "value": None, "confidence": None} for t in validate_events(data)]
    if kind == "labelled_events":
        times, labels = data
        return [{"time": float(t), "duration": 0.0, "value": str(lab), "confidence": None} for t, lab in zip(times, labels)]
    if kind == "beats":
        times, positions = validate_beats(*data)
        return [{"time": float(t), "duration": 0.0, "value": None if np.isnan(p) else int(p), "confidence": None}
                for t, p in zip(times, positions)]
    if kind == "f0":
        times, freqs = data
        return [
            {"time": float(t), "duration": 0.0, "value": {"index": 0, "frequency": float(f), "voiced": bool(f > 0)}, "confidence": None}
            for t, f in zip(times, freqs)
        ]
    if kind == "notes":
        intervals, pitches = data
        return [
            {"time": float(a), "duration": float(b - a), "value": float(p), "confidence": None}
            for (a, b), p in zip(np.asarray(intervals, dtype=float).reshape(-1, 2), pitches)
        ]
    raise AnnotationError(f"unknown annotation kind {kind!r}; one of {', '.join(KINDS)}")


def write_jams(path, kind, data, *, duration=None, title=""):
    """Write one annotation as a JAMS file.

    Parameters
    ----------
    kind : {'events', 'labelled_events', 'beats', 'f0', 'notes'}
    data : events ``times``; ``(times, labels)``; beats ``(times, positions)`` (namespace
        ``beat``; positions NaN when unknown); ``(times, frequencies)``; ``(intervals, pitches)``
    duration : float or None
        Length of the audio in seconds (JAMS' ``file_metadata.duration``).
    """
    doc = {
        "file_metadata": {"title": title, "artist": "", "release": "", "duration": duration,
                          "identifiers": {}, "jams_version": "0.3.4"},
        "annotations": [{
            "namespace": KINDS.get(kind, kind),
            "annotation_metadata": {"annotation_tools": f"mirlearn {__version__}", "data_source": "mirlearn",
                                    "curator": {"name": "", "email": ""}, "annotator": {}, "version": "",
                                    "corpus": "", "annotation_rules": "", "validation": ""},
            "data": _observations(kind, data),
            "sandbox": {},
            "time": 0,
            "duration": duration,
        }],
        "sandbox": {},
    }
    atomic_write_text(path, json.dumps(doc, indent=1) + "\n")


def read_jams(path, kind):
    """Read the first annotation of ``kind``'s namespace from a JAMS file (see :func:`write_jams`)."""
    ns = KINDS.get(kind)
    if ns is None:
        raise AnnotationError(f"unknown annotation kind {kind!r}; one of {', '.join(KINDS)}")
    try:
        doc = json.loads(open(path, encoding="utf-8").read())
    except (OSError, json.JSONDecodeError) as exc:
        raise AnnotationError(f"{path}: not a readable JAMS (JSON) file: {exc}") from None
    anns = [a for a in doc.get("annotations", []) if a.get("namespace") == ns]
    if not anns:
        found = sorted({a.get("namespace") for a in doc.get("annotations", [])})
        raise AnnotationError(f"{path}: no {ns!r} annotation (it has: {', '.join(map(str, found)) or 'none'})")
    obs = sorted(anns[0]["data"], key=lambda o: o["time"])
    t = np.array([o["time"] for o in obs], dtype=float)
    validate_events(t, name=str(path))
    if kind == "events":
        return t
    if kind == "labelled_events":
        return t, np.array([o["value"] for o in obs], dtype=object)
    if kind == "beats":
        p = np.array([np.nan if o.get("value") is None else o["value"] for o in obs], dtype=float)
        return validate_beats(t, p, name=str(path))
    if kind == "f0":
        f = np.array([o["value"]["frequency"] if o["value"].get("voiced", True) else 0.0 for o in obs], dtype=float)
        return t, np.maximum(f, 0.0)
    d = np.array([o["duration"] for o in obs], dtype=float)
    return np.stack([t, t + d], axis=1).reshape(-1, 2), np.array([o["value"] for o in obs], dtype=float)


_TPQ = 480
_TEMPO = 500_000  # microseconds per quarter note: 120 BPM
_TICKS_PER_S = _TPQ * 1_000_000 / _TEMPO


def _varlen(n):
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    return bytes(reversed(out))


def write_midi(path, intervals, pitches, *, velocities=None, program=0, channel=0):
    """Write notes as a format-0 Standard MIDI file (``channel`` 0-15, 9 for General MIDI
    drums; ``program`` 0-127).

    Pitches are rounded to the nearest MIDI note; velocities default to 100.
    """
    iv = np.asarray(intervals, dtype=float).reshape(-1, 2)
    validate_events(np.sort(iv[:, 0]), name=str(path))
    p = np.clip(np.round(np.asarray(pitches, dtype=float)), 0, 127).astype(int)
    v = np.full(len(p), 100) if velocities is None else np.clip(np.asarray(velocities, dtype=int), 1, 127)
    if not 0 <= int(channel) <= 15:
        raise AnnotationError(f"channel must be 0-15 (9 is General MIDI drums), got {channel!r}")
    ch = int(channel)
    events = []  # (tick, order, bytes): note-offs before note-ons at the same tick
    for (a, b), pitch, vel in zip(iv, p, v):
        on = int(round(a * _TICKS_PER_S))
        off = max(int(round(b * _TICKS_PER_S)), on + 1)
        events.append((on, 1, bytes([0x90 | ch, pitch, vel])))
        events.append((off, 0, bytes([0x80 | ch, pitch, 0])))
    events.sort(key=lambda e: (e[0], e[1]))
    track = bytearray(b"\x00\xff\x51\x03" + _TEMPO.to_bytes(3, "big"))
    track += b"\x00" + bytes([0xC0 | ch, int(program) & 0x7F])
    now = 0
    for tick, _, msg in events:
        track += _varlen(tick - now) + msg
        now = tick
    track += b"\x00\xff\x2f\x00"
    data = b"MThd" + struct.pack(">IHHH", 6, 0, 1, _TPQ) + b"MTrk" + struct.pack(">I", len(track)) + bytes(track)
    atomic_write_bytes(path, data)


def read_midi(path):
    """Notes ``(intervals, pitches, velocities)`` of a Standard MIDI file (all tracks and
    channels; tempo changes honoured). Drum-channel notes are included."""
    data = open(path, "rb").read()
    if data[:4] != b"MThd":
        raise AnnotationError(f"{path}: not a Standard MIDI file (no MThd header)")
    _, fmt, ntrk, division = struct.unpack(">IHHH", data[4:14])
    if division & 0x8000:
        raise AnnotationError(f"{path}: SMPTE time division is not supported")
    pos, tracks = 14, []
    for _ in range(ntrk):
        if data[pos:pos + 4] != b"MTrk":
            raise AnnotationError(f"{path}: malformed track header at byte {pos}")
        (length,) = struct.unpack(">I", data[pos + 4:pos + 8])
        tracks.append(data[pos + 8:pos + 8 + length])
        pos += 8 + length
    raw, tempos = [], [(0, _TEMPO)]
    try:
        for tr in tracks:
            _read_track(tr, raw, tempos)
    except IndexError:
        raise AnnotationError(f"{path}: a MIDI track ends in the middle of an event (truncated file?)") from None
    tempos.sort()

    def seconds(tick):
        s, last_tick, tempo = 0.0, 0, _TEMPO
        for t, tp in tempos:
            if t >= tick:
                break
            s += (t - last_tick) * tempo / 1e6 / division
            last_tick, tempo = t, tp
        return s + (tick - last_tick) * tempo / 1e6 / division

    open_notes, notes = {}, []
    for tick, ch, pitch, vel in sorted(raw, key=lambda r: r[0]):
        key = (ch, pitch)
        if vel > 0:
            open_notes.setdefault(key, []).append((tick, vel))
        elif open_notes.get(key):
            on, v = open_notes[key].pop(0)
            notes.append((seconds(on), seconds(tick), pitch, v))
    notes.sort()
    arr = np.array(notes, dtype=float).reshape(-1, 4)
    return arr[:, :2], arr[:, 2], arr[:, 3].astype(int)


def _varlen_at(tr, i):
    """A MIDI variable-length quantity at ``tr[i]``: ``(value, next index)``."""
    value = 0
    while True:
        b = tr[i]
        i += 1
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            return value, i


def _read_track(tr, raw, tempos):
    """Append a track's note events ``(tick, channel, pitch, velocity)`` to ``raw`` and its
    tempo changes ``(tick, microseconds per quarter)`` to ``tempos``."""
    i, tick, status = 0, 0, 0
    while i < len(tr):
        delta, i = _varlen_at(tr, i)
        tick += delta
        b = tr[i]
        if b == 0xFF:  # meta event: type, length, data
            typ = tr[i + 1]
            ln, i = _varlen_at(tr, i + 2)
            if typ == 0x51:
                tempos.append((tick, int.from_bytes(tr[i:i + 3], "big")))
            i += ln
            continue
        if b in (0xF0, 0xF7):  # system exclusive: length, data
            ln, i = _varlen_at(tr, i + 1)
            i += ln
            continue
        if b & 0x80:
            status, i = b, i + 1
        kind = status & 0xF0
        n = 1 if kind in (0xC0, 0xD0) else 2
        args = tr[i:i + n]
        i += n
        if kind in (0x80, 0x90):
            raw.append((tick, status & 0x0F, args[0], args[1] if kind == 0x90 else 0))
