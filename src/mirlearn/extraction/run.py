"""Batch feature extraction: parallel, cached, resumable.

For every audio file, :func:`extract_files` decodes it once, computes the requested
features with :func:`mirlearn.extract` and their summaries with
:func:`mirlearn.summarize`, and stores them under ``OUT/store/<key>/``, where ``key`` is
a hash of the file's bytes and of the feature configuration (a content-addressed cache).
An entry is written to a temporary folder and renamed into place, so an interrupted run
leaves either a whole entry or none, and a re-run skips every finished file and deletes
the temporary folders a killed run left behind (see :func:`mirlearn.fileio.remove_leftovers`).

At the end, ``OUT/index.parquet`` lists every input (path, status, reason, key, frame
count) and ``OUT/summaries.parquet`` holds one row of summary statistics per good file;
``OUT/extract.log`` records every file's outcome. Features are ``.npy`` files, one per
feature and track, that :class:`FeatureStore` opens memory-mapped.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
import traceback
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._version import __version__
from ..errors import AudioError, MirlearnError, ParameterError
from ..features import DEFAULT_FEATURES, resolve_params
from ..fileio import atomic_path, atomic_write_text, display_path, owner_tag, remove_leftovers, writable_dir

__all__ = ["ExtractionConfig", "ExtractionReport", "FileResult", "extract_files", "FeatureStore", "process_file"]

#: Bumped whenever a change makes stored features differ; part of every cache key.
#: 2: mirlearn's own CQT replaced librosa's (float32-rounding differences).
STORE_VERSION = 2

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS", "NUMBA_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


@dataclass(frozen=True)
class ExtractionConfig:
    """What to compute for each file. Part of the cache key."""

    features: tuple = DEFAULT_FEATURES
    params: dict = field(default_factory=dict)
    sr: float | None = 22050
    stats: tuple = ("mean", "std")
    deltas: bool = False
    #: also store the decoded mono signal, ``audio.npy`` ``(1, n_samples)``, for models that
    #: read waveforms (torch front-ends, sample-level CNNs)
    keep_audio: bool = False

    def validate(self):
        resolve_params(self.features, self.params)  # raises ParameterError on bad names
        from ..features.summary import _check_stats

        _check_stats(self.stats)
        if self.sr is not None and not (np.isscalar(self.sr) and self.sr > 0):
            raise ParameterError(f"sr must be a positive number or None (native rate), got {self.sr!r}")
        return self

    def to_json(self):
        return {
            "features": list(self.features),
            "params": {k: _jsonable(v) for k, v in sorted(self.params.items())},
            "sr": self.sr,
            "stats": list(self.stats),
            "deltas": self.deltas,
            "store_version": STORE_VERSION,
        } | ({"keep_audio": True} if self.keep_audio else {})  # absent when False: older cache keys stay valid

    def digest(self):
        """The configuration's part of every cache key: the features with every parameter
        resolved (defaults included, so that a changed default changes the key), the
        sampling rate, the summaries and :data:`STORE_VERSION`."""
        resolved = {
            f: {k: _jsonable(v) for k, v in sorted(p.items())} for f, p in resolve_params(self.features, self.params).items()
        }
        blob = dict(self.to_json(), resolved=resolved, mono=True)
        return hashlib.sha256(json.dumps(blob, sort_keys=True, default=repr).encode()).hexdigest()


def _jsonable(v):
    if isinstance(v, float) and not np.isfinite(v):
        return repr(v)
    if isinstance(v, (tuple, list)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v


@dataclass
class FileResult:
    """Outcome of one file: ``status`` is ``'ok'``, ``'cached'`` or ``'error'``."""

    path: str
    status: str
    key: str | None = None
    reason: str | None = None
    n_frames: int | None = None
    duration: float | None = None
    warnings: list = field(default_factory=list)
    summary: dict | None = None


@dataclass
class ExtractionReport:
    """Everything a batch did; ``results`` in input order."""

    out: Path
    results: list
    seconds: float

    @property
    def n_ok(self):
        return sum(r.status in ("ok", "cached") for r in self.results)

    @property
    def n_cached(self):
        return sum(r.status == "cached" for r in self.results)

    @property
    def failures(self):
        return [r for r in self.results if r.status == "error"]

    def describe(self):
        n = len(self.results)
        lines = [
            f"{n} file(s) in {self.seconds:.1f} s: {self.n_ok - self.n_cached} computed, "
            f"{self.n_cached} from cache, {len(self.failures)} failed",
        ]
        if self.failures:
            lines.append("failed files:")
            lines += [f"  {r.path}: {r.reason}" for r in self.failures]
        warned = [r for r in self.results if r.warnings]
        if warned:
            lines.append("warnings:")
            lines += [f"  {r.path}: {w}" for r in warned for w in r.warnings]
        lines.append(f"features: {self.out / 'store'}  index: {self.out / 'index.parquet'}  "
                     f"summaries: {self.out / 'summaries.parquet'}  log: {self.out / 'extract.log'}")
        return "\n".join(lines)


def process_file(path, config, store_dir, *, read_only=False):
    """Extract one file into the store; never raises for a bad file. ``read_only``: only
    look the file up in the store (a read-only cache); a file not in it is an error result.

    Returns
    -------
    FileResult
    """
    from .. import audio, features

    path = str(path)
    try:
        try:
            data = Path(path).read_bytes()
        except FileNotFoundError:
            if os.path.islink(path):
                raise AudioError(path, f"broken symbolic link: its target {os.readlink(path)!r} does not exist") from None
            raise AudioError(path, "file does not exist") from None
        except IsADirectoryError:
            raise AudioError(path, "is a directory, not an audio file") from None
        except OSError as exc:
            raise AudioError(path, f"cannot read file ({exc.strerror or exc})") from None
        key = hashlib.sha256(data + config.digest().encode()).hexdigest()[:40]
        entry = Path(store_dir) / key
        meta_file = entry / "meta.json"
        damaged = None
        if entry.exists():
            meta, damaged = _check_entry(entry, config)
            if meta is not None:
                return FileResult(path, "cached", key, None, meta["n_frames"], meta["duration"], meta["warnings"], meta["summary"])
            if not read_only:
                _discard(entry)
        if read_only:
            why = f"its cached features are damaged ({damaged})" if damaged else "its features are not in it"
            raise MirlearnError(f"the feature cache {str(Path(store_dir).parent)!r} is read-only and {why}; give a writable --cache")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            y, sr = audio.decode(data, name=path, sr=config.sr)
            feats = features.extract(y, sr=sr, features=config.features, **config.params)
            summary = features.summarize(feats, stats=config.stats, deltas=config.deltas)
        msgs = list(dict.fromkeys(_short_warning(w, path) for w in caught))
        if damaged:
            msgs.insert(0, f"the cached features were damaged ({damaged}) and were recomputed")
        n_frames = int(next(iter(feats.values())).shape[-1])
        arrays = dict(feats, audio=np.asarray(y, dtype=np.float32).reshape(1, -1)) if config.keep_audio else feats
        meta = {
            "path": path,
            "sr": sr,
            "duration": float(y.shape[-1] / sr),
            "n_frames": n_frames,
            "shapes": {k: list(v.shape) for k, v in arrays.items()},
            "warnings": msgs,
            "summary": summary,
            "config": config.to_json(),
            "mirlearn": __version__,
        }
        tmp = Path(store_dir) / f".tmp-{key}{owner_tag()}{uuid.uuid4().hex[:8]}"
        tmp.mkdir(parents=True)
        try:
            for name, arr in arrays.items():
                np.save(tmp / f"{name}.npy", np.ascontiguousarray(arr))
            (tmp / "meta.json").write_text(json.dumps(meta))
            try:
                os.rename(tmp, entry)
            except OSError:
                if not meta_file.exists():  # a real failure, not a concurrent twin
                    raise
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return FileResult(path, "ok", key, None, n_frames, meta["duration"], msgs, summary)
    except MirlearnError as exc:
        reason = exc.reason if isinstance(exc, AudioError) else str(exc)
        return FileResult(path, "error", reason=reason)
    except Exception as exc:  # a bug or an unexpected library error: report, keep going
        last = traceback.extract_tb(exc.__traceback__)[-1]
        return FileResult(path, "error", reason=f"{type(exc).__name__}: {exc} (at {Path(last.filename).name}:{last.lineno})")


def _check_entry(entry, config):
    """``(meta, None)`` for a whole store entry, ``(None, reason)`` for a damaged one: its
    meta.json must parse and name every requested feature, and every feature file must
    hold the array shape meta.json records (a cut file does not map)."""
    try:
        meta = json.loads((entry / "meta.json").read_text())
        for k in ("n_frames", "duration", "warnings", "summary", "shapes"):
            if k not in meta:
                return None, f"meta.json lacks {k!r}"
        missing = [f for f in config.features + (("audio",) if config.keep_audio else ()) if f not in meta["shapes"]]
        if missing:
            return None, f"no {', '.join(missing)}"
        for name, shape in meta["shapes"].items():
            arr = np.load(entry / f"{name}.npy", mmap_mode="r")
            if list(arr.shape) != list(shape):
                return None, f"{name}.npy holds shape {list(arr.shape)}, meta.json says {shape}"
    except (OSError, ValueError, EOFError) as exc:  # JSONDecodeError is a ValueError
        return None, f"{type(exc).__name__}: {str(exc)[:120]}"
    return meta, None


def _discard(entry):
    """Move a damaged entry out of the way (atomically) and delete it."""
    aside = entry.parent / f".broken-{entry.name}{owner_tag()}{uuid.uuid4().hex[:8]}"
    try:
        os.rename(entry, aside)
    except OSError:
        return  # a concurrent run moved it already
    shutil.rmtree(aside, ignore_errors=True)


def _short_warning(w, path):
    msg = str(w.message)
    prefix = f"{path}: "
    return msg[len(prefix):] if msg.startswith(prefix) else msg


def _init_worker(parent_pid=None):
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    _die_with_parent(parent_pid)


def _die_with_parent(parent_pid):
    """Ask Linux to kill this worker when its parent dies (even by SIGKILL, which runs no
    clean-up in the parent): a killed ``mirlearn extract`` leaves no worker behind.
    Elsewhere, a daemon thread notices the parent's death within a second."""
    import signal
    import sys
    import threading

    if parent_pid is None:
        return
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(1)
        return

    def watch():
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="mirlearn-parent-watch").start()


