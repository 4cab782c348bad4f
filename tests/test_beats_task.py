"""The beats task: comb-filter tempo, positions from downbeats, the synthetic beat songs,
mixtures of stems, targets, ``detect beats|downbeats|tempo``, ``train --task beats`` and
``mirlearn.detect`` (issue #27)."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import mirlearn
from mirlearn.annotations import read_beats, read_events, validate_beats
from mirlearn.cli.main import main
from mirlearn.detection.beats import comb_tempo, interval_tempo
from mirlearn.errors import MirlearnWarning, ParameterError
from mirlearn.tasks import get_output, get_task
from mirlearn.tasks.beats import positions_from_downbeats

from .conftest import DATA

FLUID = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
TIM = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")
SR = 22050


def clicks(seconds, bpm, *, sr=SR, accent=4, start=0.5):
    """Noise bursts on a ``bpm`` grid from ``start``, every ``accent``-th one louder: the
    beat times and the audio."""
    t = np.arange(start, seconds - 0.1, 60.0 / bpm)
    y = np.zeros(int(seconds * sr), np.float32)
    rng = np.random.default_rng(0)
    for k, x in enumerate(t):
        a = int(x * sr)
        y[a:a + 441] = (0.8 if k % accent == 0 else 0.3) * rng.uniform(-1, 1, 441)
    return t, y


def run(capsys, *args):
    """``mirlearn ARGS`` in this process: (exit status, stdout, stderr)."""
    rc = main([str(a) for a in args])
    out = capsys.readouterr()
    return rc, out.out, out.err


# tempo and positions ------------------------------------------------------------------


@pytest.mark.parametrize("period", [25, 37, 18])
def test_comb_tempo_finds_the_period_of_an_impulse_train(period):
    a = np.zeros(1500)
    a[::period] = 1.0
    tempi, strengths = comb_tempo(a, fps=50)
    assert abs(tempi[0] - 60 * 50 / period) < 0.5
    assert strengths[0] > strengths[1] and abs(strengths.sum() - 1) < 1e-9


def test_comb_tempo_of_nothing_is_empty_and_bad_parameters_are_errors():
    assert [len(x) for x in comb_tempo(np.zeros(500), fps=50)] == [0, 0]
    with pytest.raises(ParameterError, match="alpha"):
        comb_tempo(np.ones(500), fps=50, alpha=1.5)
    with pytest.raises(ParameterError, match="min_bpm"):
        comb_tempo(np.ones(500), fps=50, min_bpm=200, max_bpm=100)


def test_interval_tempo_clusters_the_intervals_of_decoded_beats():
    tempi, strengths = interval_tempo(np.arange(30) * 0.5 + np.random.default_rng(0).normal(0, 0.003, 30))
    assert len(tempi) == 1 and abs(tempi[0] - 120) < 1 and strengths.tolist() == [1.0]
    b = np.r_[np.arange(10) * 0.5, 4.5 + np.arange(1, 6) * 0.4]  # 9 intervals of 0.5 s, then 5 of 0.4 s
    tempi, strengths = interval_tempo(b)
    assert np.allclose(tempi, [120, 150]) and np.allclose(strengths, [9 / 14, 5 / 14])
    assert len(interval_tempo(b, n_tempi=1)[0]) == 1
    assert [len(x) for x in interval_tempo([1.0])] == [0, 0]
    with pytest.raises(ParameterError, match="increase"):
        interval_tempo([1.0, 1.0, 2.0])
    with pytest.raises(ParameterError, match="tolerance"):
        interval_tempo(b, tolerance=0)


def _pulse_activations(t, pos, *, fps=50, seconds=30, off_beat=1.0):
    """Beat and downbeat activations of one pulse per beat (``off_beat``: the height of the
    beats that are not downbeats)."""
    act = np.zeros((2, seconds * fps))
    for x, q in zip(t, pos):
        act[0, int(x * fps)] = 1.0 if q == 1 else off_beat
        act[1, int(x * fps)] = 1.0 if q == 1 else 0.0
    return act


class _PP:
    """A bundle as decode sees one: its fps and post-processing."""

    def __init__(self, **pp):
        self.fps, self.postprocess = 50, {"decoder": "hmm", "hmm": {"threshold": 0.05}, **pp}


def test_tempo_method_is_chosen_on_validation_files_comb_on_a_tie():
    task = get_task("beats")
    t = np.arange(1.0, 29.0, 0.5)
    pos = (np.arange(len(t)) % 4 + 1).astype(float)
    ref = [(t, pos)] * 2
    # downbeat pulses 7x the others: the comb filters hear the bar, the decoded beats are at 120 BPM
    barred = _pulse_activations(t, pos, off_beat=0.15)
    comb, by_beats = (task.decode(_PP(tempo=m), barred)["tempi"][0] for m in ("comb", "beats"))
    assert abs(by_beats - 120) < 2 and abs(comb - 120) > 10  # the premise
    assert task.tune_postprocess([barred] * 2, ref, dict(grid=None), fps=50, bundle=_PP(), echo=lambda *a: None)["tempo"] == "beats"
    # even pulses: both methods find 120 BPM within a fraction of a percent; the comb filters' error is no larger
    even = _pulse_activations(t, pos)
    errors = [abs(task.decode(_PP(tempo=m), even)["tempi"][0] / 120 - 1) for m in ("comb", "beats")]
    assert max(errors) < 0.01
    chosen = task.tune_postprocess([even] * 2, ref, dict(grid=None), fps=50, bundle=_PP(), echo=lambda *a: None)["tempo"]
    assert chosen == ("comb" if errors[0] <= errors[1] else "beats")
    # a bundle without the choice (trained before it existed) uses the comb filters
    assert task.decode(_PP(), barred)["tempi"][0] == comb
    with pytest.raises(ParameterError, match="unknown tempo method"):
        task.decode(_PP(tempo="median"), barred)


def test_positions_from_downbeats_count_bars_and_a_pickup():
    beats = np.arange(12) * 0.5
    p = positions_from_downbeats(beats, [1.0, 2.5, 4.0, 5.52])  # 3/4 from the third beat; one downbeat 20 ms late
    assert p.tolist() == [2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1]
    validate_beats(beats, p)
    assert np.isnan(positions_from_downbeats(beats, [0.25])).all()  # no downbeat on a beat: no bars
    assert np.isnan(positions_from_downbeats(beats, [])).all()


# data ----------------------------------------------------------------------------------


@pytest.mark.skipif(not TIM.is_file(), reason="Debian timgm6mb-soundfont is not installed")
def test_render_beats_writes_songs_whose_first_beat_is_where_the_sound_starts(tmp_path, capsys):
    rc, out, err = run(capsys, "datasets", "render-beats", "--out", tmp_path, "--songs", "3", "--seconds", "8", "--meters", "3",
                       "--soundfont", TIM, "--no-progress")
    assert rc == 0, err
    rows = list(csv.DictReader(open(tmp_path / "beats.csv")))
    assert [r["split"] for r in rows] == ["train"] * 3 and len({r["group"] for r in rows}) == 3
    for r in rows:
        t, p = read_beats(tmp_path / r["annotation"])
        y, sr = sf.read(tmp_path / r["path"])
        assert set(p) == {1, 2, 3} and p[0] == 1  # 3/4, starting on a downbeat
        ibi = np.diff(t)
        assert np.allclose(ibi, ibi[0]) and 60 / 171 < ibi[0] < 60 / 69  # one tempo in 70-170 BPM
        first = int(t[0] * sr)
        assert np.abs(y[:max(first - 200, 0)]).max(initial=0) == 0  # the lead-in is silent ...
        assert np.abs(y[first:first + int(0.05 * sr)]).max() > 0.05  # ... and the music starts on the first beat
    rc, _, err = run(capsys, "datasets", "render-beats", "--out", tmp_path / "x", "--meters", "1", "--soundfont", TIM)
    assert rc == 2 and "meters" in err


def test_bar_cues_change_the_chord_on_every_bar_put_the_root_on_1_and_open_phrases_on_a_crash():
    from mirlearn.data.drumkits import _pattern
    from mirlearn.data.separation import _song_parts

    for meter in (3, 4):
        rng = np.random.default_rng(meter)
        bpm, bass, chords, _ = _song_parts(rng, 60.0, meter, bar_cues=True)
        bar = meter * 60.0 / bpm
        n_bars = int(np.ceil(60.0 / bar))
        triads = [sorted(p for t, _, p, _ in chords if abs(t - b * bar) < 1e-6) for b in range(n_bars)]
        roots = [next(p for t, _, p, _ in bass if abs(t - b * bar) < 1e-6) for b in range(n_bars)]
        firsts = [next((v for t, _, p, v in chords if abs(t - b * bar) < 1e-6), None) for b in range(n_bars)]
        others = [v for t, _, _, v in chords if (t / bar) % 1 > 1e-6 and (t / bar) % 1 < 1 - 1e-6]
        assert all(len(tr) == 3 for tr in triads[1:])  # every bar's chord sounds on beat 1 ...
        assert all(a != b for a, b in zip(triads, triads[1:]))  # ... and differs from the last bar's
        assert all(r % 12 == tr[0] % 12 for r, tr in zip(roots, triads))  # the bass plays its root on 1
        assert not others or np.mean([v for v in firsts if v]) > np.mean(others) + 10  # accented on 1
        hits = _pattern(rng, 60.0, bpm, meter, bar_cues=True)
        step = 60.0 / bpm / 4
        phrase_starts = [b * bar for b in range(0, n_bars, 4) if b * bar < 60.0 - step]
        crashed = [any(lab == "CY" and abs(t - t0) < 0.02 for t, lab, _ in hits) for t0 in phrase_starts]
        assert np.mean(crashed) >= 0.6


def test_without_bar_cues_the_songs_are_those_the_shipped_beat_model_trained_on():
    """The notes and hits of a seeded draw, pinned (digest of the code before bar_cues existed)."""
    import hashlib

    from mirlearn.data.drumkits import _pattern
    from mirlearn.data.separation import _song_parts

    rng = np.random.default_rng(3)
    h = hashlib.sha1()
    for meter in (3, 4, 4):
        bpm, bass, chords, melody = _song_parts(rng, 12.0, meter)
        h.update(repr((round(bpm, 9), bass, chords, melody)).encode())
        h.update(repr([(round(t, 9), lab, round(v, 9)) for t, lab, v in _pattern(rng, 12.0, bpm, meter)]).encode())
    assert h.hexdigest() == "4f93b3c624e134a87598cae87df462399d151618"


def test_mix_stems_sums_each_songs_stems_and_pairs_its_annotation(tmp_path, capsys):
    rng = np.random.default_rng(0)
    stems = {}
    for song in ("songA", "songB", "songC"):
        (tmp_path / "sep" / song).mkdir(parents=True)
        for s in ("drums", "bass"):
            stems[song, s] = (0.1 * rng.standard_normal(SR)).astype(np.float32)
            sf.write(tmp_path / "sep" / song / f"{s}.wav", stems[song, s], SR, subtype="FLOAT")
    (tmp_path / "ann").mkdir()
    for song in ("songA", "songB"):  # songC has none
        (tmp_path / "ann" / f"{song}_MIX.beats").write_text("0.5\t1\n1.0\t2\n")
    rc, out, err = run(capsys, "datasets", "mix-stems", "--data", tmp_path / "sep", "--annotations", tmp_path / "ann",
                       "--out", tmp_path / "mix", "--no-progress")
    assert rc == 0, err
    assert "songC" in out
    rows = list(csv.DictReader(open(tmp_path / "mix" / "mixtures.csv")))
    assert [r["group"] for r in rows] == ["songA", "songB"]
    y, sr = sf.read(tmp_path / "mix" / "songA.wav", dtype="float32")
    assert sr == SR and np.allclose(y, stems["songA", "drums"] + stems["songA", "bass"], atol=1e-6)
    assert Path(rows[1]["annotation"]).name == "songB_MIX.beats"


def test_beat_targets_mark_beats_and_downbeats_and_mask_unknown_downbeats():
    task = get_task("beats")
    cfg = dict(features=dict(fps=50), widen=1, widen_weight=0.5)
    t = np.array([0.5, 1.0, 1.5, 2.0, 2.5])
    Y = task.targets((t, np.array([1, 2, 3, 1, 2.0])), cfg=cfg, n_frames=150)
    assert np.flatnonzero(Y[0] == 1).tolist() == [25, 50, 75, 100, 125]
    assert np.flatnonzero(Y[1] == 1).tolist() == [25, 100]
    assert Y[1, 24] == Y[1, 26] == 0.5  # widened
    Y2 = task.targets((t, np.full(5, np.nan)), cfg=cfg, n_frames=150)  # times only: downbeats unknown
    m = task.target_mask(Y2, np.ones((1, 150), np.float32))
    assert m[0].all() and not m[1].any()
    assert m.shape == (2, 150)


# detect with the dynamic program -------------------------------------------------------


def test_detect_beats_tempo_and_downbeats_with_dp(tmp_path, capsys):
    t, y = clicks(10, 120)
    sf.write(tmp_path / "clicks.wav", y, SR)
    rc, out, err = run(capsys, "detect", "beats", tmp_path / "clicks.wav", "--method", "dp", "--out", tmp_path / "o", "--no-progress")
    assert rc == 0, err
    est, pos = read_beats(tmp_path / "o" / "clicks.beats")
    assert np.isnan(pos).all()  # the dynamic program finds no bars
    hits = sum(np.min(np.abs(est - x)) < 0.03 for x in t)
    assert hits >= len(t) - 2 and len(est) <= len(t) + 1
    rc, out, err = run(capsys, "detect", "tempo", tmp_path / "clicks.wav", "--method", "dp", "--out", tmp_path / "o", "--no-progress")
    assert rc == 0, err
    rows = list(csv.DictReader(open(tmp_path / "o" / "clicks.tempo.csv")))
    assert abs(float(rows[0]["tempo"]) - 120) < 2.5 and len(rows) <= 2
    rc, out, err = run(capsys, "detect", "downbeats", tmp_path / "clicks.wav", "--method", "dp", "--out", tmp_path / "o", "--no-progress")
    assert rc == 0 and "no downbeats" in err
    assert read_events(tmp_path / "o" / "clicks.downbeats").size == 0


def _awkward_files(folder):
    """A 1-s noise burst, 5 s of silence and 10 s of a sustained tone."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    s = np.arange(10 * SR) / SR
    sf.write(folder / "short.wav", (0.3 * rng.standard_normal(SR)).astype(np.float32), SR)
    sf.write(folder / "silent.wav", np.zeros(5 * SR, np.float32), SR)
    sf.write(folder / "tone.wav", (0.3 * np.sin(2 * np.pi * 440 * s) * np.minimum(1, s / 0.05)).astype(np.float32), SR)
    return [folder / f"{n}.wav" for n in ("short", "silent", "tone")]


