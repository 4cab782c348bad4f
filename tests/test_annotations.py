"""Annotations: readers, writers and validation; JAMS and MIDI; frame targets; paired data."""

from __future__ import annotations

import mir_eval
import numpy as np
import pytest

from mirlearn import annotations as A
from mirlearn.annotations import AnnotationError
from mirlearn.data.frames import f0_frame_targets, frame_targets, labelled_frame_targets, load_paired

from .conftest import DATA


def test_events_round_trip_readable_by_mir_eval(tmp_path):
    t = np.array([0.1, 0.25, 1.5, 2.0])
    A.write_events(tmp_path / "x.onsets", t)
    np.testing.assert_allclose(A.read_events(tmp_path / "x.onsets"), t)
    np.testing.assert_allclose(mir_eval.io.load_events(str(tmp_path / "x.onsets")), t)


def test_empty_files_are_legal(tmp_path):
    for name in ("e.onsets", "e.drums", "e.f0.csv", "e.notes"):
        (tmp_path / name).write_text("")
    assert A.read_events(tmp_path / "e.onsets").shape == (0,)
    t, lab = A.read_labelled_events(tmp_path / "e.drums")
    assert t.shape == lab.shape == (0,)
    assert A.read_f0(tmp_path / "e.f0.csv")[0].shape == (0,)
    iv, p = A.read_notes(tmp_path / "e.notes")
    assert iv.shape == (0, 2) and p.shape == (0,)


def test_labelled_events_and_mdb_files(tmp_path):
    A.write_labelled_events(tmp_path / "x.drums", [0.5, 0.5, 1.0], ["KD", "HH", "SD"])
    t, lab = A.read_labelled_events(tmp_path / "x.drums", labels={"KD", "SD", "HH"})
    assert list(lab) == ["KD", "HH", "SD"] and np.allclose(t, [0.5, 0.5, 1.0])
    f = DATA / "mdb-drums-dev" / "annotations" / "class" / "MusicDelta_Punk_class.txt"
    t, lab = A.read_labelled_events(f)
    assert len(t) > 100 and {"KD", "SD", "HH"} <= set(lab)


def test_unknown_label_suggests_the_close_one(tmp_path):
    (tmp_path / "x.drums").write_text("0.1\tKD\n0.2\tSN\n")
    with pytest.raises(AnnotationError, match=r"line 2.*unknown label.*'SN'.*did you mean 'SD'"):
        A.read_labelled_events(tmp_path / "x.drums", labels=["KD", "SD", "HH"])


@pytest.mark.parametrize(
    "text, duration, match",
    [
        ("100.5\n250\n1500\n", 3.0, "look like milliseconds: divide them by 1000"),
        ("12\n25\n150\n", 3.0, "frame indices or milliseconds"),
        ("0.5\n5000.5\n", 3.0, "another file"),
        ("100\n250\n1500\n4000\n", None, "frame indices or milliseconds"),
        ("9000000\n", None, "milliseconds"),
        ("0.5\n0.2\n", None, "not sorted"),
        ("-0.1\n0.2\n", None, ">= 0"),
        ("0.1\nabc\n", None, "line 2.*not a number"),
        ("0.1 0.2\n", None, "line 1.*2 column"),
    ],
)
def test_bad_event_files_say_what_to_fix(tmp_path, text, duration, match):
    (tmp_path / "x.onsets").write_text(text)
    with pytest.raises(AnnotationError, match=match):
        A.read_events(tmp_path / "x.onsets", duration=duration)


def test_comments_headers_and_real_files():
    t = A.read_events(DATA / "madmom-clips" / "sample.onsets")
    assert len(t) == 15
    iv, p = A.read_notes(DATA / "madmom-clips" / "stereo_sample.notes")  # onset pitch duration velocity
    assert iv.shape[1] == 2 and np.all(iv[:, 1] > iv[:, 0]) and p.min() >= 21