def _limit_threads_env():
    for var in _THREAD_VARS:
        os.environ.setdefault(var, "1")


def extract_files(
    paths,
    out,
    config=None,
    *,
    n_jobs=None,
    scheduler=None,
    progress=True,
):
    """Extract features of many files, in parallel, with a resumable on-disk cache.

    Parameters
    ----------
    paths : sequence of path-like
        Audio files (see :func:`mirlearn.extraction.discover` for folders and manifests).
    out : path-like
        Output folder; created if needed. Re-using it resumes and skips finished files.
    config : ExtractionConfig
        Features, parameters, sampling rate and summary statistics.
    n_jobs : int or None
        Worker processes; ``None`` uses every core. Each worker runs single-threaded
        BLAS/OpenMP, so ``n_jobs`` processes use ``n_jobs`` cores.
    scheduler : str or None
        Address of a Dask distributed scheduler (``tcp://host:port``); the workers must
        see ``out`` on a shared filesystem. ``n_jobs`` is then ignored.
    progress : bool
        Show a progress bar with ETA on standard error.

    Returns
    -------
    ExtractionReport
    """
    config = (config or ExtractionConfig()).validate()
    out = Path(out)
    store = out / "store"
    ok, why = writable_dir(out)
    read_only = not ok
    if read_only:
        if not store.is_dir():
            raise ParameterError(
                f"cannot write the features into {str(out)!r}: {why}; choose another folder (--out of extract; "
                "--cache or $MIRLEARN_CACHE of train, evaluate and predict)"
            )
        # a read-only cache still serves what it holds; nothing is written to it
    else:
        store.mkdir(parents=True, exist_ok=True)
        for folder in (out, store):  # what a killed run left half-written
            remove_leftovers(folder)
        atomic_write_text(out / "config.json", json.dumps(config.to_json(), indent=2))
    paths = [str(p) for p in paths]
    if n_jobs is None:
        n_jobs = os.cpu_count() or 1
    if n_jobs < 1:
        raise ParameterError(f"n_jobs must be >= 1, got {n_jobs!r}")

    from tqdm.auto import tqdm

    t0 = time.perf_counter()
    results = {}
    bar = tqdm(total=len(paths), unit="file", disable=not progress, file=sys.stderr, dynamic_ncols=True)
    log = open(os.devnull if read_only else out / "extract.log", "a", encoding="utf-8", errors="surrogateescape")
    log.write(f"# {time.strftime('%Y-%m-%d %H:%M:%S')} mirlearn {__version__} extract: {len(paths)} file(s)\n")

    def record(i, res):
        results[i] = res
        tag = {"ok": "OK", "cached": "CACHED", "error": "ERROR"}[res.status]
        log.write(f"{tag}\t{res.path}" + (f"\t{res.reason}" if res.reason else "") + "\n")
        for w in res.warnings:
            log.write(f"WARNING\t{res.path}\t{w}\n")
        log.flush()
        bar.update(1)
        if res.status == "error":
            bar.set_postfix_str(f"{sum(r.status == 'error' for r in results.values())} failed")

    try:
        if read_only:
            for i, p in enumerate(paths):
                record(i, process_file(p, config, store, read_only=True))
        elif scheduler is not None:
            # Dask workers run in other folders, on other machines: give them absolute paths
            _run_dask([os.path.abspath(p) for p in paths], config, store.resolve(), scheduler, record)
        elif n_jobs == 1 or len(paths) <= 1:
            for i, p in enumerate(paths):
                record(i, process_file(p, config, store))
        else:
            _run_pool(paths, config, store, n_jobs, record)
    finally:
        bar.close()
        log.close()
        if results and not read_only:
            _write_tables(out, [results[i] for i in sorted(results)])
    report = ExtractionReport(out, [results[i] for i in range(len(paths))], time.perf_counter() - t0)
    return report


