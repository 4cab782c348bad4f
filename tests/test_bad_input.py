"""Runs that lose nothing under bad input (issue #7), with real files and processes."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from .conftest import GTZAN, cli, require_data


@pytest.fixture(scope="module")
def odd_names(tmp_path_factory):
    """Two class folders of real clips; one file name is not valid UTF-8 (b'zz\\xe9.flac')."""
    require_data(GTZAN)
    root = tmp_path_factory.mktemp("odd")
    for genre, cls in (("blues", "a"), ("metal", "b")):
        (root / cls).mkdir()
        for f in sorted((GTZAN / genre).glob("*.flac"))[:3]:
            shutil.copy(f, root / cls / f.name)
    odd = os.fsdecode(os.fsencode(str(root / "a")) + b"/zz\xe9.flac")
    shutil.copy(sorted((GTZAN / "blues").glob("*.flac"))[3], odd)
    return root, odd


def test_a_file_name_that_is_not_utf8_goes_through_extract_train_predict_evaluate(odd_names, env, tmp_path):
    root, odd = odd_names
    r = cli(env, "extract", root, "--out", tmp_path / "x", "--jobs", "2", "--no-progress", "--strict")
    assert r.returncode == 0, r.stderr
    index = pd.read_parquet(tmp_path / "x" / "index.parquet")
    assert os.fsencode(odd) in set(index["path_bytes"]) and len(index) == 7
    assert "zz\\xe9.flac" in " ".join(index["path"])  # readable, valid UTF-8
    from mirlearn.extraction import FeatureStore

    assert FeatureStore(tmp_path / "x").load(odd, "mfcc").shape[0] == 20
    assert os.fsencode(odd) in (tmp_path / "x" / "extract.log").read_bytes()  # the log names it exactly

    run = tmp_path / "run"
    r = cli(env, "train", "--data", root, "--model", "knn", "--out", run, "--no-progress")
    assert r.returncode == 0, r.stderr
    split = (run / "split.csv").read_bytes()
    assert os.fsencode(odd) in split  # the exact name, so evaluate can match it
    r = cli(env, "predict", run, odd, "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)[0]["path"] == odd
    r = cli(env, "evaluate", run, "--data", root, "--split", "all", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["n_items"] == 7


def test_dask_gets_absolute_paths_and_a_bad_address_is_a_clear_error(odd_names, tmp_path):
    """The workers of a Dask cluster run in another folder than the client: relative
    inputs and --out must reach them resolved (they once wrote the store into their own
    folder while the client reported success)."""
    import subprocess
    import sys

    distributed = pytest.importorskip("distributed")
    root, _ = odd_names
    work = tmp_path / "client"
    shutil.copytree(root / "b", work / "clips")
    cmd = [sys.executable, "-m", "mirlearn", "extract", "clips", "--out", "out", "--features", "rms", "--no-progress"]
    elsewhere = tmp_path / "workers"
    elsewhere.mkdir()
    here = os.getcwd()
    os.chdir(elsewhere)  # the workers start here
    try:
        with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            r = subprocess.run(cmd + ["--scheduler", cluster.scheduler_address], cwd=work, capture_output=True, text=True)
    finally:
        os.chdir(here)
    assert r.returncode == 0, r.stderr
    assert "3 computed" in r.stdout
    assert len([p for p in (work / "out" / "store").iterdir() if not p.name.startswith(".")]) == 3
    assert not any(elsewhere.iterdir())  # nothing written where the workers run
    r = subprocess.run(cmd + ["--scheduler", "foo:bar"], cwd=work, capture_output=True, text=True)
    assert r.returncode == 2 and "is not a scheduler address" in r.stderr and "Traceback" not in r.stderr


def test_predict_carries_warnings_for_silence_tiny_and_truncated_audio(odd_names, env, tmp_path):
    import numpy as np
    import soundfile as sf

    root, _ = odd_names
    run = tmp_path / "run"
    assert cli(env, "train", "--data", root, "--model", "knn", "--out", run, "--no-progress").returncode == 0
    sr = 22050
    silent, tiny, full, cut = (tmp_path / n for n in ("silent.wav", "tiny.wav", "full.wav", "cut.wav"))
    sf.write(silent, np.zeros(3 * sr, np.float32), sr)
    sf.write(tiny, 0.1 * np.ones(sr // 100, np.float32), sr)  # 10 ms
    sf.write(full, 0.1 * np.random.default_rng(0).standard_normal(3 * sr).astype(np.float32), sr, subtype="PCM_16")
    cut.write_bytes(full.read_bytes()[: 44 + 2 * sr])  # the header says 3 s; 1 s is there
    r = cli(env, "predict", run, silent, tiny, cut, full, "--format", "json")
    assert r.returncode == 0, r.stderr
    out = {e["path"]: e for e in json.loads(r.stdout)}
    assert any("silent" in w for w in out[str(silent)]["warnings"])
    assert any("shorter than one frame" in w for w in out[str(tiny)]["warnings"])
    assert any("truncated" in w and "3.000 s" in w and "1.000 s" in w for w in out[str(cut)]["warnings"])
    assert out[str(full)]["warnings"] == []
    r = cli(env, "predict", run, silent)
    assert "(warning:" in r.stdout and "silent" in r.stdout
    r = cli(env, "predict", run, cut, "--format", "csv")
    assert r.stdout.splitlines()[0].endswith(",error,warnings") and "truncated" in r.stdout


def test_a_rerun_deletes_what_a_killed_run_left_half_written_and_keeps_the_rest(odd_names, tmp_path):
    """Temporary entries and tables of a dead process of this machine go; those of a live
    process, of another machine (shared filesystem) and untagged names stay."""
    import subprocess
    import sys

    from mirlearn.extraction import ExtractionConfig, extract_files
    from mirlearn.fileio import owner_tag

    root, _ = odd_names
    files = sorted((root / "b").glob("*.flac"))
    cfg = ExtractionConfig(features=("rms",))
    out = tmp_path / "x"
    extract_files(files, out, cfg, n_jobs=1, progress=False)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_tag = owner_tag().replace(f"~{os.getpid()}~", f"~{int(dead.stdout)}~")
    other_host = "~00000000~1~" if not owner_tag().startswith("~00000000~") else "~11111111~1~"
    leftovers = {
        out / "store" / f".tmp-abc{dead_tag}1234": False,
        out / "store" / f".broken-abc{dead_tag}5678": False,
        out / f".index.parquet.{dead_tag}q1w2.tmp": False,
        out / "store" / f".tmp-abc{owner_tag()}9abc": True,  # this live process
        out / "store" / f".tmp-abc{other_host}def0": True,
        out / "store" / ".tmp-untagged-1234": True,
        out / "store" / f".tmp-abc{owner_tag().split('~')[1].join('~~')}{'9' * 30}~0000": True,  # no such pid
    }
    for path, _ in leftovers.items():
        if path.suffix == ".tmp":
            path.write_bytes(b"half")
        else:
            path.mkdir()
            (path / "mfcc.npy").write_bytes(b"\x93NUMPY half")
    again = extract_files(files, out, cfg, n_jobs=1, progress=False)
    assert {r.status for r in again.results} == {"cached"}
    assert {p.name: p.exists() for p in leftovers} == {p.name: kept for p, kept in leftovers.items()}


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")
def test_a_killed_writer_not_yet_reaped_counts_as_dead(tmp_path):
    """A pool worker killed with its run is a zombie until reaped; its leftovers go all the same."""
    import signal
    import subprocess
    import sys

    from mirlearn.fileio import owner_tag, remove_leftovers

    p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    os.kill(p.pid, signal.SIGKILL)
    deadline = __import__("time").monotonic() + 10
    while not Path(f"/proc/{p.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":  # killed, not reaped
        assert __import__("time").monotonic() < deadline
    tag = owner_tag().replace(f"~{os.getpid()}~", f"~{p.pid}~")
    (tmp_path / f".tmp-x{tag}0000").mkdir()
    try:
        assert remove_leftovers(tmp_path) == [f".tmp-x{tag}0000"]
    finally:
        p.wait()


@pytest.mark.parametrize("damage", ["cut meta.json", "cut npy", "delete npy"])
def test_a_damaged_cache_entry_is_recomputed(odd_names, tmp_path, damage):
    from mirlearn.extraction import ExtractionConfig, FeatureStore, extract_files

    root, _ = odd_names
    files = sorted((root / "b").glob("*.flac"))
    cfg = ExtractionConfig(features=("mfcc", "rms"))
    first = extract_files(files, tmp_path / "x", cfg, n_jobs=1, progress=False)
    entry = tmp_path / "x" / "store" / first.results[0].key
    if damage == "cut meta.json":
        (entry / "meta.json").write_text((entry / "meta.json").read_text()[:40])
    elif damage == "cut npy":
        f = entry / "mfcc.npy"
        f.write_bytes(f.read_bytes()[:1000])
    else:
        (entry / "rms.npy").unlink()
    again = extract_files(files, tmp_path / "x", cfg, n_jobs=1, progress=False)
    assert [r.status for r in again.results] == ["ok", "cached", "cached"]
    assert "were damaged" in again.results[0].warnings[0] and "recomputed" in again.results[0].warnings[0]
    mfcc = FeatureStore(tmp_path / "x").load(files[0], "mfcc")
    assert mfcc.shape == (20, first.results[0].n_frames)
    assert first.results[0].summary == again.results[0].summary


def test_a_dangling_symlink_is_reported_not_skipped_silently(odd_names, env, tmp_path):
    root, _ = odd_names
    data = tmp_path / "data"
    shutil.copytree(root, data)
    (data / "b" / "gone.flac").symlink_to(tmp_path / "nowhere.flac")
    r = cli(env, "extract", data, "--out", tmp_path / "x", "--features", "rms", "--no-progress")
    assert r.returncode == 0, r.stderr
    assert "gone.flac: broken symbolic link" in r.stdout and "1 failed" in r.stdout
    r = cli(env, "train", "--data", data, "--model", "knn", "--out", tmp_path / "run", "--no-progress")
    assert r.returncode == 0, r.stderr
    assert "broken symbolic link(s) left out" in r.stdout and "gone.flac" in r.stdout
    skipped = json.loads((tmp_path / "run" / "metrics.json").read_text())["skipped"]
    assert any(s["path"].endswith("gone.flac") and "broken symbolic link" in s["reason"] for s in skipped)


def test_evaluate_matches_the_run_split_whatever_the_spelling_of_the_paths(odd_names, env, tmp_path):
    root, _ = odd_names
    run = tmp_path / "run"
    assert cli(env, "train", "--data", root, "--model", "knn", "--out", run, "--no-progress").returncode == 0
    from mirlearn.fileio import read_csv

    split = read_csv(run / "split.csv")
    # a manifest is UTF-8 text: leave out the file whose name is not (see test_data's encodings)
    keep = [i for i, p in enumerate(split["path"]) if "\udce9" not in p]
    split = {k: [v[i] for i in keep] for k, v in split.items()}
    n_test = split["split"].count("test")
    assert n_test > 0
    # the same files, spelt through a symlinked folder and with ./ and ../ detours
    alias = tmp_path / "alias"
    alias.symlink_to(root)
    rows = [f"{alias}/./{os.path.relpath(p, root)},{lab}" for p, lab in zip(split["path"], split["labels"])]
    rows = [r.replace("/a/", "/b/../a/", 1) for r in rows]
    m = tmp_path / "m.csv"
    m.write_text("path,label\n" + "\n".join(rows) + "\n")
    r = cli(env, "evaluate", run, "--data", m, "--split", "test", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["n_items"] == n_test  # the run's test items, not every item


def test_tables_list_every_stored_file_across_runs(odd_names, tmp_path):
    from mirlearn.extraction import ExtractionConfig, extract_files

    root, _ = odd_names
    a, b = sorted((root / "a").glob("blues*.flac")), sorted((root / "b").glob("*.flac"))
    cfg = ExtractionConfig(features=("rms",))
    out = tmp_path / "x"
    extract_files(a, out, cfg, n_jobs=1, progress=False)
    extract_files(b, out, cfg, n_jobs=1, progress=False)
    index = pd.read_parquet(out / "index.parquet")
    assert len(index) == 6 and set(index["status"]) == {"ok"}
    assert len(pd.read_parquet(out / "summaries.parquet")) == 6
    # files that now fail lose their summaries: a run where every file fails leaves no stale table
    copies = tmp_path / "c"
    copies.mkdir()
    paths = [copies / f.name for f in b]
    for f, p in zip(b, paths):
        shutil.copy(f, p)
    extract_files(paths, tmp_path / "y", cfg, n_jobs=1, progress=False)
    assert len(pd.read_parquet(tmp_path / "y" / "summaries.parquet")) == 3
    for p in paths:
        p.write_bytes(b"RIFF" + bytes(100))  # the same paths, now corrupt
    report = extract_files(paths, tmp_path / "y", cfg, n_jobs=1, progress=False)
    assert [r.status for r in report.results] == ["error"] * 3
    assert not (tmp_path / "y" / "summaries.parquet").exists()
    assert set(pd.read_parquet(tmp_path / "y" / "index.parquet")["status"]) == {"error"}


def test_workers_die_with_a_killed_extract(tmp_path):
    """SIGKILL of the main process (no clean-up runs in it) leaves no worker running."""
    import signal
    import subprocess
    import sys
    import time

    from .conftest import DATA

    require_data(DATA / "bock-onsets-dev")
    files = sorted((DATA / "bock-onsets-dev" / "audio").glob("*.flac"))
    p = subprocess.Popen([sys.executable, "-m", "mirlearn", "extract", *map(str, files), "--out", str(tmp_path / "x"),
                          "--jobs", "2", "--no-progress"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(workers) < 2:
        time.sleep(0.2)
        out = subprocess.run(["pgrep", "-P", str(p.pid)], capture_output=True, text=True).stdout.split()
        workers = [int(w) for w in out]
    assert len(workers) >= 2, "the workers did not start"
    time.sleep(1.0)  # let them get to work
    p.send_signal(signal.SIGKILL)
    p.wait()
    deadline = time.monotonic() + 10
    alive = workers
    while time.monotonic() < deadline and alive:
        time.sleep(0.2)
        alive = [w for w in alive if os.path.exists(f"/proc/{w}") and "zombie" not in _state(w)]
    assert not alive, f"workers {alive} outlived their parent"


def _state(pid):
    try:
        with open(f"/proc/{pid}/status") as fh:
            return next((ln for ln in fh if ln.startswith("State:")), "").lower()
    except OSError:
        return "zombie"


def test_unwritable_outputs_are_refused_before_any_work(odd_names, env, tmp_path):
    root, _ = odd_names
    a_file = tmp_path / "afile"
    a_file.write_text("x")
    r = cli(env, "extract", root, "--out", a_file, "--no-progress")
    assert r.returncode == 2 and "it exists and is not a folder" in r.stderr
    r = cli(env, "extract", root, "--out", "/proc/mirlearn-test-out", "--no-progress")  # a read-only filesystem
    assert r.returncode == 2 and "cannot write the features into '/proc/mirlearn-test-out'" in r.stderr
    r = cli(env, "train", "--data", root, "--model", "knn", "--out", "/proc/mirlearn-test/run", "--no-progress")
    assert r.returncode == 2 and "cannot write the run directory" in r.stderr and "features of" not in r.stdout
    r = cli(dict(env, MIRLEARN_CACHE="/proc/mirlearn-test-cache"), "train", "--data", root, "--model", "knn",
            "--out", tmp_path / "run", "--no-progress")
    assert r.returncode == 2 and "--cache or $MIRLEARN_CACHE" in r.stderr
    assert not (tmp_path / "run").exists()


def test_a_read_only_cache_serves_what_it_holds(odd_names, monkeypatch, tmp_path):
    """(Simulated: the tests may run as root, for whom no folder is read-only.)"""
    from mirlearn.extraction import ExtractionConfig, extract_files
    from mirlearn.extraction import run as extraction_run

    root, _ = odd_names
    files = sorted((root / "b").glob("*.flac"))
    cfg = ExtractionConfig(features=("rms",))
    out = tmp_path / "cache"
    extract_files(files[:2], out, cfg, n_jobs=1, progress=False)
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.is_file()}
    monkeypatch.setattr(extraction_run, "writable_dir", lambda path: (False, "Read-only file system"))
    report = extract_files(files, out, cfg, n_jobs=2, progress=False)
    assert [r.status for r in report.results] == ["cached", "cached", "error"]
    assert "is read-only and its features are not in it" in report.results[2].reason
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.is_file()} == before  # nothing written


def test_a_failed_rerun_leaves_the_run_directory_as_it_was(odd_names, env, tmp_path):
    root, _ = odd_names
    run = tmp_path / "run"
    assert cli(env, "train", "--data", root, "--model", "knn", "--out", run, "--no-progress").returncode == 0
    before = {p.relative_to(run): p.read_bytes() for p in run.rglob("*") if p.is_file()}
    r = cli(env, "train", "--data", root, "--model", "logreg", "--out", run, "--overwrite", "--folds", "40", "--no-progress")
    assert r.returncode == 2  # too few items for 40 folds
    after = {p.relative_to(run): p.read_bytes() for p in run.rglob("*") if p.is_file()}
    assert after == before  # config.yaml still names knn, and the knn model is still there
    assert "model: knn" in (run / "config.yaml").read_text()


@pytest.mark.slow
def test_kills_at_five_moments_never_leave_an_unreadable_table_and_resume_exactly(tmp_path):
    """SIGKILL of extract's whole process group at 5 moments (4 random, 1 while the index
    table is being written); after each, a re-run gives the tables and arrays of an
    uninterrupted run, and no table is ever unreadable."""
    import signal
    import subprocess
    import sys
    import time

    import numpy as np
    import pyarrow.parquet as pq
    import soundfile as sf

    from .conftest import synthetic_clip

    rng = np.random.default_rng(7)
    clips = tmp_path / "clips"
    clips.mkdir()
    for i in range(16):
        sf.write(clips / f"c{i:02d}.wav", synthetic_clip(["tone", "noise", "clicks"][i % 3], rng, seconds=20.0), 22050)
    base = [sys.executable, "-m", "mirlearn", "extract", str(clips), "--features", "mfcc,chroma_stft,rms", "--jobs", "2",
            "--no-progress"]

    def run(out, env=None):
        return subprocess.run(base + ["--out", str(out)], capture_output=True, text=True, env=env, timeout=300)

    def snapshot(out):
        index = pq.read_table(out / "index.parquet").to_pydict()
        rows = sorted(zip(index["path"], index["status"], index["key"], index["n_frames"]))
        rows = [(p, "ok" if s == "cached" else s, k, n) for p, s, k, n in rows]
        summaries = pq.read_table(out / "summaries.parquet").to_pydict()
        arrays = {p.relative_to(out): np.load(p) for p in sorted((out / "store").glob("*/*.npy"))}
        return rows, summaries, arrays

    assert run(tmp_path / "reference").returncode == 0
    ref_rows, ref_summaries, ref_arrays = snapshot(tmp_path / "reference")
    moments = list(rng.uniform(0.3, 4.0, size=4)) + ["tables"]
    slow_tables = dict(os.environ, MIRLEARN_TEST_TABLE_DELAY="2")
    for k, moment in enumerate(moments):
        out = tmp_path / f"killed{k}"
        p = subprocess.Popen(base + ["--out", str(out)], env=slow_tables, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if moment == "tables":  # wait until the index is being written, then kill
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not list(out.glob(".index.parquet.*.tmp")):
                time.sleep(0.02)
            assert list(out.glob(".index.parquet.*.tmp")), "never reached the table writing"
        else:
            time.sleep(moment)
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        for table in ("index.parquet", "summaries.parquet"):
            if (out / table).exists():
                pq.read_table(out / table)  # never torn
        r = run(out)
        assert r.returncode == 0, r.stderr
        hidden = [f.name for f in (*out.glob(".*"), *(out / "store").glob(".*"))]
        assert hidden in ([], [".tables.lock"]), hidden  # the kill's half-written leftovers are gone
        rows, summaries, arrays = snapshot(out)
        assert rows == ref_rows
        assert summaries == ref_summaries
        assert arrays.keys() == ref_arrays.keys()
        for name, a in arrays.items():
            np.testing.assert_array_equal(a, ref_arrays[name])