def test_f0_round_trip_and_units(tmp_path):
    t = np.arange(5) / 100
    f = np.array([0, 220, 221, 0, 440.0])
    A.write_f0(tmp_path / "x.f0.csv", t, f)
    t2, f2 = A.read_f0(tmp_path / "x.f0.csv")
    np.testing.assert_allclose(t2, t)
    np.testing.assert_allclose(f2, f, atol=1e-3)
    (tmp_path / "c.f0.csv").write_text("0.0,5700\n0.01,0\n0.02,440000\n")
    with pytest.raises(AnnotationError, match="expected Hz"):
        A.read_f0(tmp_path / "c.f0.csv")


@pytest.mark.parametrize("kind", ["events", "labelled_events", "f0", "notes"])
def test_jams_round_trip(tmp_path, kind):
    data = {
        "events": np.array([0.1, 0.5, 0.9]),
        "labelled_events": (np.array([0.1, 0.5]), np.array(["KD", "SD"], dtype=object)),
        "f0": (np.array([0.0, 0.01, 0.02]), np.array([0.0, 220.0, 230.0])),
        "notes": (np.array([[0.1, 0.4], [0.5, 1.0]]), np.array([60.0, 62.0])),
    }[kind]
    A.write_jams(tmp_path / "x.jams", kind, data, duration=2.0)
    back = A.read_jams(tmp_path / "x.jams", kind)
    if kind == "events":
        np.testing.assert_allclose(back, data)
    else:
        for a, b in zip(back, data):
            if b.dtype == object:
                assert list(a) == list(b)
            else:
                np.testing.assert_allclose(a, b)


def test_midi_round_trip_and_madmom_clip(tmp_path):
    iv, p = A.read_notes(DATA / "madmom-clips" / "stereo_sample.notes")
    A.write_midi(tmp_path / "x.mid", iv, p)
    iv2, p2, _ = A.read_midi(tmp_path / "x.mid")
    np.testing.assert_allclose(iv2, iv, atol=1.1e-3)  # 960 ticks per second
    np.testing.assert_array_equal(p2, p)
    # the clip's own MIDI file (written by another tool) holds the same notes
    iv3, p3, _ = A.read_midi(DATA / "madmom-clips" / "stereo_sample.mid")
    np.testing.assert_array_equal(p3, p)
    np.testing.assert_allclose(iv3, iv, atol=2e-3)
    assert (tmp_path / "x.mid").read_bytes()[:4] == b"MThd"


def test_frame_targets_and_widening():
    y = frame_targets([0.1, 0.5], fps=10, n_frames=8, widen=1, widen_weight=0.25)  # frames 1 and 5
    np.testing.assert_allclose(y, [0.25, 1, 0.25, 0, 0.25, 1, 0.25, 0])
    assert frame_targets([5.0], fps=10, n_frames=8).sum() == 0  # beyond the end: dropped
    Y = labelled_frame_targets([0.1, 0.2, 0.2], ["KD", "SD", "CY"], classes=["KD", "SD", "HH"], fps=10, n_frames=4)
    np.testing.assert_array_equal(Y, [[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]])
    f = f0_frame_targets([0.0, 0.01, 0.02, 0.5], [100, 110, 0, 200], fps=100, n_frames=6)
    np.testing.assert_allclose(f, [100, 110, 0, 0, 0, 0])  # the gap after 0.02 s stays unvoiced
    with pytest.raises(ValueError, match="fps"):
        frame_targets([0.1], fps=0, n_frames=3)


def test_paired_data_folder_and_manifest(tmp_path):
    items = load_paired(DATA / "mdb-drums-dev", task="drums")  # MusicDelta_X_Drum.wav with MusicDelta_X_class.txt
    assert len(items) == 8 and all(it.annotation.endswith("_class.txt") for it in items)
    assert all(it.path.split("/")[-1].split("_Drum")[0] in it.annotation for it in items)
    (tmp_path / "a.wav").write_bytes(b"")
    with pytest.raises(ValueError, match=r"no annotation for 1 audio file.*\.onsets"):
        load_paired(tmp_path, task="onsets")
    (tmp_path / "a.onsets").write_text("0.1\n")
    (tmp_path / "m.csv").write_text("path,annotation,split,group\na.wav,a.onsets,test,g1\n")
    (it,) = load_paired(tmp_path / "m.csv", task="onsets")
    assert it.split == "test" and it.group == "g1" and it.annotation == str(tmp_path / "a.onsets")
    (tmp_path / "bad.csv").write_text("path,label\na.wav,x\n")
    with pytest.raises(ValueError, match="path,annotation"):
        load_paired(tmp_path / "bad.csv", task="onsets")


