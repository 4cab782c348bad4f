"""Datasets, manifests and splits."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from mirlearn import MirlearnWarning, ParameterError
from mirlearn.data import assign_splits, kfold_splits, load_dataset
from mirlearn.data.datasets import Dataset, Item

SR = 8000


def _touch_audio(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.zeros(800, np.float32), SR)


def test_folder_per_class(tmp_path):
    for c in ("a", "b"):
        for i in range(3):
            _touch_audio(tmp_path / c / f"{i}.wav")
    (tmp_path / "a" / "notes.txt").write_text("ignored")
    ds = load_dataset(tmp_path)
    assert ds.classes == ["a", "b"] and len(ds) == 6 and not ds.multilabel
    assert ds.targets().tolist() == [0, 0, 0, 1, 1, 1]


def test_manifest_columns_aliases_and_multilabel(tmp_path):
    for i in range(3):
        _touch_audio(tmp_path / f"{i}.wav")
    m = tmp_path / "m.tsv"
    m.write_text("path\tlabel\tsplit\tartist\n0.wav\trock;guitar\ttrain\tx\n1.wav\tguitar\ttest\ty\n2.wav\trock\tvalid\ty\n")
    ds = load_dataset(m)
    assert ds.multilabel and ds.classes == ["guitar", "rock"]
    assert [it.split for it in ds.items] == ["train", "test", "valid"]
    assert [it.group for it in ds.items] == ["x", "y", "y"]
    assert ds.targets().tolist() == [[1, 1], [1, 0], [0, 1]]


@pytest.mark.parametrize(
    "text,match",
    [
        ("path,lable\n0.wav,a\n", r"column 'lable' is not one mirlearn reads; did you mean 'label'\?"),
        ("file_name,label\n0.wav,a\n", r"did you mean 'filename'"),
        ("path,genre\n0.wav,a\n", r"missing column\(s\) \['label'\]"),
        ("path\n0.wav\n", r"missing column\(s\) \['label'\]"),
        ("", "is empty"),
        ("path,label,split\n0.wav,a,training\n", "split 'training' is not one of train, valid, test"),
        ("path,label\n0.wav,a,extra\n", "line 2: 3 field"),
    ],
)
def test_manifest_errors(tmp_path, text, match):
    _touch_audio(tmp_path / "0.wav")
    m = tmp_path / "m.csv"
    m.write_text(text)
    with pytest.raises(ParameterError, match=match):
        load_dataset(m)


def test_missing_files_are_reported_and_left_out(tmp_path):
    _touch_audio(tmp_path / "0.wav")
    m = tmp_path / "m.csv"
    m.write_text("path,label\n0.wav,a\nmissing.wav,b\n")
    with pytest.warns(MirlearnWarning, match=r"1 file\(s\) do not exist.*missing\.wav"):
        ds = load_dataset(m)
    assert len(ds) == 1 and ds.skipped[0][1] == "file does not exist"


def test_not_a_dataset(tmp_path):
    with pytest.raises(ParameterError, match="does not exist"):
        load_dataset(tmp_path / "nope")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(ParameterError, match="neither a folder nor"):
        load_dataset(tmp_path / "x.json")


def _ds(n_per_class=10, n_classes=3, groups=None):
    items = []
    for c in range(n_classes):
        for i in range(n_per_class):
            g = None if groups is None else f"g{c}_{i // groups}"
            items.append(Item(f"{c}_{i}.wav", (f"c{c}",), None, g))
    return Dataset(items, [f"c{c}" for c in range(n_classes)])


def test_single_example_class_is_a_clear_error():
    ds = Dataset([Item("a.wav", ("x",)), Item("b.wav", ("x",)), Item("c.wav", ("y",))], ["x", "y"])
    with pytest.raises(ParameterError, match=r"fewer than 2 examples: 'y' \(1\)"):
        ds.check_trainable()


def test_holdout_is_stratified_seeded_and_complete():
    ds = _ds()
    s = assign_splits(ds, test_size=0.2, valid_size=0.1, seed=3)
    assert set(s) == {"train", "valid", "test"}
    for c in range(3):
        part = s[c * 10 : (c + 1) * 10]
        assert (part == "test").sum() == 2
    assert (assign_splits(ds, seed=3) == s).all()
    assert not (assign_splits(ds, seed=4) == s).all()


def test_groups_never_straddle():
    ds = _ds(n_per_class=12, groups=3)  # 4 groups of 3 per class
    s = assign_splits(ds, test_size=0.25, valid_size=0.0, seed=0)
    by_group = {}
    for it, part in zip(ds.items, s):
        by_group.setdefault(it.group, set()).add(part)
    assert all(len(v) == 1 for v in by_group.values())
    fold = kfold_splits(ds, n_folds=4, seed=0)
    by_group = {}
    for it, f in zip(ds.items, fold):
        by_group.setdefault(it.group, set()).add(f)
    assert all(len(v) == 1 for v in by_group.values())
    assert sorted(set(fold)) == [0, 1, 2, 3]


def test_manifest_split_wins():
    items = [Item(f"{i}.wav", ("a" if i % 2 else "b",), "test" if i < 2 else None) for i in range(6)]
    s = assign_splits(Dataset(items, ["a", "b"]))
    assert s.tolist() == ["test", "test", "train", "train", "train", "train"]


def test_kfold_needs_enough_examples():
    with pytest.raises(ParameterError, match="5-fold cross-validation needs at least 5 examples per class"):
        kfold_splits(_ds(n_per_class=3), n_folds=5)


def _wav(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.zeros(400, np.float32), SR)


def test_mirdata_layouts(tmp_path):
    from mirlearn.data.datasets import from_mirdata

    # gtzan_genre
    for g in ("blues", "jazz"):
        _wav(tmp_path / "g" / "gtzan_genre" / "genres" / g / f"{g}.00000.wav")
    ds = load_dataset(f"mirdata:gtzan_genre:{tmp_path / 'g'}")
    assert ds.classes == ["blues", "jazz"]
    # tinysol
    _wav(tmp_path / "t" / "audio" / "Brass" / "Trumpet_C" / "ordinario" / "TpC-ord-C4-ff-N-N.wav")
    _wav(tmp_path / "t" / "audio" / "Strings" / "Violin" / "ordinario" / "Vn-ord-A4-pp-1c-N.wav")
    assert from_mirdata("tinysol", tmp_path / "t").classes == ["Trumpet_C", "Violin"]
    # medley_solos_db: splits and groups from its metadata; a missing file is reported
    m = tmp_path / "m"
    (m / "annotation").mkdir(parents=True)
    (m / "annotation" / "Medley-solos-DB_metadata.csv").write_text(
        "subset,instrument,instrument_id,song_id,uuid4\n"
        "training,flute,3,12,aaa\ntest,piano,4,13,bbb\nvalidation,flute,3,14,ccc\n"
    )
    _wav(m / "audio" / "Medley-solos-DB_training-3_aaa.wav")
    _wav(m / "audio" / "Medley-solos-DB_test-4_bbb.wav")
    with pytest.warns(MirlearnWarning, match="1 track"):
        ds = from_mirdata("medley_solos_db", m)
    assert [(it.label, it.split, it.group) for it in ds.items] == [("flute", "train", "12"), ("piano", "test", "13")]
    # irmas: single-label training part, multi-label testing parts
    i = tmp_path / "i"
    _wav(i / "IRMAS-TrainingData" / "cel" / "a.wav")
    _wav(i / "IRMAS-TestingData-Part1" / "b.wav")
    (i / "IRMAS-TestingData-Part1" / "b.txt").write_text("voi\t\ngel\n")
    ds = from_mirdata("irmas", i)
    assert ds.multilabel and [it.labels for it in ds.items] == [("cello",), ("voice", "electric guitar")]
    with pytest.raises(ParameterError, match="unknown mirdata dataset"):
        from_mirdata("nsynth", tmp_path)
    with pytest.raises(ParameterError, match="no audio of gtzan_genre"):
        from_mirdata("gtzan_genre", tmp_path / "t")
    with pytest.raises(ParameterError, match="expected mirdata:NAME:DATA_HOME"):
        load_dataset("mirdata:gtzan_genre")


# -- manifests validated once, on load (issue #7: findings 2, 3, 12) --------------------
def test_an_empty_label_is_an_error_not_tagging(tmp_path):
    for i in range(3):
        _touch_audio(tmp_path / f"{i}.wav")
    m = tmp_path / "m.csv"
    m.write_text("path,label\n0.wav,rock\n1.wav,\n2.wav,jazz\n")
    with pytest.raises(ParameterError, match=r"1 row\(s\) with an empty label \(line 3\)"):
        load_dataset(m)
    m.write_text("path,label\n0.wav,rock\n1.wav,jazz\n2.wav,rock;live\n")
    assert load_dataset(m).multilabel  # several tags make tagging
    m.write_text("path,label\n0.wav,rock\n1.wav,jazz\n")
    assert not load_dataset(m).multilabel


def test_duplicate_rows_are_dropped_with_a_warning_and_conflicts_are_errors(tmp_path):
    for i in range(2):
        _touch_audio(tmp_path / f"{i}.wav")
    m = tmp_path / "m.csv"
    m.write_text(f"path,label,split\n0.wav,a,train\n1.wav,b,test\n./0.wav,a,train\n{tmp_path / '1.wav'},b,test\n")
    with pytest.warns(UserWarning, match=r"2 duplicate row\(s\) left out \(line 4 repeats line 2, line 5 repeats line 3\)"):
        ds = load_dataset(m)
    assert len(ds) == 2
    m.write_text("path,label,split\n0.wav,a,train\n1.wav,b,train\n0.wav,a,test\n")
    with pytest.raises(ParameterError, match="lines 2 and 4 list the same file"):
        load_dataset(m)


def test_manifest_encodings(tmp_path):
    _touch_audio(tmp_path / "é.wav")
    _touch_audio(tmp_path / "b.wav")
    m = tmp_path / "m.csv"
    m.write_bytes("\ufeffpath,label\né.wav,café\nb.wav,bar\n".encode("utf-8"))  # Excel's CSV UTF-8
    ds = load_dataset(m)
    assert ds.classes == ["bar", "café"]
    m.write_bytes("path,label\né.wav,café\nb.wav,bar\n".encode("latin-1"))
    with pytest.raises(ParameterError, match=r"is not UTF-8 \(byte 0xe9 on line 2\)"):
        load_dataset(m)
