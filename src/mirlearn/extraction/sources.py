"""Finding the audio files of a batch: folders (walked recursively) and manifests.

A manifest is a ``.csv``/``.tsv`` file with a ``path`` column, or a ``.txt``/``.lst`` file
with one path per line; relative paths are relative to the manifest's folder.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ..audio import AUDIO_EXTENSIONS
from ..errors import ParameterError

__all__ = ["discover", "MANIFEST_EXTENSIONS"]

MANIFEST_EXTENSIONS = (".csv", ".tsv", ".txt", ".lst")


def discover(inputs):
    """Expand files, folders and manifests into a sorted, de-duplicated list of paths.

    Folders contribute every file whose extension is one of
    :data:`mirlearn.audio.AUDIO_EXTENSIONS` (case-insensitive), recursively; audio
    files given by name are taken as they are (whatever their content: a bad one is
    reported when it is read).

    Raises
    ------
    ParameterError
        An input does not exist, or a manifest has no ``path`` column.
    """
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    found = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            # a dangling symbolic link is kept: it is reported with its reason when read
            found += [f for f in sorted(p.rglob("*")) if (f.is_file() or f.is_symlink()) and f.suffix.lower() in AUDIO_EXTENSIONS]
        elif p.is_file() and p.suffix.lower() in MANIFEST_EXTENSIONS:
            found += _read_manifest(p)
        elif p.is_file() or p.suffix.lower() in AUDIO_EXTENSIONS:
            # a missing audio file named explicitly is reported per file, not fatal
            found.append(p)
        else:
            raise ParameterError(
                f"input {str(p)!r} does not exist; give audio files, folders, or manifests "
                f"({', '.join(MANIFEST_EXTENSIONS)})"
            )
    seen, unique = set(), []
    for f in found:
        key = str(f.resolve()) if f.exists() else str(f.absolute())
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def _read_manifest(path):
    base = path.parent
    if path.suffix.lower() in (".txt", ".lst"):
        lines = [ln.strip() for ln in path.read_text().splitlines()]
        return [base / ln for ln in lines if ln and not ln.startswith("#")]
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh, delimiter=delimiter)
        if reader.fieldnames is None or "path" not in reader.fieldnames:
            raise ParameterError(
                f"manifest {str(path)!r} needs a 'path' column; found columns {reader.fieldnames}"
            )
        return [base / row["path"] for row in reader if row["path"]]