def test_truncated_midi_is_a_clear_error(tmp_path):
    A.write_midi(tmp_path / "x.mid", np.array([[0.1, 0.5], [0.6, 0.9]]), [60, 62])
    data = (tmp_path / "x.mid").read_bytes()
    (tmp_path / "cut.mid").write_bytes(data[:-6])
    with pytest.raises(AnnotationError, match="truncated"):
        A.read_midi(tmp_path / "cut.mid")


def test_beats_of_the_real_files_and_their_downbeats():
    t, p = A.read_beats(DATA / "madmom-clips" / "sample.beats")
    np.testing.assert_allclose(t, [0.0913, 0.7997, 1.4806, 2.1478])
    assert p.tolist() == [1, 2, 3, 4] and A.downbeats(t, p).tolist() == [0.0913]
    for f in sorted((DATA / "mdb-drums-dev" / "annotations" / "beats").glob("*.beats")):
        t, p = A.read_beats(f, duration=60.0)
        first_column = mir_eval.io.load_delimited(str(f), [float, int])[0]
        np.testing.assert_allclose(t, first_column)
        assert set(p) == {1, 2, 3, 4} and len(A.downbeats(t, p)) == np.sum(p == 1) > 10


def test_beats_round_trip_and_times_only(tmp_path):
    t, p = np.array([0.5, 1.0, 1.5, 2.0, 2.5, 3.0]), np.array([3, 4, 1, 2, 3, 1])  # a pickup bar, then 3/4 and a change
    A.write_beats(tmp_path / "x.beats", t, p)
    rt, rp = A.read_beats(tmp_path / "x.beats")
    np.testing.assert_allclose(rt, t)
    np.testing.assert_array_equal(rp, p)
    np.testing.assert_allclose(mir_eval.io.load_delimited(str(tmp_path / "x.beats"), [float, int])[0], t)
    A.write_beats(tmp_path / "y.beats", t)
    rt, rp = A.read_beats(tmp_path / "y.beats")
    np.testing.assert_allclose(rt, t)
    assert np.all(np.isnan(rp))
    np.testing.assert_allclose(mir_eval.io.load_events(str(tmp_path / "y.beats")), t)
    with pytest.raises(AnnotationError, match="no positions in the bar"):
        A.downbeats(rt, rp)
    A.write_jams(tmp_path / "x.jams", "beats", (t, p), duration=4.0)
    jt, jp = A.read_jams(tmp_path / "x.jams", "beats")
    np.testing.assert_allclose(jt, t)
    np.testing.assert_array_equal(jp, p)
    assert '"namespace": "beat"' in (tmp_path / "x.jams").read_text()


@pytest.mark.parametrize(
    "text, match",
    [
        ("0.5\t1\n1.0\t2\n1.5\t4\n", "position 4 after 2"),
        ("0.5\t0\n1.0\t1\n", "whole numbers from 1"),
        ("0.5\t1.5\n", "whole numbers from 1"),
        ("0.5\tKD\n", "not a number"),
        ("0.5\t1\n1.0\n", "some lines have a position"),
        ("0.5\t1\n0.5\t2\n", "both at 0.5 s"),
        ("1.0\t1\n0.5\t2\n", "not sorted"),
        ("500\t1\n1000\t2\n1500\t3\n", "milliseconds"),
        ("0.5\t1\t7\n", "column"),
    ],
)
def test_bad_beat_files_say_what_to_fix(tmp_path, text, match):
    (tmp_path / "bad.beats").write_text(text)
    with pytest.raises(AnnotationError, match=match):
        A.read_beats(tmp_path / "bad.beats", duration=10.0)
