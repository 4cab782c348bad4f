"""Source separation: datasets and remixing, the two networks' geometry and guarantees, the
HPSS baseline, and train / separate / evaluate end to end on synthetic songs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mirlearn.data.separation import RemixChunks, SongChunks, load_separation, read_layers, read_song, stem_order
from mirlearn.errors import MirlearnWarning, ParameterError

from .conftest import DATA, cli

SR = 22050
TIM = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")
STEMS = ["drums", "bass", "vocals", "other"]
TINY_WAVE = {"n_layers": 4, "n_filters": 8, "output_samples": 2048}
TINY_MASK = {"depth": 2, "n_filters": 4, "chunk_frames": 16}


def _song(k, seconds=2.0, sr=SR):
    """Four synthetic stems: noise bursts, a low sine, a chirp and a high sine; song ``k``
    changes pitches and tempo."""
    t = np.arange(int(seconds * sr)) / sr
    rng = np.random.default_rng(k)
    drums = np.zeros_like(t)
    period = int(sr * (0.25 + 0.05 * k))
    for s in range(0, len(t), period):
        n = min(2000, len(t) - s)
        drums[s:s + n] = rng.standard_normal(n) * np.exp(-np.arange(n) / 300)
    bass = 0.3 * np.sin(2 * np.pi * (55 + 10 * k) * t)
    vocals = 0.2 * np.sin(2 * np.pi * (300 + 50 * k) * t * (1 + 0.1 * t))
    other = 0.15 * np.sin(2 * np.pi * (1200 + 100 * k) * t)
    return {"drums": drums, "bass": bass, "vocals": vocals, "other": other}


@pytest.fixture(scope="module")
def songs_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("stems")
    for k in range(4):
        d = root / f"song{k}"
        d.mkdir()
        for name, x in _song(k).items():
            sf.write(d / f"{name}.flac", x.astype(np.float32), SR)
    return root


def _run(*args):
    """``mirlearn ARGS`` in this process (conftest.cli)."""
    return cli(dict(os.environ), *args)


# -- data ---------------------------------------------------------------------------------


def test_load_separation_folder_and_manifest(songs_dir, tmp_path):
    songs, stems = load_separation(songs_dir)
    assert stems == STEMS and [s.name for s in songs] == ["song0", "song1", "song2", "song3"]
    rows = ["song,vocals,drums,bass,other,split"]
    for s in songs:
        rows.append(",".join([s.name] + [s.paths[k] for k in ("vocals", "drums", "bass", "other")] + ["test" if s.name == "song3" else ""]))
    man = tmp_path / "songs.csv"
    man.write_text("\n".join(rows) + "\n")
    m_songs, m_stems = load_separation(man)
    assert m_stems == STEMS  # the usual order, whatever the column order
    assert [s.split for s in m_songs] == [None, None, None, "test"]
    _, two = load_separation(songs_dir, stems=["vocals", "drums"])
    assert two == ["vocals", "drums"]
    assert stem_order(["piano", "vocals", "drums", "guitar"]) == ["drums", "vocals", "guitar", "piano"]


def test_load_separation_errors(songs_dir, tmp_path):
    with pytest.raises(ParameterError, match="not in every song"):
        load_separation(songs_dir, stems=["drums", "piano"])
    bad = tmp_path / "bad"
    (bad / "a").mkdir(parents=True)
    (bad / "b").mkdir()
    sf.write(bad / "a" / "drums.wav", np.zeros(100, np.float32), SR)
    sf.write(bad / "a" / "bass.wav", np.zeros(100, np.float32), SR)
    sf.write(bad / "b" / "drums.wav", np.zeros(100, np.float32), SR)
    with pytest.raises(ParameterError, match="lack stem"):
        load_separation(bad)
    with pytest.raises(ParameterError, match="no song folders"):
        load_separation(tmp_path / "bad" / "a")
    man = tmp_path / "m.csv"
    man.write_text("path,label\nx.wav,a\n")
    with pytest.raises(ParameterError, match="'song' column"):
        load_separation(man)
    man.write_text(f"song,drums,bass,split\ns,{bad}/a/drums.wav,{bad}/a/bass.wav,holdout\n")
    with pytest.raises(ParameterError, match="split must be"):
        load_separation(man)


def test_read_song_pads_and_accepts_a_silent_stem(tmp_path):
    d = tmp_path / "s"
    d.mkdir()
    sf.write(d / "drums.wav", np.ones(1000, np.float32) * 0.1, SR)
    sf.write(d / "vocals.wav", np.zeros(990, np.float32), SR)  # an instrumental: silent vocals
    songs, stems = load_separation(tmp_path)
    x = read_song(songs[0], stems=stems, sr=SR)
    assert x.shape == (2, 1, 1000) and not x[1].any()
    sf.write(d / "drums.wav", np.zeros(1000, np.float32), SR)
    with pytest.raises(ParameterError, match="every stem is silent"):
        read_song(songs[0], stems=stems, sr=SR)


def test_remix_chunks():
    # stem j of song k is the constant 10 k + j + 1: a chunk tells where each stem came from
    tracks = [np.stack([np.full((1, 5000), 10 * k + j + 1, np.float32) for j in range(4)]) for k in range(5)]
    plain = RemixChunks(tracks, chunk=1000, n_chunks=50, remix=0.0, gain_db=0.0, polarity=False, seed=3)
    for i in range(50):
        c = plain[i]
        assert c.shape == (4, 1, 1000)
        song = (c[:, 0, 0] - np.arange(1, 5)) / 10
        assert np.all(song == song[0])  # one song for all stems
    mixed = RemixChunks(tracks, chunk=1000, n_chunks=50, remix=1.0, gain_db=0.0, polarity=False, seed=3)
    origins = [tuple((mixed[i][:, 0, 0] - np.arange(1, 5)) // 10) for i in range(50)]
    assert sum(len(set(o)) > 1 for o in origins) > 30  # most chunks mix songs
    assert all(np.all(mixed[i][:, 0, 0] % 10 == np.arange(1, 5)) for i in range(50))  # stems stay in their role
    aug = RemixChunks(tracks, chunk=1000, n_chunks=50, remix=0.0, gain_db=6.0, polarity=True, seed=3)
    ratios = np.concatenate([aug[i][:, 0, 0] / plain[i][:, 0, 0] for i in range(50)])
    assert np.all(np.abs(np.abs(ratios) - 1) <= 10 ** (6 / 20) - 1 + 1e-6)
    assert (ratios < 0).any() and (ratios > 0).any() and np.abs(np.abs(ratios) - 1).max() > 0.1
    again = RemixChunks(tracks, chunk=1000, n_chunks=50, remix=0.0, gain_db=6.0, polarity=True, seed=3)
    other = RemixChunks(tracks, chunk=1000, n_chunks=50, remix=0.0, gain_db=6.0, polarity=True, seed=4)
    np.testing.assert_array_equal(aug[7], again[7])  # reproducible: the same seed, the same chunk
    assert any(not np.array_equal(aug[i], other[i]) for i in range(50))  # and the seed matters
    first = aug[7]
    aug.epoch = 1
    assert not np.array_equal(first, aug[7])  # new chunks every epoch
    val = SongChunks(tracks[:2], chunk=2000)
    assert len(val) == 2 * 3 and val[2].shape == (4, 1, 2000) and not val[2][..., 1000:].any()


def test_read_layers_skips_mixtures_and_unusable_files(tmp_path):
    d = tmp_path / "kits" / "kitA"
    d.mkdir(parents=True)
    rng = np.random.default_rng(0)
    sf.write(d / "track_000.wav", 0.1 * rng.standard_normal(2 * SR).astype(np.float32), SR)
    sf.write(d / "track_000_mix.wav", 0.1 * rng.standard_normal(2 * SR).astype(np.float32), SR)  # a mixture: not a layer
    sf.write(d / "track_001.wav", np.zeros(2 * SR, np.float32), SR)  # silent
    sf.write(d / "short.wav", 0.1 * rng.standard_normal(SR // 4).astype(np.float32), SR)  # too short
    sf.write(tmp_path / "kits" / "stereo.wav", 0.1 * rng.standard_normal((3 * 44100, 2)).astype(np.float32), 44100)
    with pytest.warns(MirlearnWarning, match="skipped"):
        layers = read_layers(tmp_path / "kits", sr=SR)
    assert [x.shape for x in layers] == [(2 * SR,), (3 * SR,)]  # track_000, then stereo.wav resampled and mono
    assert all(x.dtype == np.float32 for x in layers)
    with pytest.raises(ParameterError, match="no such folder"):
        read_layers(tmp_path / "nowhere", sr=SR)
    with pytest.raises(ParameterError, match="no usable audio"), pytest.warns(MirlearnWarning):
        read_layers(d / "track_001.wav", sr=SR)


def test_remix_chunks_layers_a_stem_at_its_level():
    tracks = [np.stack([np.full((1, 5000), 10 * k + j + 1, np.float32) for j in range(4)]) for k in range(5)]
    tracks[0][1, :, :2500] = 0  # stem 1 of song 0 is silent in its first half
    rng = np.random.default_rng(1)
    layers = [rng.standard_normal(3000).astype(np.float32), rng.standard_normal(8000).astype(np.float32)]
    kw = dict(chunk=1000, n_chunks=60, remix=0.5, gain_db=6.0, polarity=True, seed=3)
    plain = RemixChunks(tracks, **kw)
    unused = RemixChunks(tracks, **kw, layers=layers, layer_stem=1, layer=0.0)
    assert all(np.array_equal(plain[i], unused[i]) for i in range(60))  # layer=0: the same chunks, draw for draw
    always = RemixChunks(tracks, **kw, layers=layers, layer_stem=1, layer=1.0)
    half = RemixChunks(tracks, **kw, layers=layers, layer_stem=1, layer=0.5)
    n_layered = 0
    for i in range(60):
        a, p = always[i], plain[i]
        others = [0, 2, 3]
        np.testing.assert_allclose(np.abs(a[others]), np.abs(p[others]))  # other stems: the same sources, up to the signs
        assert np.std(a[1]) > 0  # stem 1 is now a piece of a layer, not a constant
        level = np.sqrt(np.mean(a[1] ** 2)) / np.sqrt(np.mean(p[1] ** 2)) if np.any(p[1]) else None
        if level is not None:
            assert abs(level - 1) < 1e-4  # at the level of the stem it replaces (the gains are the same draws)
        n_layered += not np.array_equal(half[i][1], p[1])
    assert 15 < n_layered < 45  # about half the chunks
    median = np.median([np.sqrt(np.mean(t[1] ** 2)) for t in tracks])
    flat = dict(kw, gain_db=0.0, polarity=False, n_chunks=200)
    bare, filled = RemixChunks(tracks, **flat), RemixChunks(tracks, **flat, layers=layers, layer_stem=1, layer=1.0)
    silent = [i for i in range(200) if not np.any(bare[i][1])]
    assert silent
    for i in silent:  # a silent stem is replaced at the median level of that stem over the songs
        assert np.sqrt(np.mean(filled[i][1] ** 2)) == pytest.approx(median, rel=1e-4)
    with pytest.raises(ParameterError, match="needs recordings"):
        RemixChunks(tracks, **kw, layer=0.5)


def test_separation_layering_is_checked_and_trains(songs_dir, tmp_path):
    from mirlearn.training.separation import fit_separation_model, resolve_separation_config

    for bad in (-0.1, 1.5, "often", True):
        with pytest.raises(ParameterError, match="augment.layer"):
            resolve_separation_config({"augment": {"layer": bad}, "layer_data": str(tmp_path)})
    with pytest.raises(ParameterError, match="layer_data is not set"):
        resolve_separation_config({"augment": {"layer": 0.5}})
    kits = tmp_path / "kits"
    kits.mkdir()
    sf.write(kits / "groove.wav", _song(7, seconds=3.0)["drums"].astype(np.float32), SR)
    songs, stems = load_separation(songs_dir)
    tracks = [read_song(s, stems=stems, sr=SR) for s in songs]
    cfg = resolve_separation_config({"epochs": 1, "chunks_per_epoch": 4, "batch_size": 2, "network": TINY_MASK,
                                     "augment": {"layer": 0.5}, "layer_data": str(kits)})
    assert cfg["augment"] == {"remix": 0.5, "gain_db": 3.0, "polarity": True, "layer": 0.5}
    bundle, _, _ = fit_separation_model("mask_unet", tracks[:2], tracks[2:3], cfg, stems=stems, out_dir=tmp_path / "m",
                                        progress=False)
    assert bundle.info["n_layers"] == 1 and bundle.info["augment"]["layer"] == 0.5
    with pytest.raises(ParameterError, match="layer_stem 'percussion' is not one of the stems"):
        fit_separation_model("mask_unet", tracks[:2], tracks[2:3], {**cfg, "layer_stem": "percussion"}, stems=stems,
                             out_dir=tmp_path / "p", progress=False)


# -- networks -----------------------------------------------------------------------------


def test_wave_u_net_geometry_matches_the_paper():
    from mirlearn.models.separation_nets import WaveUNet

    net = WaveUNet(n_layers=12, n_filters=24, output_samples=16384)
    assert (net.input_samples, net.output_samples) == (147443, 16389)  # Stoller et al. 2018, M4


def test_wave_u_net_difference_output_and_seamless_tiling():
    import torch

    from mirlearn.models.separation_nets import WaveUNet

    torch.manual_seed(0)
    net = WaveUNet(**TINY_WAVE).eval()
    x = torch.randn(2, 1, net.input_samples)
    with torch.no_grad():
        est = net(x)
    assert est.shape == (2, 4, 1, net.output_samples)
    mix = x[..., net.context:net.context + net.output_samples]
    torch.testing.assert_close(est.sum(dim=1), mix, atol=1e-5, rtol=0)
    # a long signal: every output window equals the network on that window's input
    y = np.random.default_rng(1).standard_normal((1, 3 * net.output_samples + 123)).astype(np.float32)
    out = net.separate(y)
    assert out.shape == (4, 1, y.shape[-1])
    np.testing.assert_allclose(out.sum(axis=0), y, atol=1e-5)
    s = net.output_samples  # the second window, computed directly
    with torch.no_grad():
        direct = net(torch.from_numpy(y[None, :, s - net.context:s - net.context + net.input_samples]))[0]
    np.testing.assert_allclose(out[..., s:2 * s], direct.numpy(), atol=1e-5)


def test_mask_unet_masks_sum_to_one_and_estimates_to_the_mixture():
    import torch

    from mirlearn.models.separation_nets import MaskUNet

    torch.manual_seed(0)
    net = MaskUNet(**TINY_MASK).eval()
    y = np.random.default_rng(2).standard_normal((1, 20000)).astype(np.float32)
    with torch.no_grad():
        mag = net.stft(torch.from_numpy(y)).abs()[None, ..., :16]
        m = net.masks(mag)
    assert m.shape == (1, 4, 1, 1025, 16)
    torch.testing.assert_close(m.sum(dim=1), torch.ones_like(m[:, 0]))
    out = net.separate(y)
    assert out.shape == (4, 1, 20000)
    np.testing.assert_allclose(out.sum(axis=0), y, atol=1e-4)
    with pytest.raises(ParameterError, match="multiples"):
        MaskUNet(depth=3, chunk_frames=20)


def test_mask_unet_training_waveforms_are_what_its_masks_give():
    """``training_pair(waveforms=True)``: the estimated waveforms sum to the mixture chunk
    (the masks sum to one), are the inverse STFT of the masked mixture, and a waveform loss
    reaches the network's weights."""
    import torch

    from mirlearn.models.separation_nets import MaskUNet

    torch.manual_seed(0)
    net = MaskUNet(**TINY_MASK).eval()
    n = net.samples_for(TINY_MASK["chunk_frames"])
    src = torch.from_numpy(np.random.default_rng(3).standard_normal((2, 4, 1, n)).astype(np.float32))
    est_mag, ref_mag, est, ref = net.training_pair(src, waveforms=True)
    mag_only = net.training_pair(src)
    torch.testing.assert_close(est_mag, mag_only[0])
    torch.testing.assert_close(ref_mag, mag_only[1])
    assert est.shape == ref.shape == (2, 4, 1, n)
    torch.testing.assert_close(ref, src)
    torch.testing.assert_close(est.sum(dim=1), src.sum(dim=1), atol=1e-4, rtol=0)
    assert not torch.allclose(est, ref, atol=1e-2)  # an untrained mask is not the answer
    net.train()
    net.zero_grad()
    _, _, est, ref = net.training_pair(src, waveforms=True)
    torch.nn.functional.l1_loss(est, ref).backward()
    assert net.down[0].conv.weight.grad.abs().sum() > 0
    assert abs(net.wave_scale() - np.sqrt(np.sum(np.hanning(2049)[:-1] ** 2))) < 1e-3