@pytest.mark.parametrize("name", ["beats", "downbeats", "tempo"])
def test_short_silent_and_beatless_audio_warn_and_give_empty_outputs_with_dp(tmp_path, capsys, name):
    files = _awkward_files(tmp_path / "in")
    rc, out, err = run(capsys, "detect", name, *files, "--method", "dp", "--out", tmp_path / "o", "--no-progress")
    assert rc == 0, err
    assert "Traceback" not in err
    assert "too short" in err and err.count("no beat found") == 2
    for f in files:
        written = get_output(name).output_path(tmp_path / "o", f.stem, "txt")
        assert written.is_file()
        assert len([x for x in written.read_text().splitlines() if x and not x.startswith("tempo")]) == 0


def test_api_detect_beats_tempo_and_the_warning_on_short_audio():
    t, y = clicks(10, 100)
    b = mirlearn.detect(y, SR, task="beats", method="dp")
    assert b.shape[1] == 2 and np.isnan(b[:, 1]).all()
    assert sum(np.min(np.abs(b[:, 0] - x)) < 0.03 for x in t) >= len(t) - 2
    tempi = mirlearn.detect(y, SR, task="tempo", method="dp")
    assert abs(tempi[0, 0] - 100) < 2.5
    with pytest.warns(MirlearnWarning, match="too short"):
        assert mirlearn.detect(y[:SR], SR, task="beats", method="dp").shape == (0, 2)
    with pytest.raises(ParameterError, match="one of"):
        mirlearn.detect(y, SR, task="bars")


