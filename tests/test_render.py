"""render-notes: labelled notes from a real SoundFont (Debian's timgm6mb-soundfont, which
`make test` installs), the manifests, and augmentation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from mirlearn import ParameterError
from mirlearn.data import augment as aug
from mirlearn.data import load_dataset
from mirlearn.data.render import INSTRUMENTS, render_notes

TIM = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")


@pytest.fixture(scope="module")
def soundfont():
    if not TIM.is_file():
        pytest.fail(f"{TIM} missing: install Debian's timgm6mb-soundfont (make test does)")
    return TIM


def test_render_notes_pitch_labels_and_manifests(soundfont, tmp_path):
    r = render_notes([soundfont], tmp_path, instruments=["flute", "bass"], pitch_step=12, velocities=(100,), progress=False)
    inst = pd.read_csv(r["instrument"])
    fam = pd.read_csv(r["family"])
    assert len(inst) == r["n_notes"] == len(fam) > 0
    assert set(inst["label"]) == {"flute", "bass"} and set(fam["label"]) == {"flute", "bass"}
    # every file is audio of the requested length, at the pitch its name says
    import librosa

    for path in inst["path"]:
        y, sr = sf.read(tmp_path / path)
        assert sr == 22050 and len(y) == int(1.5 * sr) and np.abs(y).max() > 0.01
        midi = int(Path(path).stem.split("_p")[1][:3])
        f0 = np.nanmedian(librosa.yin(y[: sr], fmin=30, fmax=2500, sr=sr))
        assert abs(librosa.hz_to_midi(f0) - midi) < 0.6, path
    ds = load_dataset(r["instrument"])
    assert ds.classes == ["bass", "flute"]


def test_cross_source_split_and_augmentation(soundfont, tmp_path):
    other = tmp_path / "Other.sf2"
    other.symlink_to(soundfont)
    r = render_notes([soundfont, other], tmp_path / "n", instruments=["piano"], pitch_step=24, velocities=(90,), test_soundfont="Other", augment=2, progress=False)
    m = pd.read_csv(r["instrument"])
    train, test = m[m["split"] == "train"], m[m["split"] == "test"]
    assert len(train) == 3 * len(test)  # the original + 2 augmented copies of each training note
    assert all(p.startswith("TimGM6mb/") for p in train["path"]) and all(p.startswith("Other/") for p in test["path"])
    assert train.groupby("group").size().eq(3).all()


def test_render_errors(soundfont, tmp_path):
    with pytest.raises(ParameterError, match="does not exist"):
        render_notes([tmp_path / "none.sf2"], tmp_path)
    with pytest.raises(ParameterError, match="unknown instrument"):
        render_notes([soundfont], tmp_path, instruments=["kazoo"])
    with pytest.raises(ParameterError, match="not one of the SoundFonts"):
        render_notes([soundfont], tmp_path, test_soundfont="Nope")


def test_cli_render_notes(soundfont, tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "mirlearn", "datasets", "render-notes", "--soundfont", str(soundfont), "--out", str(tmp_path),
         "--instruments", "violin", "--pitch-step", "20", "--velocities", "80", "--no-progress"],
        capture_output=True, text=True,
    )
    assert r.returncode == 0, r.stderr
    assert "notes in" in r.stdout and (tmp_path / "notes-family.csv").is_file()


@pytest.mark.parametrize("fn", [aug.room_reverb, aug.random_eq, aug.add_noise, aug.random_level, aug.onset_jitter, aug.detune, aug.augment])
def test_augmentations_keep_length_and_change_the_signal(fn):
    sr = 22050
    y = (0.5 * np.sin(2 * np.pi * 440 * np.arange(sr) / sr)).astype(np.float32)
    z = fn(y, sr, np.random.default_rng(1))
    assert z.shape == y.shape and z.dtype == np.float32 and np.all(np.isfinite(z))
    assert not np.allclose(z, y)


def test_instrument_table():
    assert len(INSTRUMENTS) == 12
    assert {i.family for i in INSTRUMENTS.values()} == {"keyboard", "mallet", "organ", "guitar", "bass", "string", "brass", "reed", "flute"}


def test_groups_tie_velocities_augmented_copies_and_shared_sample_neighbours(soundfont, tmp_path):
    from mirlearn.data.soundfont import note_samples

    pitches = range(60, 72)
    r = render_notes([soundfont], tmp_path, instruments=["flute"], pitch_step=1,
                     velocities=(40, 110), augment=1, progress=False)
    m = pd.read_csv(r["instrument"])
    m["pitch"] = m["path"].str.extract(r"_p(\d+)_").astype(int)
    m["vel"] = m["path"].str.extract(r"_v(\d+)").astype(int)
    # every velocity and augmented copy of a pitch: one group
    assert (m.groupby("pitch")["group"].nunique() == 1).all()
    # pitches that play a common sample: one group; pitches that share none: not
    group_of = m.groupby("pitch")["group"].first()
    samples = {p: note_samples(soundfont, INSTRUMENTS["flute"].program, p, 110) for p in pitches}
    for a in pitches:
        for b in pitches:
            if samples[a] & samples[b]:
                assert group_of[a] == group_of[b], (a, b)
    assert group_of.nunique() > 1  # the flute has several samples in that octave
    # a split by these groups never puts one sample on both sides
    ds = load_dataset(r["instrument"])
    from mirlearn.data import assign_splits

    parts = assign_splits(ds, test_size=0.3, valid_size=0.0, seed=0)
    by_group = pd.DataFrame({"g": [it.group for it in ds.items], "s": parts}).groupby("g")["s"].nunique()
    assert (by_group == 1).all()


def test_soundfont_zones_of_a_bad_file_are_a_clear_error(tmp_path):
    from mirlearn.data.soundfont import SoundFontError, note_samples

    f = tmp_path / "x.sf2"
    f.write_bytes(b"RIFF\x04\x00\x00\x00WAVE")
    with pytest.raises(SoundFontError, match="not a SoundFont"):
        note_samples(f, 0, 60, 64)


def test_render_melodies_have_exact_f0(tmp_path):
    """Rendered melodies: the f0 annotation is the note's frequency where it is voiced, and
    the audio there has its energy at that frequency."""
    from mirlearn.annotations import read_f0
    from mirlearn.data.render import render_melodies

    sf2 = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")
    if not sf2.is_file():
        pytest.fail("TimGM6mb.sf2 missing (make test-soundfont)")
    man = render_melodies([sf2], tmp_path, n_per_instrument=1, instruments=["flute"], seconds=3.0, augment=1, progress=False)
    rows = man.read_text().splitlines()
    assert rows[0] == "path,annotation,split,group" and len(rows) == 3  # a melody and its augmented copy
    assert rows[1].split(",")[3] == rows[2].split(",")[3]  # one group
    y, sr = sf.read(tmp_path / rows[1].split(",")[0])
    t, f0 = read_f0(tmp_path / rows[1].split(",")[1])
    assert sr == 16000 and 0.3 < np.mean(f0 > 0) <= 1.0
    i = int(np.flatnonzero(f0 > 0)[len(np.flatnonzero(f0 > 0)) // 2])
    seg = y[int(t[i] * sr): int(t[i] * sr) + 2048] * np.hanning(2048)
    peak_hz = np.argmax(np.abs(np.fft.rfft(seg, 8192))) * sr / 8192
    assert abs(1200 * np.log2(peak_hz / f0[i])) < 60  # within a bin of the labelled pitch


def test_render_drum_tracks_from_hydrogen_kits(tmp_path):
    from mirlearn.annotations import read_labelled_events
    from mirlearn.data.drumkits import HYDROGEN_KITS, find_kits, render_drum_tracks

    if not HYDROGEN_KITS.is_dir():
        pytest.fail("hydrogen-data missing (make test-soundfont installs it)")
    kits = find_kits()
    assert kits
    man = render_drum_tracks(tmp_path, n_tracks=2, seconds=4.0, kits=kits[:1], progress=False)
    rows = [r.split(",") for r in man.read_text().splitlines()[1:]]
    assert all(r[2] == "train" for r in rows)  # synthetic data only ever trains
    y, sr = sf.read(rows[0][0])
    t, lab = read_labelled_events(rows[0][1], labels={"KD", "SD", "HH", "TT", "CY", "OT"}, duration=len(y) / sr)
    assert {"KD", "SD", "HH"} <= set(lab)
    # every kick starts a burst: more energy in the 30 ms after it than in the 30 ms before
    n = int(0.03 * sr)
    for x in t[lab == "KD"][1:6]:
        i = int(x * sr)
        assert np.sum(y[i:i + n] ** 2) > np.sum(y[max(i - n, 0):i] ** 2)


def test_any_general_midi_program_by_number_or_name_and_the_drum_kit(soundfont, tmp_path):
    from mirlearn.data.gm import GM_PROGRAMS, gm_family, gm_program
    from mirlearn.data.render import resolve_instruments

    assert len(GM_PROGRAMS) == 128 and gm_program("41") == gm_program("Viola") == 41
    assert [gm_family(p) for p in (0, 11, 19, 24, 33, 41, 56, 65, 73, 81, 53)] == [
        "keyboard", "mallet", "organ", "guitar", "bass", "string", "brass", "reed", "flute", "synth_lead", "vocal"]
    assert len(resolve_instruments(["gm"])) == 128
    with pytest.raises(ParameterError, match="named twice"):
        resolve_instruments(["violin", "40"])  # the default 'violin' is GM program 40
    with pytest.raises(ParameterError, match="0-127"):
        resolve_instruments(["128"])
    r = render_notes([soundfont], tmp_path, instruments=["41", "tuba", "drums"], pitch_step=12, velocities=(100,), progress=False)
    inst, fam = pd.read_csv(r["instrument"]), pd.read_csv(r["family"])
    assert set(inst["label"]) == {"viola", "tuba", "drums"} and set(fam["label"]) == {"string", "brass", "percussion"}
    drums = inst[inst["label"] == "drums"]
    assert len(drums) == 47  # every GM percussion key 35-81, whatever the pitch step
    assert (inst["source"] == "TimGM6mb").all()
    # a snare (38) is not a bass drum (36): the kit plays different samples per key
    y36, _ = sf.read(tmp_path / drums["path"][drums["path"].str.contains("_p036_")].iloc[0])
    y38, _ = sf.read(tmp_path / drums["path"][drums["path"].str.contains("_p038_")].iloc[0])
    assert not np.allclose(y36, y38)


def test_several_soundfonts_give_leave_one_soundfont_out_folds(soundfont, tmp_path):
    other = tmp_path / "Other.sf2"
    other.symlink_to(soundfont)
    r = render_notes([soundfont, other], tmp_path / "n", instruments=["piano", "flute"], pitch_step=12, velocities=(90,), progress=False)
    ds = load_dataset(r["instrument"], group_by="source")
    assert sorted({it.group for it in ds.items}) == ["Other", "TimGM6mb"]


def test_detune_moves_the_pitch_by_cents_and_effects_can_be_left_out():
    sr = 22050
    y = (0.5 * np.sin(2 * np.pi * 440 * np.arange(2 * sr) / sr)).astype(np.float32)
    for seed in range(5):
        rng = np.random.default_rng(seed)
        cents = rng.uniform(-15, 15)  # what detune draws first
        z = aug.detune(y, sr, np.random.default_rng(seed))
        spec = np.abs(np.fft.rfft(z[: sr] * np.hanning(sr), 16 * sr))
        f = np.argmax(spec) / 16
        assert abs(1200 * np.log2(f / 440) - cents) < 1.0
    # an ablation: only 'level' changes nothing but the gain
    z = aug.augment(y, sr, np.random.default_rng(0), effects=["level"])
    assert np.allclose(z / np.abs(z).max(), y / np.abs(y).max(), atol=1e-6)
    with pytest.raises(ParameterError, match="unknown augmentation"):
        aug.augment(y, sr, np.random.default_rng(0), effects=["chorus"])


def test_merge_onsets_keeps_the_first_of_close_onsets():
    from mirlearn.data.onset_tracks import merge_onsets

    np.testing.assert_allclose(merge_onsets([0.5, 0.1, 0.11, 0.5, 0.135, 1.0], 0.02), [0.1, 0.135, 0.5, 1.0])
    assert merge_onsets([], 0.02).size == 0


def test_render_onset_tracks_have_exact_onsets_and_only_ever_train(soundfont, tmp_path):
    from mirlearn.annotations import read_events
    from mirlearn.data.drumkits import HYDROGEN_KITS
    from mirlearn.data.frames import load_paired
    from mirlearn.data.onset_tracks import render_onset_tracks

    if not HYDROGEN_KITS.is_dir():
        pytest.fail("hydrogen-data missing (make test-soundfont installs it)")
    man = render_onset_tracks(tmp_path, n_tracks=4, seconds=4.0, sr=22050, soundfonts=[soundfont], seed=3, progress=False)
    items = load_paired(man, task="onsets")
    assert len(items) == 4 and all(it.split == "train" and it.fold is None for it in items)
    assert len({it.group for it in items}) == 4
    n_checked = 0
    for it in items:
        y, sr = sf.read(it.path)
        assert sr == 22050 and len(y) == 4 * 22050
        t = read_events(it.annotation, duration=4.0)
        assert len(t) > 0 and np.all(np.diff(t) >= 0.02)
        # an onset starts a burst: the 25 ms after it hold more energy than the 25 ms before,
        # for most onsets (a soft note under a ringing chord may not)
        n = int(0.025 * sr)
        louder = [np.sum(y[int(x * sr):int(x * sr) + n] ** 2) > np.sum(y[max(int(x * sr) - n, 0):int(x * sr)] ** 2)
                  for x in t if x > 0.03]
        assert np.mean(louder) > 0.8
        n_checked += len(louder)
    assert n_checked > 20
    again = render_onset_tracks(tmp_path / "again", n_tracks=4, seconds=4.0, sr=22050, soundfonts=[soundfont], seed=3,
                                progress=False)
    assert (tmp_path / "again" / "track_002.onsets").read_text() == (tmp_path / "track_002.onsets").read_text()
    assert again.read_text() == man.read_text()
    with pytest.raises(ParameterError, match="SoundFont"):
        render_onset_tracks(tmp_path / "x", n_tracks=1, soundfonts=[tmp_path / "missing.sf2"], progress=False)


def test_a_kits_folder_without_kits_is_an_error_not_the_default_kits(tmp_path, capsys):
    from mirlearn.cli.main import main
    from mirlearn.data.onset_tracks import render_onset_tracks

    with pytest.raises(ParameterError, match="no usable drum kit"):
        render_onset_tracks(tmp_path / "out", n_tracks=1, kits=[], progress=False)
    (tmp_path / "empty").mkdir()
    for command in ("render-onsets", "render-drums", "render-stems"):
        out = tmp_path / command
        assert main(["datasets", command, "--out", str(out), "--kits", str(tmp_path / "empty"), "--no-progress"]) == 2
        assert "--kits" in capsys.readouterr().err
        assert not out.exists()  # nothing rendered with other kits
