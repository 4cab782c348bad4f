"""Benchmark: note-level instrument recognition across sample sources.

Run:  python bench/notes.py [--out runs/bench-notes]

Renders notes of the 12 instruments of ``mirlearn.data.render.INSTRUMENTS`` from FluidR3
(training) and tests on notes rendered from another SoundFont: TimGM6mb (independent
samples) and MuseScore General (developed from FluidR3, so a leaky "other source",
reported to show the difference). For individual instruments and NSynth families, it trains
a classic model (RBF SVM on summarised features) and a CNN on log-mel chunks, with and
without training-side augmentation, through the ``mirlearn`` command line, and prints a
Markdown table for docs/benchmarks.md. Needs Debian's fluid-soundfont-gm,
timgm6mb-soundfont and musescore-general-soundfont.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

SF = {
    "FluidR3_GM": "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "TimGM6mb": "/usr/share/sounds/sf2/TimGM6mb.sf2",
    "MuseScore_General_Full": "/usr/share/sounds/sf3/MuseScore_General_Full.sf3",
}
CNN_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "demo-cnn.yaml"


def run(*args, env=None):
    r = subprocess.run([sys.executable, "-m", "mirlearn", *map(str, args)], capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit(f"failed: mirlearn {' '.join(map(str, args))}\n{r.stdout}\n{r.stderr}")
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("runs/bench-notes"))
    ap.add_argument("--pitch-step", type=int, default=4)
    args = ap.parse_args()
    for name, path in SF.items():
        if not Path(path).is_file():
            sys.exit(f"missing SoundFont {path} ({name}); apt-get install fluid-soundfont-gm timgm6mb-soundfont musescore-general-soundfont")
    env = dict(os.environ, MIRLEARN_CACHE=str(args.out / "cache"))
    print(f"# note-level benchmark, {time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores\n")
    print("| test source | labels | augmentation | model | accuracy | balanced accuracy | macro-F1 | test notes | seconds |")
    print("|---|---|---|---|---:|---:|---:|---:|---:|")
    for test_sf in ("TimGM6mb", "MuseScore_General_Full"):
        for augment in (0, 1):
            notes = args.out / f"notes-{test_sf}-aug{augment}"
            if not (notes / "notes-family.csv").exists():
                run("datasets", "render-notes", "--soundfont", SF["FluidR3_GM"], "--soundfont", SF[test_sf],
                    "--test-soundfont", test_sf, "--pitch-step", args.pitch_step, "--augment", augment,
                    "--out", notes, "--no-progress")
            for labels in ("instrument", "family"):
                for model in ("svm_rbf", "cnn"):
                    out = args.out / f"{test_sf}-aug{augment}-{labels}-{model}"
                    extra = ["--config", CNN_CONFIG] if model == "cnn" else []
                    t0 = time.perf_counter()
                    run("train", "--data", notes / f"notes-{labels}.csv", "--model", model, "--out", out, "--no-progress", *extra, env=env)
                    dt = time.perf_counter() - t0
                    m = json.loads((out / "metrics.json").read_text())
                    print(f"| {test_sf} | {labels} | {'yes' if augment else 'no'} | {model} | {m['accuracy']:.3f} | "
                          f"{m['balanced_accuracy']:.3f} | {m['macro_f1']:.3f} | {m['n_items']} | {dt:.0f} |", flush=True)


if __name__ == "__main__":
    main()