# training and the learned model --------------------------------------------------------


@pytest.fixture(scope="module")
def beat_run(tmp_path_factory):
    """A beat network trained for 2 epochs on 4 click tracks (3/4 and 4/4, accented
    downbeats): train, valid and test files."""
    root = tmp_path_factory.mktemp("beats")
    rows = []
    for k, (bpm, meter) in enumerate([(100, 4), (120, 3), (90, 4), (140, 3), (110, 4)]):
        t, y = clicks(12, bpm, accent=meter, start=0.3 + 0.1 * k)
        sf.write(root / f"c{k}.wav", y, SR)
        (root / f"c{k}.beats").write_text("".join(f"{x:.4f}\t{i % meter + 1}\n" for i, x in enumerate(t)))
        rows.append(f"c{k}.wav,c{k}.beats,{['train', 'train', 'train', 'valid', 'test'][k]}\n")
    (root / "data.csv").write_text("path,annotation,split\n" + "".join(rows))
    (root / "cfg.yaml").write_text("epochs: 2\nchunk_frames: 300\nchunks_per_file: 2\nnetwork: {n_layers: 4, maps: 8}\n")
    rc = main(["train", "--task", "beats", "--data", str(root / "data.csv"), "--config", str(root / "cfg.yaml"),
               "--out", str(root / "run"), "--no-progress"])
    assert rc == 0
    return root


