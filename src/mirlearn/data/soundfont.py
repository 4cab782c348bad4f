"""Which recorded samples a SoundFont plays for a note.

A General MIDI SoundFont maps each (program, key, velocity) to one or more recorded
samples through its preset and instrument zones; neighbouring keys and velocity layers
often play the same sample, transposed or at another level. Rendered notes that share a
sample are near-duplicates, and must share a group in any split. :func:`note_samples`
reads the zones from the file's ``pdta`` chunk (SF2 and SF3 have the same one).

References
----------
SoundFont Technical Specification 2.04, E-mu Systems, 2006 (sections 7.2-7.10).
"""

from __future__ import annotations

import struct
from functools import lru_cache
from pathlib import Path

from ..errors import ParameterError

__all__ = ["note_samples", "SoundFontError", "require_tinysoundfont"]

_KEY_RANGE, _VEL_RANGE, _INSTRUMENT, _SAMPLE_ID = 43, 44, 41, 53


class SoundFontError(ParameterError):
    """A SoundFont file whose structure cannot be read."""


def require_tinysoundfont(what):
    """The ``tinysoundfont`` module, or a :class:`ParameterError` saying that ``what`` needs it."""
    try:
        import tinysoundfont
    except ImportError as exc:
        raise ParameterError(f"{what} needs tinysoundfont: pip install --no-deps tinysoundfont "
                             "(its pyaudio dependency is only for playback)") from exc
    return tinysoundfont


def _chunks(data, start, end):
    """(id, payload start, payload end) of the RIFF sub-chunks in ``data[start:end]``."""
    pos = start
    while pos + 8 <= end:
        cid = data[pos : pos + 4]
        size = struct.unpack_from("<I", data, pos + 4)[0]
        yield cid, pos + 8, pos + 8 + size
        pos += 8 + size + (size & 1)


def _read_pdta(path):
    data = Path(path).read_bytes()
    if data[:4] != b"RIFF" or data[8:12] != b"sfbk":
        raise SoundFontError(f"{path}: not a SoundFont (no RIFF sfbk header)")
    for cid, a, b in _chunks(data, 12, len(data)):
        if cid == b"LIST" and data[a : a + 4] == b"pdta":
            return {sub.decode("latin-1"): data[s:e] for sub, s, e in _chunks(data, a + 4, b)}
    raise SoundFontError(f"{path}: no pdta chunk")


def _records(blob, fmt):
    size = struct.calcsize(fmt)
    return [struct.unpack_from(fmt, blob, i) for i in range(0, len(blob) - size + 1, size)]


def _zones(bags, gens, first, last):
    """Generator lists of the zones ``first .. last - 1``: ``[{oper: amount bytes}]``."""
    zones = []
    for z in range(first, last):
        g0, g1 = bags[z][0], bags[z + 1][0]
        zones.append({gens[g][0]: gens[g][1] for g in range(g0, g1)})
    return zones


def _range(amount):
    lo, hi = amount & 0xFF, amount >> 8
    return lo, hi


def _matches(zone, defaults, key, vel):
    klo, khi = _range(zone[_KEY_RANGE]) if _KEY_RANGE in zone else defaults[0]
    vlo, vhi = _range(zone[_VEL_RANGE]) if _VEL_RANGE in zone else defaults[1]
    return klo <= key <= khi and vlo <= vel <= vhi


def _split_global(zones, terminal):
    """A leading zone without the terminal generator is the global zone: its ranges are
    the defaults of the others."""
    full = ((0, 127), (0, 127))
    if zones and terminal not in zones[0]:
        g = zones[0]
        d = (_range(g[_KEY_RANGE]) if _KEY_RANGE in g else (0, 127), _range(g[_VEL_RANGE]) if _VEL_RANGE in g else (0, 127))
        return d, [z for z in zones[1:] if terminal in z]
    return full, [z for z in zones if terminal in z]


@lru_cache(maxsize=8)
def _tables(path):
    p = _read_pdta(path)
    try:
        phdr = _records(p["phdr"], "<20sHHHIII")
        pbag = _records(p["pbag"], "<HH")
        pgen = _records(p["pgen"], "<HH")
        inst = _records(p["inst"], "<20sH")
        ibag = _records(p["ibag"], "<HH")
        igen = _records(p["igen"], "<HH")
    except KeyError as exc:
        raise SoundFontError(f"{path}: pdta lacks the {exc.args[0]} chunk") from None
    presets = {}
    for i in range(len(phdr) - 1):  # the last record is the terminal 'EOP'
        _, program, bank, bag0 = phdr[i][:4]
        presets[(bank, program)] = _split_global(_zones(pbag, pgen, bag0, phdr[i + 1][3]), _INSTRUMENT)
    instruments = [_split_global(_zones(ibag, igen, inst[i][1], inst[i + 1][1]), _SAMPLE_ID) for i in range(len(inst) - 1)]
    return presets, instruments


def note_samples(path, program, key, velocity, *, bank=0):
    """The sample indices a SoundFont plays for one note.

    Parameters
    ----------
    path : path-like
        An SF2 or SF3 file.
    program : int
        General MIDI program, 0-based.
    key, velocity : int
        MIDI key and velocity (0-127).
    bank : int

    Returns
    -------
    frozenset of int
        Indices into the file's sample headers; empty when the preset has no zone there.

    Raises
    ------
    SoundFontError
        The file's structure cannot be read, or it has no such preset.
    """
    presets, instruments = _tables(str(Path(path).resolve()))
    if (bank, program) not in presets:
        raise SoundFontError(f"{path}: no preset for bank {bank}, program {program}")
    pdefaults, pzones = presets[(bank, program)]
    out = set()
    for pz in pzones:
        if not _matches(pz, pdefaults, key, velocity):
            continue
        i = pz[_INSTRUMENT]
        if i >= len(instruments):
            raise SoundFontError(f"{path}: preset zone names instrument {i}, which does not exist")
        idefaults, izones = instruments[i]
        out.update(iz[_SAMPLE_ID] for iz in izones if _matches(iz, idefaults, key, velocity))
    return frozenset(out)
