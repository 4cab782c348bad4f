"""The tutorials under docs/tutorials run, end to end, as a reader would run them: in a fresh
process, on the small real data of ../shared/data. Each ends with assertions on what it
teaches, so a tutorial whose numbers stop meaning what its text says fails here."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .conftest import DATA, ROOT, require_data

TUTORIALS = sorted((ROOT / "docs" / "tutorials").glob("*.py"))


def test_there_is_a_tutorial_per_level():
    assert {p.stem for p in TUTORIALS} == {"segment", "note", "frame", "separation"}


@pytest.mark.parametrize("tutorial", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_runs(tutorial, tmp_path):
    require_data(DATA)
    env = dict(os.environ, MIRLEARN_CACHE=str(tmp_path / "cache"), TMPDIR=str(tmp_path))
    r = subprocess.run([sys.executable, str(tutorial)], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    assert "Traceback" not in r.stderr