def test_train_beats_writes_a_run_with_both_decoders_scored(beat_run):
    import json

    m = json.loads((beat_run / "run" / "metrics.json").read_text())
    for k in ("f_measure", "cmlt", "amlt", "downbeat_f_measure", "acc1", "acc2"):
        assert 0 <= m[k] <= 1 and 0 <= m["peaks"][k] <= 1
    b = json.loads((beat_run / "run" / "model" / "bundle.json").read_text())
    assert b["task"] == "beats" and b["network"] == "beat_tcn" and b["classes"] == ["beat", "downbeat"]
    pp = b["postprocess"]
    assert pp["decoder"] == "hmm" and pp["hmm"]["threshold"] in (0.05, 0.1, 0.2) and {"beat", "downbeat"} <= set(pp)


def test_detect_beats_with_a_trained_run_writes_valid_beat_files(beat_run, tmp_path, capsys):
    rc, out, err = run(capsys, "detect", "beats", beat_run / "c4.wav", "--model", beat_run / "run", "--out", tmp_path, "--no-progress")
    assert rc == 0, err
    validate_beats(*read_beats(tmp_path / "c4.beats"))
    rc, out, err = run(capsys, "detect", "tempo", beat_run / "c4.wav", "--model", beat_run / "run", "--out", tmp_path,
                       "--format", "jams", "--no-progress")
    assert rc == 2 and "--format jams" in err
    ev, (act, fps) = None, (None, None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MirlearnWarning)
        ev, act, fps = mirlearn.detect(sf.read(beat_run / "c4.wav")[0], SR, task="beats", model=beat_run / "run", activations=True)
    assert act.shape[0] == 2 and fps == 50 and ev.ndim == 2


