"""The command line, end to end: --version, --help of every subcommand, show, features."""

from __future__ import annotations

import subprocess
import sys

import pytest

import mirlearn
from mirlearn.cli.main import build_parser, parse_params

from .conftest import GTZAN, require_data


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "mirlearn", *args], capture_output=True, text=True)


def test_version():
    r = _cli("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"mirlearn {mirlearn.__version__}"


def _subcommands():
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return list(action.choices)


@pytest.mark.parametrize("command", _subcommands())
def test_every_subcommand_has_help(command):
    r = _cli(command, "--help")
    assert r.returncode == 0
    assert f"usage: mirlearn {command}" in r.stdout


def test_nested_subcommand_help():
    r = _cli("datasets", "render-notes", "--help")
    assert r.returncode == 0 and "usage: mirlearn datasets render-notes" in r.stdout


def test_no_command_prints_help():
    r = _cli()
    assert r.returncode == 2 and "extract" in r.stdout


@pytest.mark.parametrize("feature", ["logmel", "cqt", "chroma_stft", "mfcc"])
def test_show_writes_a_png(tmp_path, feature):
    clip = GTZAN / "blues" / "blues.00000.flac"
    require_data(clip)
    out = tmp_path / f"{feature}.png"
    r = _cli("show", str(clip), "--feature", feature, "--duration", "3", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_show_bad_file_is_a_clear_error(tmp_path):
    (tmp_path / "x.wav").write_text("nope")
    r = _cli("show", str(tmp_path / "x.wav"), "--out", str(tmp_path / "f.png"))
    assert r.returncode == 2
    assert "x.wav: not an audio file" in r.stderr and "Traceback" not in r.stderr


def test_features_lists_everything():
    r = _cli("features")
    assert r.returncode == 0
    for name in mirlearn.FEATURES:
        assert f"\n{name}  (= " in "\n" + r.stdout


def test_parse_params():
    assert parse_params(["n_mfcc=13", "fmax=8000.5", "norm=inf", "fmin=none", "htk=true", "window=hamming"]) == {
        "n_mfcc": 13, "fmax": 8000.5, "norm": float("inf"), "fmin": None, "htk": True, "window": "hamming",
    }
    with pytest.raises(mirlearn.ParameterError, match="NAME=VALUE"):
        parse_params(["n_mfcc"])


def test_import_is_light():
    code = "import sys, mirlearn; print(any(m in sys.modules for m in ('torch', 'matplotlib', 'lightning')))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.strip() == "False"
