"""The shipped instrument model: ``mirlearn predict instrument NOTE.wav``."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mirlearn.inference import load_bundle
from mirlearn.inference.detect import shipped_model_dir
from mirlearn.inference.predict import family_scores, resolve_model

TIM = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")  # one of the shipped model's training sources: format checks only
NOTES = {"piano": 60, "flute": 79, "trumpet": 66, "violin": 76, "organ": 60, "bass": 40}


def mirlearn(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "mirlearn", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_shipped_bundle_is_data_with_families():
    folder = shipped_model_dir("instrument")
    assert (folder / "CARD.md").is_file()
    assert (folder / "model.pt").stat().st_size < 8e6  # a few MB inside the package
    bundle = load_bundle(folder)  # no trust: weights only
    fam = bundle.extra["families"]
    assert set(fam) == set(bundle.classes) and {"piano", "violin", "voice_oohs"} <= set(bundle.classes)
    assert fam["violin"] == fam["cello"] == "string" and fam["piano"] == "keyboard"
    families, p = family_scores(bundle, np.eye(len(bundle.classes)))
    assert p.sum(axis=1) == pytest.approx(np.ones(len(bundle.classes)))
    assert families[int(np.argmax(p[bundle.classes.index("cello")]))] == "string"


def test_resolve_model_prefers_a_real_run_directory(tmp_path):
    assert resolve_model("instrument") == shipped_model_dir("instrument")
    run = tmp_path / "instrument"
    (run / "model").mkdir(parents=True)
    (run / "model" / "bundle.json").write_text("{}")
    assert resolve_model(run) == run


def test_predict_instrument_help():
    r = mirlearn("predict", "--help")
    assert r.returncode == 0 and "instrument" in r.stdout and "family" in r.stdout


def test_predict_instrument_end_to_end(tmp_path):
    if not TIM.is_file():
        pytest.fail("TimGM6mb.sf2 missing (make test-soundfont)")
    import soundfile as sf
    import tinysoundfont

    from mirlearn.data.render import INSTRUMENTS, _render_one

    synth = tinysoundfont.Synth(samplerate=44100)
    sfid = synth.sfload(str(TIM))
    files = []
    for name, pitch in NOTES.items():
        y = _render_one(synth, sfid, INSTRUMENTS[name], pitch, 100, 1.0, 0.5, 44100)
        files.append(tmp_path / f"{name}.wav")
        sf.write(files[-1], y, 44100)
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF....WAVEfmt junk")
    r = mirlearn("predict", "instrument", *files, bad, "--format", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = {Path(o["path"]).stem: o for o in json.loads(r.stdout)}
    assert "error" in out["broken"]
    bundle = load_bundle(shipped_model_dir("instrument"))
    fam = bundle.extra["families"]
    for name in NOTES:
        probs, fams = out[name]["probabilities"], out[name]["families"]
        assert sum(probs.values()) == pytest.approx(1.0, abs=1e-5) and sum(fams.values()) == pytest.approx(1.0, abs=1e-5)
        for f, p in fams.items():  # a family's probability is the sum over its instruments
            assert p == pytest.approx(sum(v for c, v in probs.items() if fam[c] == f), abs=1e-6)
        assert out[name]["label"] == max(probs, key=probs.get) and out[name]["family"] == max(fams, key=fams.get)
    table = mirlearn("predict", "instrument", files[0], "--top-k", "2", cwd=tmp_path)
    assert table.returncode == 0 and "family:" in table.stdout and "piano" in table.stdout
    assert table.stdout.split(": ", 1)[1].startswith(out[files[0].stem]["label"] + " | ")
    r = mirlearn("predict", "instrument", files[0], bad, "--format", "csv", cwd=tmp_path)
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert r.stdout.startswith("path,label,family,") and rows[0]["label"] == out[files[0].stem]["label"]
    assert rows[0]["family"] == out[files[0].stem]["family"] and rows[1]["label"] == "" and rows[1]["error"]


def test_shipped_model_on_real_recordings_it_never_saw():
    """lmms-common's recordings (Debian; make test-soundfont installs it) are outside the shipped
    model's training and selection (its card: TimGM6mb, freepats, FluidR3_GM, MuseScore_General
    renders; lmms only checks it). Measured 2026-12-06: 10 of 21 instruments, chance about 1 in 14."""
    from mirlearn.data.samples import SOURCES, source_items

    if not Path(SOURCES["lmms"].path).is_dir():
        pytest.fail("lmms-common missing (make test-soundfont)")
    card = (shipped_model_dir("instrument") / "CARD.md").read_text()
    sources = card.split("\n## ")[0]  # the header: network, command, training data
    assert "- Data:" in sources and "lmms" not in sources.lower()  # the card's training sources do not include it
    items = source_items("lmms")
    r = mirlearn("predict", "instrument", *(f for f, *_ in items), "--format", "json")
    assert r.returncode == 0, r.stderr
    out = {o["path"]: o for o in json.loads(r.stdout) if "label" in o}
    right = sum(out[str(f)]["label"] == label for f, label, *_ in items if str(f) in out)
    assert len(out) >= 20 and right >= 9, (right, len(out))