def test_separation_wave_weight_is_checked_and_recorded(songs_dir, tmp_path):
    from mirlearn.data.separation import load_separation, read_song
    from mirlearn.training.separation import fit_separation_model, resolve_separation_config

    for bad in (-1, "yes", True):
        with pytest.raises(ParameterError, match="wave_weight"):
            resolve_separation_config({"wave_weight": bad})
    songs, stems = load_separation(songs_dir)
    tracks = [read_song(s, stems=stems, sr=SR) for s in songs]
    cfg = resolve_separation_config({"epochs": 1, "chunks_per_epoch": 4, "batch_size": 2, "wave_weight": 0.5,
                                     "network": TINY_MASK})
    bundle, hist, _ = fit_separation_model("mask_unet", tracks[:2], tracks[2:3], cfg, stems=stems, out_dir=tmp_path / "m",
                                           progress=False)
    assert bundle.info["wave_weight"] == 0.5 and len(hist) == 1
    with pytest.raises(ParameterError, match="waveforms already"):
        fit_separation_model("wave_u_net", tracks[:2], tracks[2:3], {**cfg, "network": TINY_WAVE}, stems=stems,
                             out_dir=tmp_path / "w", progress=False)


def test_hpss_separator_gives_drums_the_percussive_part():
    from mirlearn.inference.separate import HPSSSeparator

    s = _song(0)
    mix = sum(s.values()).astype(np.float32)[None]
    est = HPSSSeparator(stems=STEMS).separate(mix)
    assert est.shape == (4, 1, mix.shape[-1])
    np.testing.assert_array_equal(est[1], est[2])  # harmonic part for every non-drum stem
    corr = lambda a, b: abs(np.dot(a, b)) / np.linalg.norm(a) / np.linalg.norm(b)  # noqa: E731
    assert corr(est[0, 0], s["drums"]) > corr(est[1, 0], s["drums"])
    assert corr(est[1, 0], s["bass"] + s["other"] + s["vocals"]) > corr(est[0, 0], s["bass"] + s["other"] + s["vocals"])


