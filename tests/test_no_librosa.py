"""mirlearn never imports librosa or numba at run time (numba's cache race, numba#10128,
crashed processes that touched librosa's cached functions after parallel workers had
compiled them). librosa is the reference in the tests only."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from .conftest import GTZAN, ROOT, require_data


def _run(code, env=None):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env, timeout=300)


def test_every_feature_without_librosa_or_numba():
    r = _run(
        """
        import sys, warnings
        import numpy as np
        import mirlearn
        y = np.random.default_rng(0).standard_normal(22050 * 2).astype(np.float32)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = mirlearn.extract(y, sr=22050, features=list(mirlearn.FEATURES))
        assert set(out) == set(mirlearn.FEATURES)
        from mirlearn.display import show_file  # figures too
        bad = sorted(m for m in sys.modules if m.split(".")[0] in ("librosa", "numba"))
        print("IMPORTED:", bad)
        """
    )
    assert r.returncode == 0, r.stderr
    assert "IMPORTED: []" in r.stdout


def test_extract_with_workers_never_imports_librosa(tmp_path):
    """Poisoned librosa and numba packages come first on the path of the command and of
    every worker it spawns: any import of either fails the run."""
    require_data(GTZAN)
    poison = tmp_path / "poison"
    for name in ("librosa", "numba"):
        (poison / name).mkdir(parents=True)
        (poison / name / "__init__.py").write_text(f"raise ImportError('{name} imported at run time')\n")
    files = sorted((GTZAN / "blues").glob("*.flac"))[:3]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(poison), str(ROOT / "src")]))
    r = subprocess.run(
        [sys.executable, "-m", "mirlearn", "extract", *map(str, files), "--out", str(tmp_path / "out"),
         "--jobs", "2", "--features", "mfcc,chroma_stft,chroma_cqt,rms,zero_crossing_rate", "--no-progress", "--strict"],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "imported at run time" not in r.stdout + r.stderr


def test_default_features_do_not_load_scipy_signal():
    """scipy.signal costs about a second to import in every worker process; the default
    bundle and its windows need none of it."""
    r = _run(
        """
        import sys, warnings
        import numpy as np
        import mirlearn
        y = np.random.default_rng(0).standard_normal(22050).astype(np.float32)
        mirlearn.extract(y, sr=22050)
        print("SIGNAL:", "scipy.signal" in sys.modules)
        """
    )
    assert r.returncode == 0, r.stderr
    assert "SIGNAL: False" in r.stdout
