"""Real one-shot recordings as note datasets (mirlearn.data.samples), merged manifests, and the
default drum kits that other kit packages must not change."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mirlearn.errors import MirlearnWarning, ParameterError

SR = 22050


def _rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _burst(sr, *, lead=0.3, seconds=1.0, hz=440.0, total=2.5):
    """``lead`` seconds of silence, then a decaying tone, in ``total`` seconds."""
    y = np.zeros(int(total * sr), np.float32)
    t = np.arange(int(seconds * sr)) / sr
    y[int(lead * sr): int(lead * sr) + len(t)] = 0.5 * np.sin(2 * np.pi * hz * t) * np.exp(-3 * t)
    return y


@pytest.mark.parametrize("name, number", [("A0", 21), ("C4", 60), ("D#4", 63), ("Bb3", 58), ("C8", 108), ("c-1", 0), ("F#1", 30)])
def test_note_number(name, number):
    from mirlearn.data.samples import note_number

    assert note_number(name) == number


@pytest.mark.parametrize("bad", ["H2", "A", "C##4", "v10", ""])
def test_note_number_refuses_what_is_not_a_note(bad):
    from mirlearn.data.samples import note_number

    with pytest.raises(ParameterError, match="not a note name"):
        note_number(bad)


def test_cut_note_starts_at_the_onset_pads_and_fades():
    from mirlearn.data.samples import cut_note

    y = _burst(SR, lead=0.3, seconds=2.0, total=2.5)
    out = cut_note(y, SR, duration=1.5)
    assert out.shape == (int(1.5 * SR),) and out.dtype == np.float32
    onset = int(np.argmax(np.abs(out) > 1e-3))
    assert abs(onset / SR - 0.01) < 0.002  # 10 ms before the tone starts
    assert np.abs(out[-10:]).max() < 1e-4 < np.abs(out[int(1.3 * SR): int(1.35 * SR)]).max()  # faded, not cut
    short = cut_note(_burst(SR, lead=0.3)[: int(0.8 * SR)], SR, duration=1.5)
    assert short.shape == (int(1.5 * SR),) and np.all(short[int(0.6 * SR):] == 0)  # padded with silence
    assert cut_note(np.zeros(SR, np.float32), SR) is None


def _salamander(folder):
    folder.mkdir(parents=True)
    for name, hz in [("A3v1", 220.0), ("A3v8", 220.0), ("C4v1", 261.6), ("D#4v1", 311.1)]:
        sf.write(folder / f"{name}.flac", _burst(44100, hz=hz), 44100)
    (folder / "F#4v1.ogg").write_bytes(b"OggS not really")  # corrupt
    sf.write(folder / "click.wav", _burst(44100), 44100)  # not a note name: not one of the source's files
    return folder


def test_salamander_notes_are_piano_grouped_by_key(tmp_path):
    from mirlearn.data.samples import import_notes

    src = _salamander(tmp_path / "audio")
    with pytest.warns(MirlearnWarning, match=r"F#4v1\.ogg"):
        r = import_notes("salamander", tmp_path / "out", path=src, split="train", augment=1, progress=False)
    assert [Path(p).name for p, _ in r["skipped"]] == ["F#4v1.ogg"]
    rows = _rows(r["instrument"])
    assert len(rows) == 2 * 4 and r["n_notes"] == 8  # 4 readable notes and one augmented copy each
    assert {x["label"] for x in rows} == {"piano"} and {x["source"] for x in rows} == {"salamander"}
    group = {Path(x["path"]).name: x["group"] for x in rows}
    assert group["piano_p057_A3v1.wav"] == group["piano_p057_A3v8.wav"] == group["piano_p057_A3v1_aug0.wav"]
    assert group["piano_p057_A3v1.wav"] != group["piano_p060_C4v1.wav"] != group["piano_p063_Ds4v1.wav"]
    assert {x["label"] for x in _rows(r["family"])} == {"keyboard"}
    for x in rows:
        y, sr = sf.read(tmp_path / "out" / x["path"])
        assert sr == SR and len(y) == int(1.5 * SR) and x["split"] == "train"


def test_test_notes_are_never_augmented(tmp_path):
    from mirlearn.data.samples import import_notes

    src = _salamander(tmp_path / "audio")
    with pytest.warns(MirlearnWarning):
        r = import_notes("salamander", tmp_path / "out", path=src, split="test", augment=2, progress=False)
    rows = _rows(r["instrument"])
    assert len(rows) == 4 and not any("_aug" in x["path"] for x in rows) and {x["split"] for x in rows} == {"test"}


def test_lmms_files_are_labelled_by_name(tmp_path):
    from mirlearn.data.samples import import_notes

    src = tmp_path / "instruments"
    src.mkdir()
    for stem in ["cello01", "e_piano_accord01", "piano02", "steel_guitar_heavy_distorted01", "harpsichord01", "bassslap01"]:
        sf.write(src / f"{stem}.ogg", _burst(44100), 44100)
    sf.write(src / "violin01.ogg", np.zeros(44100, np.float32), 44100)  # silent
    with pytest.warns(MirlearnWarning, match="violin01.ogg: silent"):
        r = import_notes("lmms", tmp_path / "out", path=src, split="test", progress=False)
    got = {Path(x["path"]).stem: x["label"] for x in _rows(r["instrument"])}
    assert got == {"cello01": "cello", "e_piano_accord01": "piano", "piano02": "piano",
                   "steel_guitar_heavy_distorted01": "guitar", "bassslap01": "bass"}  # harpsichord: not one of ours
    fam = {Path(x["path"]).stem: x["label"] for x in _rows(r["family"])}
    assert fam["cello01"] == "string" and fam["bassslap01"] == "bass" and fam["piano02"] == "keyboard"


def test_guitar_strums_group_the_takes_of_a_chord(tmp_path):
    from mirlearn.data.samples import source_items

    src = tmp_path / "kit"
    src.mkdir()
    for stem in ["Amajor_00", "Amajor_DOWN_01", "Amajor_UP_03", "Aminor_00", "Dsus4_UP_00"]:
        sf.write(src / f"{stem}.flac", _burst(44100), 44100)
    groups = {Path(f).stem: g for f, inst, pitch, g in source_items("guitar-strums", src)}
    assert groups["Amajor_00"] == groups["Amajor_DOWN_01"] == groups["Amajor_UP_03"] == "guitar-strums/Amajor"
    assert groups["Aminor_00"] == "guitar-strums/Aminor" and groups["Dsus4_UP_00"] == "guitar-strums/Dsus4"


def test_source_errors_are_clear(tmp_path):
    from mirlearn.data.samples import import_notes, source_items

    with pytest.raises(ParameterError, match="unknown sample source 'nsynth'"):
        source_items("nsynth")
    with pytest.raises(ParameterError, match="no default folder"):
        source_items("salamander")
    with pytest.raises(ParameterError, match="no folder"):
        source_items("lmms", tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ParameterError, match="no labelled recordings"):
        source_items("salamander", tmp_path / "empty")
    src = _salamander(tmp_path / "audio")
    with pytest.raises(ParameterError, match="split must be"):
        import_notes("salamander", tmp_path / "out", path=src, split="dev")
    with pytest.raises(ParameterError, match="unknown"):
        import_notes("salamander", tmp_path / "out", path=src, augment=1, augment_effects=["chorus"])


def _render_like(out):
    """A manifest as render-notes writes it (groups and folders start with the source)."""
    (out / "FluidR3_GM" / "piano").mkdir(parents=True)
    rows = []
    for p in (60, 63):
        f = out / "FluidR3_GM" / "piano" / f"piano_p{p:03d}_v064.wav"
        sf.write(f, _burst(SR), SR)
        rows.append([f.relative_to(out), "piano", "train", f"FluidR3_GM/piano/{p}-{p}", "FluidR3_GM"])
    with (out / "notes-instrument.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "label", "split", "group", "source"])
        w.writerows(rows)
    return out / "notes-instrument.csv"


def test_merged_manifest_is_leave_one_source_out_ready(tmp_path):
    from mirlearn.data.datasets import load_dataset
    from mirlearn.data.samples import import_notes, merge_manifests

    rendered = _render_like(tmp_path / "rendered")
    with pytest.warns(MirlearnWarning):
        real = import_notes("salamander", tmp_path / "real", path=_salamander(tmp_path / "audio"), progress=False)["instrument"]
    merged = merge_manifests([rendered, real], tmp_path / "exp" / "all.csv", splits=["", "test"])
    rows = _rows(merged)
    assert len(rows) == 2 + 4
    assert {x["split"] for x in rows if x["source"] == "salamander"} == {"test"}
    assert {x["split"] for x in rows if x["source"] == "FluidR3_GM"} == {"train"}
    assert all(x["group"].startswith(x["source"] + "/") for x in rows)
    ds = load_dataset(merged, group_by="source")  # every path resolves from the merged manifest's folder
    assert len(ds) == 6 and sorted({it.group for it in ds.items}) == ["FluidR3_GM", "salamander"]
    with pytest.raises(ParameterError, match="listed twice"):
        merge_manifests([real, real], tmp_path / "twice.csv")
    with pytest.raises(ParameterError, match="one split per manifest"):
        merge_manifests([rendered, real], tmp_path / "x.csv", splits=["test"])
    bad = tmp_path / "bad.csv"
    bad.write_text("path,label\nx.wav,piano\n")
    with pytest.raises(ParameterError, match="missing group, source, split"):
        merge_manifests([bad], tmp_path / "y.csv")


def test_import_notes_cli(tmp_path, capsys):
    from mirlearn.cli.main import main

    assert main(["datasets", "import-notes", "--list"]) == 0
    listed = capsys.readouterr().out
    for name, licence in [("lmms", "GPL-2+"), ("sonic-pi", "CC0"), ("salamander", "CC BY 3.0"), ("guitar-strums", "CC BY 3.0")]:
        assert any(line.startswith(name) and licence in line for line in listed.splitlines()), name
    with pytest.warns(MirlearnWarning):
        assert main(["datasets", "import-notes", "--source", "salamander", "--path", str(_salamander(tmp_path / "a")),
                     "--out", str(tmp_path / "o"), "--no-progress"]) == 0
    assert "4 notes in" in capsys.readouterr().out
    assert main(["datasets", "import-notes", "--source", "salamander", "--out", str(tmp_path / "o")]) == 2
    assert "no default folder" in capsys.readouterr().err
    assert main(["datasets", "merge-notes", str(tmp_path / "o" / "notes-instrument.csv"), "--out", str(tmp_path / "m.csv"),
                 "--split", "test"]) == 0
    assert {x["split"] for x in _rows(tmp_path / "m.csv")} == {"test"}


def _kit(folder, names):
    folder.mkdir(parents=True)
    insts = "".join(f"<instrument><name>{n}</name><layer><filename>{k}.wav</filename></layer></instrument>" for k, n in enumerate(names))
    (folder / "drumkit.xml").write_text(f"<drumkit_info><name>{folder.name}</name><instrumentList>{insts}</instrumentList></drumkit_info>")
    for k in range(len(names)):
        sf.write(folder / f"{k}.wav", _burst(44100, lead=0.0, seconds=0.2, total=0.3), 44100)


def test_default_kits_ignore_kits_other_packages_install(tmp_path, monkeypatch):
    """hydrogen-drumkits installs 15 kits into hydrogen-data's folder: the renderers' default stays
    hydrogen-data's kits, so installing it changes no default rendering (it did: a synthetic song's
    bass share and a 17 ms sample's mean failed two tests once it was installed)."""
    from mirlearn.data import drumkits

    _kit(tmp_path / "GMRockKit", ["Kick", "Snare", "Hat Closed"])
    _kit(tmp_path / "BJA_Pacific", ["Kick", "Snare", "Hi-Hat"])
    monkeypatch.setattr(drumkits, "HYDROGEN_KITS", tmp_path)
    assert [k.name for k in drumkits.find_kits(tmp_path)] == ["BJA_Pacific", "GMRockKit"]
    assert [k.name for k in drumkits.default_kits()] == ["GMRockKit"]
    (tmp_path / "GMRockKit" / "drumkit.xml").unlink()
    with pytest.raises(ParameterError, match="none of the default drum kits"):
        drumkits.default_kits()