def test_separation_config_rejects_unknown_keys():
    from mirlearn.training.separation import resolve_separation_config

    with pytest.raises(ParameterError, match="did you mean 'epochs'"):
        resolve_separation_config({"epoch": 3})
    with pytest.raises(ParameterError, match="augment key"):
        resolve_separation_config({"augment": {"remixing": 0.5}})
    with pytest.raises(ParameterError, match="loss"):
        resolve_separation_config({"loss": "sdr"})


# -- end to end ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sep_run(songs_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "sep"
    cfg = out.parent / "sep.yaml"
    cfg.write_text(json.dumps({"epochs": 2, "chunks_per_epoch": 8, "batch_size": 4, "network": TINY_WAVE, "test_size": 0.25,
                               "valid_size": 0.25}))
    r = _run("train", "--task", "separation", "--data", songs_dir, "--model", "wave_u_net", "--config", cfg, "--out", out, "--no-progress")
    assert r.returncode == 0, r.stderr[-3000:]
    return out


def test_train_separation_writes_a_run(sep_run):
    m = json.loads((sep_run / "metrics.json").read_text())
    assert m["task"] == "separation" and m["evaluation"] == "holdout by song"
    assert set(m["sdr"]) == set(STEMS) | {"mean"}
    assert len(m["songs"]) == 1 and all(np.isfinite(m["sdr"][s]) for s in STEMS)
    split = (sep_run / "split.csv").read_text().splitlines()
    assert sorted(line.rsplit(",", 2)[1] for line in split[1:]) == ["test", "train", "train", "valid"]
    assert (sep_run / "model" / "bundle.json").is_file()


