"""Batch extraction: bad files, the cache, resuming after a kill, Dask, worker pools."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

import mirlearn
from mirlearn.extraction import ExtractionConfig, FeatureStore, discover, extract_files

from .conftest import GTZAN, require_data

SR = 22050
FEATS = ("mfcc", "chroma_stft", "spectral_centroid", "rms")


def _bad_folder(root: Path, n_good=2):
    """Good clips plus a corrupt MP3, a zero-byte WAV, a text file named .wav, 1 s of silence
    and a clip shorter than one frame."""
    require_data(GTZAN)
    root.mkdir(parents=True, exist_ok=True)
    goods = sorted((GTZAN / "blues").glob("*.flac"))[:n_good]
    for g in goods:
        # a 5 s excerpt keeps the test fast; still real audio
        y, sr = mirlearn.load(g, duration=5.0)
        sf.write(root / f"{g.stem}.flac", y, sr)
    tone = (0.3 * np.sin(2 * np.pi * 330 * np.arange(SR * 2) / SR)).astype(np.float32)
    sf.write(root / "tone.mp3", tone, SR, format="MP3")
    data = (root / "tone.mp3").read_bytes()
    noise = np.random.default_rng(0).integers(0, 256, len(data) - 100, dtype=np.uint8).tobytes()
    (root / "corrupt.mp3").write_bytes(data[:100] + noise)
    (root / "empty.wav").write_bytes(b"")
    (root / "readme.wav").write_text("not audio at all\n")
    sf.write(root / "silence.wav", np.zeros(SR, np.float32), SR)
    sf.write(root / "blip.wav", tone[:300], SR)  # shorter than one frame
    return root


EXPECTED_BAD = {
    "corrupt.mp3": "cannot decode audio, the file is corrupt",
    "empty.wav": "file is empty (0 bytes)",
    "readme.wav": "not an audio file (it holds text)",
}


@pytest.fixture(scope="module")
def bad_folder(tmp_path_factory):
    return _bad_folder(tmp_path_factory.mktemp("batch") / "music")


def _check_report(report):
    by_name = {Path(r.path).name: r for r in report.results}
    assert len(by_name) == 8
    for name, reason in EXPECTED_BAD.items():
        assert by_name[name].status == "error"
        assert reason in by_name[name].reason
    for name in ("blues.00000.flac", "blues.00001.flac", "tone.mp3", "silence.wav", "blip.wav"):
        assert by_name[name].status in ("ok", "cached"), (name, by_name[name].reason)
    assert any("silent" in w for w in by_name["silence.wav"].warnings)
    assert any("shorter than one frame" in w for w in by_name["blip.wav"].warnings)
    text = report.describe()
    for name, reason in EXPECTED_BAD.items():
        assert f"{name}: {reason}" in text


def test_bad_files_are_reported_and_skipped(bad_folder, tmp_path):
    config = ExtractionConfig(features=FEATS)
    report = extract_files(discover([bad_folder]), tmp_path / "out", config, n_jobs=2, progress=False)
    _check_report(report)
    assert report.n_ok == 5 and report.n_cached == 0
    log = (tmp_path / "out" / "extract.log").read_text()
    for name, reason in EXPECTED_BAD.items():
        assert f"{name}\t{reason}" in log
    index = pd.read_parquet(tmp_path / "out" / "index.parquet")
    assert set(index["status"]) == {"ok", "error"}
    summaries = pd.read_parquet(tmp_path / "out" / "summaries.parquet")
    assert len(summaries) == 5
    assert "mfcc_03_mean" in summaries.columns and "rms_std" in summaries.columns

    # the stored frame-level features are the engine's numbers, memory-mapped
    store = FeatureStore(tmp_path / "out")
    path = str(bad_folder / "blues.00000.flac")
    mfcc = store.load(path, "mfcc")
    assert isinstance(mfcc, np.memmap)
    y, sr = mirlearn.load(path, sr=22050)
    # (equal up to BLAS summation order: workers run single-threaded BLAS)
    np.testing.assert_allclose(mfcc, mirlearn.extract(y, sr=sr, features=["mfcc"])["mfcc"], rtol=1e-5, atol=1e-4)

    # the second run computes nothing and gives the same tables
    again = extract_files(discover([bad_folder]), tmp_path / "out", config, n_jobs=1, progress=False)
    assert again.n_cached == 5
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out" / "summaries.parquet"), summaries)


def test_cache_key_depends_on_config_and_content(bad_folder, tmp_path):
    files = [bad_folder / "blues.00000.flac"]
    a = extract_files(files, tmp_path, ExtractionConfig(features=("rms",)), n_jobs=1, progress=False)
    b = extract_files(files, tmp_path, ExtractionConfig(features=("rms",), params={"hop_length": 256}), n_jobs=1, progress=False)
    assert b.results[0].status == "ok" and a.results[0].key != b.results[0].key
    # same bytes under another name: found in the cache
    copy = tmp_path / "copy.flac"
    shutil.copy(files[0], copy)
    c = extract_files([copy], tmp_path, ExtractionConfig(features=("rms",)), n_jobs=1, progress=False)
    assert c.results[0].status == "cached"


def _cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "mirlearn", *args], capture_output=True, text=True, **kw)


def test_cli_exit_codes(bad_folder, tmp_path):
    r = _cli("extract", str(bad_folder), "--out", str(tmp_path / "o"), "--features", "rms,mfcc", "--no-progress", "-j", "2")
    assert r.returncode == 0, r.stderr
    assert "3 failed" in r.stdout and "empty.wav: file is empty (0 bytes)" in r.stdout
    r = _cli("extract", str(bad_folder), "--out", str(tmp_path / "o"), "--features", "rms,mfcc", "--no-progress", "--strict")
    assert r.returncode == 1
    only_bad = tmp_path / "only_bad"
    only_bad.mkdir()
    (only_bad / "x.wav").write_bytes(b"")
    r = _cli("extract", str(only_bad), "--out", str(tmp_path / "o2"), "--no-progress")
    assert r.returncode == 1 and "0 computed" in r.stdout
    r = _cli("extract", str(bad_folder), "--out", str(tmp_path / "o3"), "--features", "mfccs")
    assert r.returncode == 2 and "unknown feature name(s) 'mfccs'" in r.stderr
    r = _cli("extract", str(bad_folder), "--out", str(tmp_path / "o3"), "--param", "n_mfccs=3")
    assert r.returncode == 2 and "unknown parameter 'n_mfccs'" in r.stderr


def test_manifest_input(bad_folder, tmp_path):
    m = tmp_path / "list.csv"
    m.write_text(f"path,label\n{bad_folder / 'blues.00000.flac'},blues\n{bad_folder / 'tone.mp3'},tone\n")
    assert [p.name for p in discover([m])] == ["blues.00000.flac", "tone.mp3"]
    bad = tmp_path / "bad.csv"
    bad.write_text("file,label\na.wav,x\n")
    with pytest.raises(mirlearn.ParameterError, match="needs a 'path' column"):
        discover([bad])
    with pytest.raises(mirlearn.ParameterError, match="does not exist"):
        discover([tmp_path / "nowhere"])


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_result(tmp_path):
    require_data(GTZAN)
    files = sorted(GTZAN.glob("*/*.00000.flac"))[:8]
    manifest = tmp_path / "files.txt"
    manifest.write_text("\n".join(map(str, files)) + "\n")
    args = ["extract", str(manifest), "--features", "mfcc,chroma_stft,spectral_contrast", "--no-progress", "-j", "1"]

    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "mirlearn", *args, "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    store = out / "store"
    deadline = time.time() + 120
    while time.time() < deadline:
        if store.exists() and len([p for p in store.iterdir() if not p.name.startswith(".")]) >= 2:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = {p.name for p in store.iterdir() if not p.name.startswith(".")}
    assert 2 <= len(done_before) < len(files), "the run should have been killed midway"

    r = _cli(*args, "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert f"{len(done_before)} from cache" in r.stdout

    fresh = tmp_path / "fresh"
    r = _cli(*args, "--out", str(fresh))
    assert r.returncode == 0, r.stderr
    a = pd.read_parquet(out / "summaries.parquet").sort_values("path", ignore_index=True)
    b = pd.read_parquet(fresh / "summaries.parquet").sort_values("path", ignore_index=True)
    pd.testing.assert_frame_equal(a, b)
    for f in files:
        np.testing.assert_array_equal(FeatureStore(out).load(str(f), "mfcc"), FeatureStore(fresh).load(str(f), "mfcc"))


@pytest.mark.slow
def test_sigterm_stops_cleanly_and_keeps_work(tmp_path):
    require_data(GTZAN)
    files = sorted(GTZAN.glob("*/*.0000[12].flac"))[:10]
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mirlearn", "extract", *map(str, files), "--out", str(out), "--no-progress", "-j", "2",
         "--features", "mfcc,spectral_contrast,chroma_stft"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    # wait until the parent has recorded a finished file (a worker's store entry alone can
    # land before the parent hears of it; then nothing is in this run's tables yet)
    log = out / "extract.log"
    deadline = time.time() + 120
    while time.time() < deadline and not (log.exists() and "OK\t" in log.read_text(errors="replace")):
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "resume" in err
    index = pd.read_parquet(out / "index.parquet")
    assert 1 <= len(index) < len(files)
    r = _cli("extract", *map(str, files), "--out", str(out), "--no-progress", "--features", "mfcc,spectral_contrast,chroma_stft")
    assert r.returncode == 0 and f"{len(files)} file(s)" in r.stdout


@pytest.mark.slow
def test_dask_local_cluster(bad_folder, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        r = _cli(
            "extract", str(bad_folder), "--out", str(tmp_path / "dask"), "--features", ",".join(FEATS),
            "--no-progress", "--scheduler", cluster.scheduler_address,
        )
    assert r.returncode == 0, r.stderr
    assert "3 failed" in r.stdout and "readme.wav: not an audio file" in r.stdout
    local = extract_files(discover([bad_folder]), tmp_path / "local", ExtractionConfig(features=FEATS), n_jobs=1, progress=False)
    _check_report(local)
    a = pd.read_parquet(tmp_path / "dask" / "summaries.parquet").sort_values("path", ignore_index=True)
    b = pd.read_parquet(tmp_path / "local" / "summaries.parquet").sort_values("path", ignore_index=True)
    pd.testing.assert_frame_equal(a, b)