def test_leave_one_real_source_out_keeps_the_test_source_out_of_training(tmp_path):
    """bench/notes_real.py: the held-out source's notes are all test, never augmented, and no
    training (or validation, which is carved from training) note comes from it."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    import notes_real

    rendered = _render_like(tmp_path / "rendered")
    with pytest.warns(MirlearnWarning):
        real = import_notes_for_test(tmp_path)
    man, n_test, n_train = notes_real.experiment({"rendered": str(rendered), "salamander": str(real)}, "salamander",
                                                 tmp_path / "exp.csv")
    rows = _rows(man)
    test = [x for x in rows if x["split"] == "test"]
    assert n_test == len(test) == 3  # A3v4, C4v8, D#4v16: A3v5 is not one of the four velocity layers kept
    assert all(x["source"] == "salamander" and "_aug" not in x["path"] for x in test)
    assert all(x["source"] != "salamander" for x in rows if x["split"] != "test") and n_train == 2


def import_notes_for_test(tmp_path):
    from mirlearn.data.samples import import_notes

    src = tmp_path / "audio"
    src.mkdir()
    for name in ["A3v4", "A3v5", "C4v8", "D#4v16"]:  # v5 is not one of the bench's four layers
        sf.write(src / f"{name}.flac", _burst(44100), 44100)
    sf.write(src / "F#4v1.wav", np.zeros(100, np.float32), 44100)  # silent: skipped with a warning
    return import_notes("salamander", tmp_path / "real", path=src, augment=1, progress=False)["instrument"]
