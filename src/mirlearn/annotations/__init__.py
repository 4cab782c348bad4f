"""Annotations of the frame level: event times, labelled events (drums), beats, f0 series and notes.
Read, write, validate; JAMS in and out; MIDI for notes. Times in seconds throughout."""

from .events import (
    AnnotationError,
    downbeats,
    hz_to_midi,
    midi_to_hz,
    notes_to_f0,
    read_beats,
    read_events,
    read_f0,
    read_labelled_events,
    read_notes,
    validate_beats,
    validate_events,
    write_beats,
    write_events,
    write_f0,
    write_labelled_events,
    write_notes,
)
from .formats import read_jams, read_midi, write_jams, write_midi

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
    "read_jams",
    "write_jams",
    "read_midi",
    "write_midi",
]