def _run_pool(paths, config, store, n_jobs, record):
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    _limit_threads_env()
    # 'spawn' (not fork): forking a process that holds BLAS/OpenMP threads can deadlock.
    ctx = mp.get_context("spawn")
    ex = ProcessPoolExecutor(
        max_workers=min(n_jobs, len(paths)), mp_context=ctx, initializer=_init_worker, initargs=(os.getpid(),)
    )
    def size(p):
        try:
            return os.path.getsize(p)
        except OSError:
            return 0

    # largest files first: a long file started last would leave the other workers idle
    order = sorted(range(len(paths)), key=lambda i: -size(paths[i]))
    try:
        futures = {ex.submit(process_file, paths[i], config, store): i for i in order}
        for fut in as_completed(futures):
            i = futures[fut]
            try:
                res = fut.result()
            except Exception as exc:  # a worker died (out of memory, killed)
                res = FileResult(paths[i], "error", reason=f"worker process failed: {type(exc).__name__}: {exc}")
            record(i, res)
    except BaseException:
        ex.shutdown(wait=False, cancel_futures=True)
        raise
    ex.shutdown(wait=True)


def _run_dask(paths, config, store, scheduler, record):
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MirlearnError(
            "--scheduler needs Dask distributed: pip install 'mirlearn[dask]'"
        ) from exc
    try:
        client = Client(scheduler, timeout="30s")
    except (OSError, TimeoutError) as exc:
        raise MirlearnError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}") from None
    except (ValueError, TypeError) as exc:
        raise ParameterError(
            f"--scheduler {scheduler!r} is not a scheduler address ({exc}); expected tcp://HOST:PORT"
        ) from None
    with client:
        futures = client.map(process_file, paths, config=config, store_dir=str(store), pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        for fut in as_completed(futures):
            i = index[fut.key]
            try:
                res = fut.result()
            except Exception as exc:
                res = FileResult(paths[i], "error", reason=f"dask task failed: {type(exc).__name__}: {exc}")
            record(i, res)


def _write_tables(out, results):
    """Merge this run's files into ``index.parquet`` and ``summaries.parquet``.

    The tables list every file any run extracted into ``out``: a file of this run replaces
    its earlier row, the other rows stay (two extractions into one folder, one after the
    other or at once, leave every stored file listed; a file that now fails loses its
    summary row). The merge holds an exclusive lock on ``out/.tables.lock`` and each table
    is written whole, then renamed. Rows are sorted by path. pyarrow alone: pandas is not
    needed to write them.
    """
    import fcntl

    import pyarrow as pa
    import pyarrow.parquet as pq

    def rows_of(table_file):
        if not table_file.exists():
            return []
        t = pq.read_table(table_file).to_pydict()
        if "path_bytes" not in t:  # a table of an older mirlearn
            t["path_bytes"] = [os.fsencode(p) for p in t["path"]]
        names = list(t)
        return [dict(zip(names, vals)) for vals in zip(*(t[n] for n in names))]

    def merged(old, new):
        mine = {r["path_bytes"] for r in new}
        rows = [r for r in old if r["path_bytes"] not in mine] + new
        return sorted(rows, key=lambda r: r["path_bytes"])

    index_rows = [
        {"path": display_path(r.path), "path_bytes": os.fsencode(r.path), "status": r.status, "reason": r.reason,
         "key": r.key, "n_frames": r.n_frames, "duration": r.duration, "warnings": "; ".join(r.warnings)}
        for r in results
    ]
    summary_rows = [
        {"path": display_path(r.path), "path_bytes": os.fsencode(r.path), **r.summary} for r in results if r.summary is not None
    ]
    this_run = {row["path_bytes"] for row in index_rows}
    types = {"path": pa.string(), "path_bytes": pa.binary(), "status": pa.string(), "reason": pa.string(),
             "key": pa.string(), "n_frames": pa.int64(), "duration": pa.float64(), "warnings": pa.string()}
    # fault-injection tests set this to widen the window in which the tables are written
    delay = float(os.environ.get("MIRLEARN_TEST_TABLE_DELAY", "0") or 0)
    with open(out / ".tables.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        index = merged(rows_of(out / "index.parquet"), index_rows)
        table = pa.table({name: pa.array([r.get(name) for r in index], t) for name, t in types.items()})
        # written whole, then renamed: a concurrent reader or a kill never sees a torn table
        with atomic_path(out / "index.parquet") as tmp:
            pq.write_table(table, tmp)
            time.sleep(delay)
        old = [r for r in rows_of(out / "summaries.parquet") if r["path_bytes"] not in this_run]
        summaries = merged(old, summary_rows)
        if summaries:
            names = list(dict.fromkeys(k for r in summaries for k in r))
            columns = {n: pa.array([r.get(n) for r in summaries], types.get(n, pa.float64())) for n in names}
            with atomic_path(out / "summaries.parquet") as tmp:
                pq.write_table(pa.table(columns), tmp)
        elif (out / "summaries.parquet").exists():
            os.unlink(out / "summaries.parquet")  # no good file left: no stale table


class FeatureStore:
    """Read access to an extraction folder.

    Examples
    --------
    >>> store = FeatureStore("features/")  # doctest: +SKIP
    >>> mfcc = store.load("a.wav", "mfcc")  # memory-mapped (n_mfcc, n_frames)  # doctest: +SKIP
    """

    def __init__(self, out):
        self.out = Path(out)

    @property
    def index(self):
        import pandas as pd

        return pd.read_parquet(self.out / "index.parquet")

    @property
    def summaries(self):
        import pandas as pd

        return pd.read_parquet(self.out / "summaries.parquet")

    def load(self, path, feature, *, mmap=True):
        """Load one stored feature of one input file (as given to the extraction)."""
        idx = self.index
        same = idx["path_bytes"] == os.fsencode(path) if "path_bytes" in idx else idx["path"] == str(path)
        rows = idx[same & idx["status"].isin(["ok", "cached"])]
        if rows.empty:
            raise ParameterError(f"{path!s} has no stored features in {self.out}")
        f = self.out / "store" / rows["key"].iloc[0] / f"{feature}.npy"
        if not f.exists():
            have = sorted(p.stem for p in f.parent.glob("*.npy"))
            raise ParameterError(f"feature {feature!r} was not extracted; stored: {', '.join(have)}")
        return np.load(f, mmap_mode="r" if mmap else None)