def test_trained_beat_model_gives_no_beats_for_silent_or_short_audio(beat_run, tmp_path, capsys):
    files = _awkward_files(tmp_path / "in")
    rc, out, err = run(capsys, "detect", "beats", *files[:2], "--model", beat_run / "run", "--out", tmp_path / "o", "--no-progress")
    assert rc == 0, err
    assert "too short" in err and "no beat found" in err
    assert all((tmp_path / "o" / f"{f.stem}.beats").read_text() == "" for f in files[:2])


def test_show_activations_of_a_beat_run(beat_run, tmp_path, capsys):
    rc, out, err = run(capsys, "show", beat_run / "c4.wav", "--activations", beat_run / "run", "--out", tmp_path / "b.png")
    assert rc == 0, err
    assert (tmp_path / "b.png").stat().st_size > 10_000


def test_madmom_sample_beats_are_readable_training_data():
    t, p = read_beats(DATA / "madmom-clips" / "sample.beats")
    Y = get_task("beats").targets((t, p), cfg=dict(features=dict(fps=50), widen=0, widen_weight=0.5), n_frames=140)
    assert Y[0].sum() == 4 and Y[1].sum() == 1


def test_show_draws_a_reference_annotation_and_pitch_refuses_one(tmp_path, capsys):
    rc, out, err = run(capsys, "show", DATA / "madmom-clips" / "sample.wav", "--activations", "dp", "--reference",
                       DATA / "madmom-clips" / "sample.beats", "--out", tmp_path / "dp.png")
    assert rc == 0, err
    assert (tmp_path / "dp.png").stat().st_size > 10_000
    with pytest.raises(ParameterError, match="f0 track"):
        get_task("pitch").reference_times((np.zeros(3), np.zeros(3)))