def test_separate_cli_end_to_end(sep_run, songs_dir, tmp_path):
    clip = tmp_path / "mix.wav"
    y, _ = sf.read(songs_dir / "song3" / "drums.flac")
    for s in ("bass", "vocals", "other"):
        y = y + sf.read(songs_dir / "song3" / f"{s}.flac")[0]
    y = y[: SR + 777].astype(np.float32)
    sf.write(clip, y, SR, subtype="FLOAT")
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    r = _run("separate", clip, bad, "--out", tmp_path / "out", "--model", sep_run, "--no-progress")
    assert r.returncode == 0, r.stderr
    assert "skipped" in r.stderr and "bad.wav" in r.stderr
    outs = [sf.read(tmp_path / "out" / "mix" / f"{s}.wav", dtype="float32") for s in STEMS]
    assert all(sr == SR and len(x) == len(y) for x, sr in outs)
    np.testing.assert_allclose(sum(x for x, _ in outs), y, atol=1e-4)  # difference output: the stems add up to the input
    r = _run("separate", clip, "--out", tmp_path / "only", "--model", sep_run, "--stems", "drums", "--no-progress")
    assert r.returncode == 0 and [p.name for p in (tmp_path / "only" / "mix").iterdir()] == ["drums.wav"]
    r = _run("separate", clip, "--out", tmp_path / "h", "--method", "hpss", "--no-progress")
    assert r.returncode == 0 and (tmp_path / "h" / "mix" / "drums.wav").is_file()
    r = _run("separate", clip, "--out", tmp_path / "x", "--model", sep_run, "--stems", "piano")
    assert r.returncode != 0 and "piano" in r.stderr


