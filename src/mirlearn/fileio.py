"""Atomic file writes: a file is written whole under a temporary name in its folder, then
renamed into place, so a reader (or a run killed mid-write) sees the old file or the new
one, never a half-written one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import socket
import tempfile
from pathlib import Path

__all__ = ["writable_dir", "atomic_path", "owner_tag", "remove_leftovers", "atomic_write_text", "atomic_write_bytes", "umask_mode", "display_path", "write_csv", "read_csv", "unique_stems"]


def writable_dir(path):
    """Create the folder ``path`` if needed and tell whether files can be written in it:
    ``(True, None)`` or ``(False, reason)``. A real write is tried (``os.access`` does not
    see every read-only case)."""
    path = Path(path)
    try:
        if path.exists() and not path.is_dir():
            return False, "it exists and is not a folder"
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path, prefix=f".write-probe-{owner_tag()}")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return False, exc.strerror or str(exc)
    return True, None


def unique_stems(paths):
    """One output name per input path: its stem, or ``stem-2``, ``stem-3``... when an earlier
    path took that name (``a/x.wav``, ``b/x.wav``, ``c/x-2.wav`` give ``x``, ``x-2``, ``x-2-2``),
    so that outputs named after their inputs never overwrite each other."""
    taken, out = set(), []
    for p in paths:
        stem = Path(p).stem
        name, k = stem, 1
        while name in taken:
            k += 1
            name = f"{stem}-{k}"
        taken.add(name)
        out.append(name)
    return out


def write_csv(path, columns):
    """Write ``{name: sequence}`` as a CSV table, atomically. File names go out as their
    bytes (``surrogateescape``), so a name that is not UTF-8 reads back identical with
    :func:`read_csv`; numbers are written exactly (``repr``)."""
    import csv

    names = list(columns)
    rows = zip(*(columns[n] for n in names))
    with atomic_path(path) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8", errors="surrogateescape") as fh:
            w = csv.writer(fh)
            w.writerow(names)
            w.writerows(rows)


def read_csv(path):
    """``{name: [str]}`` of a CSV table written by :func:`write_csv`."""
    import csv

    with open(path, newline="", encoding="utf-8", errors="surrogateescape") as fh:
        reader = csv.reader(fh)
        names = next(reader, [])
        cols = {n: [] for n in names}
        for row in reader:
            for n, v in zip(names, row):
                cols[n].append(v)
    return cols


def display_path(path):
    """Valid UTF-8 text naming ``path``: its bytes decoded as UTF-8, any undecodable byte
    written as ``\\xNN``. File names are bytes on POSIX; Python keeps the undecodable ones
    as surrogate escapes (``os.fsdecode``), which cannot go into UTF-8 text (Parquet
    strings, HTML). :func:`os.fsencode` of the original string gives the exact bytes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def umask_mode(mode=0o666):
    """``mode`` less the process's umask: what ``open()`` or ``mkdir()`` would give
    (temporary files and folders are created private, then get this mode)."""
    current = os.umask(0)
    os.umask(current)
    return mode & ~current


_OWNER = re.compile(r"~([0-9a-f]{8})~([0-9]+)~")


def _host_hash():
    return hashlib.sha1(socket.gethostname().encode("utf-8", "surrogateescape")).hexdigest()[:8]


def owner_tag():
    """``~<host hash>~<pid>~``: put in the name of a temporary file or folder, it tells
    :func:`remove_leftovers` which process wrote it, so the leftovers of a killed process
    can be told from the work in progress of a live one (on this or another machine)."""
    return f"~{_host_hash()}~{os.getpid()}~"


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    except (OverflowError, ValueError):  # no process has such a number: not a name we wrote, keep it
        return True
    try:  # a killed process not yet reaped (a zombie) is dead too
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):  # no /proc (macOS): trust the signal
        return True


def remove_leftovers(folder):
    """Delete the temporary files and folders in ``folder`` (names starting with ``.``
    and carrying an :func:`owner_tag`) whose writer was a process of this machine that
    no longer runs: what a killed run left half-written. Those of live processes, of other
    machines (a shared filesystem) and untagged names are kept. Returns the names removed."""
    folder = Path(folder)
    host, removed = _host_hash(), []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for e in entries:
        m = _OWNER.search(e.name) if e.name.startswith(".") else None
        if m is None or m.group(1) != host or _alive(int(m.group(2))):
            continue
        try:
            if e.is_dir(follow_symlinks=False):
                shutil.rmtree(e.path)
            else:
                os.unlink(e.path)
        except FileNotFoundError:  # another run swept it first
            continue
        removed.append(e.name)
    return removed


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; on normal exit it is renamed to ``path``,
    on an exception it is removed.

    Examples
    --------
    >>> with atomic_path("table.parquet") as tmp:  # doctest: +SKIP
    ...     df.to_parquet(tmp)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{owner_tag()}", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, umask_mode(0o666))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def atomic_write_bytes(path, data):
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())


def atomic_write_text(path, text):
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))