# the shipped model ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def unseen_songs(tmp_path_factory):
    """Songs the shipped model never heard: rendered from TimGM6mb (its training songs are
    FluidR3_GM renders, seed 0) with another seed, one in 3/4 and one in 4/4."""
    from mirlearn.data.separation import render_beat_songs

    if not TIM.is_file():
        pytest.fail("Debian timgm6mb-soundfont is needed (make test installs it)")
    root = tmp_path_factory.mktemp("unseen")
    songs = []
    for meter in (3, 4):
        man = render_beat_songs(root / str(meter), n_songs=1, seconds=20.0, soundfont=TIM, meters=(meter,), seed=1234, progress=False)
        songs.append((man.parent / "synth_000.wav", read_beats(man.parent / "synth_000.beats")))
    return songs


def test_shipped_beat_model_tracks_beats_and_downbeats_of_songs_it_never_heard(unseen_songs):
    from mirlearn.evaluation.beats import evaluate_beats

    for wav, (t, p) in unseen_songs:
        y, sr = sf.read(wav, dtype="float32")
        est = mirlearn.detect(y, sr, task="beats")
        validate_beats(est[:, 0], est[:, 1])
        assert evaluate_beats(t, est[:, 0])["f_measure"] >= 0.8, wav
        tempi = mirlearn.detect(y, sr, task="tempo")
        bpm = 60 / np.median(np.diff(t))
        assert np.abs(np.subtract.outer(tempi[:, 0] / bpm, [0.5, 1.0, 2.0])).min() < 0.04  # Acc2 of the top two


def test_detect_beats_with_the_shipped_model_on_a_real_clip_it_never_heard(tmp_path, capsys):
    """madmom's sample.wav is in none of the beat model's training or selection (MDB mixtures and
    renders): its 4 annotated beats and the downbeat (measured: every beat within 25 ms)."""
    rc, out, err = run(capsys, "detect", "beats", DATA / "madmom-clips" / "sample.wav", "--out", tmp_path, "--no-progress")
    assert rc == 0, err
    t, p = read_beats(tmp_path / "sample.beats")
    ref, ref_p = read_beats(DATA / "madmom-clips" / "sample.beats")
    assert len(t) == len(ref) and np.abs(t - ref).max() < 0.07
    assert p.tolist() == ref_p.tolist()


def test_downbeat_phase_counts_the_annotated_position_under_each_decoded_downbeat():
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    try:
        from beats_downbeat_phase import phase_counts
    finally:
        sys.path.pop(0)
    t = 0.5 * np.arange(16)
    p = np.arange(16) % 4 + 1
    counts, off = phase_counts(t, p, t[p == 3] + 0.03)  # a bar grid two beats late
    assert counts.tolist() == [0, 0, 4, 0] and off == 0
    counts, off = phase_counts(t, p, [0.0, 2.0, 2.25, 9.0])  # 2.25 s is between beats; 9 s after the last
    assert counts.tolist() == [2, 0, 0, 0] and off == 2