def test_evaluate_separation_run_json_and_leaks(sep_run, songs_dir):
    r = _run("evaluate", sep_run, "--data", songs_dir, "--json")
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)
    assert set(m["sdr"]) == set(STEMS) | {"mean"} and m["n_items"] == 1
    assert m["evaluated_on"].startswith("the run's own test split")
    # the same song scores the same as in training
    trained = json.loads((sep_run / "metrics.json").read_text())
    assert m["sdr"]["drums"] == pytest.approx(trained["sdr"]["drums"], abs=1e-4)
    # a manifest that calls training songs "test" is refused: the model was fitted on them
    songs, _ = load_separation(songs_dir)
    man = sep_run.parent / "leak.csv"
    man.write_text("song,drums,bass,vocals,other,split\n" + "".join(
        f"{s.name},{s.paths['drums']},{s.paths['bass']},{s.paths['vocals']},{s.paths['other']},test\n" for s in songs))
    r = _run("evaluate", sep_run, "--data", man)
    assert r.returncode != 0 and "fit or select" in r.stderr


def test_separation_bundle_is_data_only(sep_run, tmp_path):
    import shutil

    import torch

    from mirlearn.inference.bundle import BundleError
    from mirlearn.inference.separate import load_separation_bundle

    b = load_separation_bundle(sep_run)
    assert b.stems == STEMS and b.network == "wave_u_net"
    evil = tmp_path / "evil"
    shutil.copytree(sep_run / "model", evil)
    torch.save({"weights": object()}, evil / "model.pt")  # a pickle with an arbitrary object
    with pytest.raises(BundleError, match="plain weights"):
        load_separation_bundle(evil)


def test_separation_models_need_the_task(songs_dir, tmp_path):
    r = _run("train", "--data", songs_dir, "--model", "wave_u_net", "--out", tmp_path / "x")
    assert r.returncode != 0 and "--task separation" in r.stderr


def test_separate_and_train_help():
    r = _run("separate", "--help")
    assert r.returncode == 0 and "--stems" in r.stdout and "hpss" in r.stdout
    r = _run("train", "--help")
    assert "separation" in r.stdout


def test_train_mask_unet_runs(songs_dir, tmp_path):
    from mirlearn.training.separation import train_separation

    m = train_separation(songs_dir, "mask_unet", tmp_path / "mask", progress=False, echo=lambda s: None,
                         overrides={"epochs": 1, "chunks_per_epoch": 4, "batch_size": 2, "network": TINY_MASK, "folds": 4,
                                    "final_model": False})
    assert m["evaluation"] == "4-fold cross-validation by song" and len(m["songs"]) == 4 and len(m["folds"]) == 4
    assert not (tmp_path / "mask" / "model").exists()


def test_shipped_separation_model_separates_a_song_it_never_saw(tmp_path):
    """``mirlearn separate`` without ``--model``, offline, on 8 s of a held-out song's mixture
    (MusicDelta_SpeedMetal: the shipped model's test part): the stems sum back to the input,
    and the drums and bass estimates are closer to the true stems than the mixture is."""
    from mirlearn.evaluation.separation import si_sdr
    from mirlearn.inference.separate import shipped_separation_dir

    folder = shipped_separation_dir()
    if not (folder / "bundle.json").is_file():
        pytest.fail(f"no shipped separation model in {folder}")
    card = (folder / "CARD.md").read_text()
    assert "Licence" in card and "MusicDelta_SpeedMetal" in card
    song = DATA / "mdb-stems-dev" / "MusicDelta_SpeedMetal"
    start = 5 * SR
    truth = {s: sf.read(song / f"{s}.flac", dtype="float32", frames=8 * SR, start=start)[0] for s in STEMS}
    mix = sum(truth.values())
    sf.write(tmp_path / "mix.wav", mix, SR, subtype="FLOAT")
    env = {**os.environ, "no_proxy": "*", "http_proxy": "http://0.0.0.0:9", "https_proxy": "http://0.0.0.0:9"}
    r = subprocess.run([sys.executable, "-m", "mirlearn", "separate", str(tmp_path / "mix.wav"), "--out", str(tmp_path / "out"),
                        "--no-progress"], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    est = {s: sf.read(tmp_path / "out" / "mix" / f"{s}.wav", dtype="float32")[0] for s in STEMS}
    np.testing.assert_allclose(sum(est.values()), mix, atol=1e-4)
    for s, least in (("drums", 3.0), ("bass", 5.0)):  # measured: 6.5 and 9.8 dB
        gain = si_sdr(truth[s], est[s]) - si_sdr(truth[s], mix)
        assert gain > least, (s, gain)


def test_render_stems_gives_a_separation_dataset(tmp_path):
    """Synthetic songs: four stems each, a dataset load_separation reads, the same for the
    same seed, no DC offset, and the bass lowest in frequency (TimGM6mb, which make test
    installs)."""
    from mirlearn.features.spectral import stft

    if not TIM.is_file():
        pytest.fail("TimGM6mb.sf2 missing (make test-soundfont)")
    r = _run("datasets", "render-stems", "--out", tmp_path / "a", "--songs", "2", "--seconds", "4", "--soundfont", TIM, "--no-progress")
    assert r.returncode == 0, r.stderr
    songs, stems = load_separation(tmp_path / "a")
    assert stems == STEMS and [s.name for s in songs] == ["synth_000", "synth_001"]
    for s in songs:
        x = read_song(s, stems=STEMS, sr=SR)
        assert x.shape == (4, 1, 4 * SR) and np.all(np.sqrt(np.mean(x**2, axis=(1, 2))) > 1e-3)
        assert np.abs(x.sum(axis=0)).max() == pytest.approx(0.8, abs=1e-4)
        assert np.all(np.abs(x.mean(axis=(1, 2))) < 0.01 * np.sqrt(np.mean(x**2, axis=(1, 2))))  # no DC offset
        # share of each pitched stem's energy below 300 Hz: the bass (octave 3 up) holds the most
        # (a bright slap bass still about 0.4), the vocal-range melody (octave 5 up) almost none
        low = np.fft.rfftfreq(2048, 1 / SR) < 300
        share = {n: float((np.abs(stft(x[i, 0])) ** 2)[low].sum() / (np.abs(stft(x[i, 0])) ** 2).sum()) for i, n in enumerate(STEMS)}
        assert share["bass"] > 0.3 and share["bass"] > max(share["vocals"], share["other"]) and share["vocals"] < 0.05, share
    r = _run("datasets", "render-stems", "--out", tmp_path / "b", "--songs", "2", "--seconds", "4", "--soundfont", TIM, "--no-progress")
    for name in STEMS:
        a = sf.read(tmp_path / "a" / "synth_001" / f"{name}.wav")[0]
        b = sf.read(tmp_path / "b" / "synth_001" / f"{name}.wav")[0]
        np.testing.assert_array_equal(a, b)
    r = _run("datasets", "render-stems", "--out", tmp_path / "c", "--soundfont", tmp_path / "none.sf2")
    assert r.returncode != 0 and "none.sf2" in r.stderr


def test_rendered_lines_carry_no_dc_offset():
    """Some samples carry a DC offset (TimGM6mb's Synth Bass 1 about a fifth of its RMS, the
    hi-hats of Hydrogen's TR808 kit up to two thirds): rendered General MIDI lines (synthetic
    songs and onset tracks) and loaded kit samples are high-passed at 20 Hz, and the lowest
    bass note (65 Hz) keeps its level."""
    from mirlearn.data.augment import remove_dc
    from mirlearn.data.drumkits import find_kits, load_kit
    from mirlearn.data.separation import _render_line
    from mirlearn.data.soundfont import require_tinysoundfont

    if not TIM.is_file():
        pytest.fail("TimGM6mb.sf2 missing (make test-soundfont)")
    synth = require_tinysoundfont("test").Synth(samplerate=SR)
    sfid = synth.sfload(str(TIM))
    y = _render_line(synth, sfid, 38, [(0.0, 0.9, 40, 100), (1.0, 0.9, 47, 100), (2.0, 0.9, 52, 100)], 3.0, SR)
    rms = np.sqrt(np.mean(y**2))
    assert rms > 1e-3 and max(abs(b.mean()) for b in y.reshape(3, SR)) < 0.02 * rms
    t = np.arange(2 * SR) / SR
    tone = np.sin(2 * np.pi * 65.0 * t)
    out = remove_dc(0.5 + tone, SR)[SR:]  # after the filter's settling
    assert abs(out.mean()) < 1e-3 and np.sqrt(np.mean(out**2)) == pytest.approx(np.sqrt(0.5), rel=0.03)
    checked = 0
    for kit in find_kits():  # every installed kit, hydrogen-drumkits' too where installed
        for label, samples in load_kit(kit, sr=SR)[0].items():
            for x in samples:
                # a mean over less than two periods of the 20 Hz cut-off is a click's low end, not an offset
                # (Audiophob's 17 ms stick: 6 % of its RMS)
                if len(x) >= 0.1 * SR:
                    assert abs(x.mean()) < 0.05 * np.sqrt(np.mean(x**2)), (kit.name, label)
                    checked += 1
    assert checked > 20


def test_early_stopping_never_sees_the_test_song(songs_dir, tmp_path):
    """The test song's references changed (its vocals and other stems swapped: the same mixture,
    other answers) change its score, never the trained weights: early stopping and the best
    checkpoint follow the validation song alone."""
    cfg = tmp_path / "sep.yaml"
    cfg.write_text(json.dumps({"epochs": 3, "patience": 1, "chunks_per_epoch": 8, "batch_size": 4, "network": TINY_WAVE}))
    split = {"song0": "train", "song1": "train", "song2": "valid", "song3": "test"}
    runs = []
    for swapped in (False, True):
        rows = ["song,vocals,drums,bass,other,split"]
        for song, part in split.items():
            d = songs_dir / song
            v, o = (d / "other.flac", d / "vocals.flac") if swapped and part == "test" else (d / "vocals.flac", d / "other.flac")
            rows.append(f"{song},{v},{d / 'drums.flac'},{d / 'bass.flac'},{o},{part}")
        man = tmp_path / f"songs{int(swapped)}.csv"
        man.write_text("\n".join(rows) + "\n")
        out = tmp_path / f"run{int(swapped)}"
        r = _run("train", "--task", "separation", "--data", man, "--model", "wave_u_net", "--config", cfg, "--out", out, "--no-progress")
        assert r.returncode == 0, r.stderr[-3000:]
        runs.append(out)
    a, b = (json.loads((r / "metrics.json").read_text()) for r in runs)
    assert a["sdr"]["vocals"] != b["sdr"]["vocals"]  # the test references are read, for scoring
    assert (runs[0] / "model" / "model.pt").read_bytes() == (runs[1] / "model" / "model.pt").read_bytes()
    assert json.loads((runs[0] / "history.json").read_text()) == json.loads((runs[1] / "history.json").read_text())
