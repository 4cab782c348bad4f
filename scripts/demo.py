"""make demo: what mirlearn does, one line per stage, on real data it was not trained on.

Run:  python scripts/demo.py [--out runs/demo] [--data ../shared/data]

Stages (each a `mirlearn` command the user can type; the commands and their whole output are
in OUT/logs/, the screen gets one line per stage):

1. segment level: a genre model on pretrained musicnn embeddings (frozen, logistic-regression
   head), trained on gtzan-mini-dev and scored on the clips of its own held-out test split;
2. frame level: the models shipped in the package on real clips outside their training and
   selection (onsets: a recording of fold 3 of Böck's split, the onset model's test part;
   drums: MusicDelta_SpeedMetal, a test song of the drum model; pitch: madmom's polyphonic
   piano clip, real audio for a model trained on renders), scored against their annotations,
   with a figure of each;
3. beats: the shipped beat model on madmom's annotated clip (in none of its training or
   selection), beats and downbeats scored against sample.beats, tempo, and a figure with the
   annotation drawn over it;
4. note level: instruments across sample sources, trained on notes rendered from FluidR3 and
   tested on TimGM6mb's independent samples: an SVM on summarised features and a CNN.

A second run replaces the first's runs (--overwrite); the feature cache is kept.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SF_FLUID = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
SF_TIM = "/usr/share/sounds/sf2/TimGM6mb.sf2"
ONSET_CLIP = "bock-onsets-dev/audio/al_Media-103515(19.7-29.7).flac"
ONSET_ANN = "bock-onsets-dev/annotations/al_Media-103515(19.7-29.7).onsets"
DRUM_CLIP = "mdb-drums-dev/audio/MusicDelta_SpeedMetal_Drum.wav"
DRUM_ANN = "mdb-drums-dev/annotations/class/MusicDelta_SpeedMetal_class.txt"
PIANO_CLIP = "madmom-clips/stereo_sample.flac"
PIANO_NOTES = "madmom-clips/stereo_sample.notes"
BEAT_CLIP = "madmom-clips/sample.wav"
BEAT_ANN = "madmom-clips/sample.beats"


class Demo:
    def __init__(self, out, n_stages):
        self.out, self.logs, self.n, self.k = out, out / "logs", n_stages, 0
        self.logs.mkdir(parents=True, exist_ok=True)
        for old in self.logs.glob("*.log"):
            old.unlink()
        self.env = dict(os.environ, MIRLEARN_CACHE=str(out / "cache"))

    def run(self, name, *args):
        """``mirlearn ARGS``, its output appended to logs/NAME.log; on failure the log's tail
        and the exit."""
        cmd = [sys.executable, "-m", "mirlearn", *map(str, args)]
        log = self.logs / f"{name}.log"
        with log.open("a") as fh:
            fh.write(f"$ mirlearn {shlex.join(map(str, args))}\n")
            fh.flush()
            r = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, env=self.env, cwd=ROOT)
        if r.returncode:
            tail = log.read_text().splitlines()[-15:]
            sys.exit(f"demo: 'mirlearn {' '.join(map(str, args[:2]))}' failed (exit {r.returncode}); the end of {log}:\n"
                     + "\n".join(tail))

    def stage(self, label, text, t0):
        self.k += 1
        print(f"[{self.k}/{self.n}] {label:7s} {text}  {time.time() - t0:.0f} s", flush=True)


def genre(d, data):
    t0 = time.time()
    run = d.out / "genre"
    d.run("genre", "train", "--data", data / "gtzan-mini-dev", "--model", "musicnn_msd+logreg", "--out", run,
          "--overwrite", "--no-progress")
    m = json.loads((run / "metrics.json").read_text())
    n_classes = len(m["per_class"])
    d.stage("genre", f"GTZAN, musicnn embeddings + logistic regression: accuracy {m['accuracy']:.2f} on {m['n_items']} clips "
            f"it never saw (chance {1 / n_classes:.2f})", t0)
    return [run / "report.html"]


def frames(d, data):
    import numpy as np

    from mirlearn.annotations import read_events, read_f0, read_labelled_events, read_notes
    from mirlearn.evaluation.events import evaluate_events, evaluate_labelled_events, f0_on_notes

    out = d.out / "frames"
    figures = []
    for task, clip in (("onsets", ONSET_CLIP), ("drums", DRUM_CLIP), ("pitch", PIANO_CLIP)):
        t0 = time.time()
        d.run(task, "detect", task, data / clip, "--out", out, "--no-progress")
        fig = out / f"{task}.png"
        d.run(task, "show", data / clip, "--activations", task, "--duration", 10, "--out", fig)
        figures.append(fig)
        stem = Path(clip).stem
        if task == "onsets":
            s = evaluate_events(read_events(data / ONSET_ANN), read_events(out / f"{stem}.onsets"))
            text = (f"shipped model, a real recording outside its training: F {s['f_measure']:.2f} "
                    f"({s['tp']} of {s['n_ref']} onsets within 50 ms, {s['fp']} false)")
        elif task == "drums":
            ref, est = read_labelled_events(data / DRUM_ANN), read_labelled_events(out / f"{stem}.drums")
            pc = evaluate_labelled_events(ref, est, classes=["KD", "SD", "HH"])
            names = {"KD": "kick", "SD": "snare", "HH": "hi-hat"}
            text = "shipped model, a song outside its training: F " + ", ".join(f"{names[c]} {pc[c]['f_measure']:.2f}" for c in pc)
        else:
            t, hz = read_f0(out / f"{stem}.f0.csv")
            s = f0_on_notes(t, hz, *read_notes(data / PIANO_NOTES, layout="madmom"))
            text = (f"shipped model (trained on renders), real piano: {100 * s['fraction']:.0f} % of {s['voiced']} voiced "
                    "frames on a sounding note (any octave)")
        d.stage(task, text, t0)
    return figures


def beats(d, data):
    import csv

    import numpy as np

    from mirlearn.annotations import downbeats, read_beats
    from mirlearn.evaluation.beats import evaluate_beats

    t0 = time.time()
    out = d.out / "beats"
    for name in ("beats", "tempo"):
        d.run("beats", "detect", name, data / BEAT_CLIP, "--out", out, "--no-progress")
    fig = out / "beats.png"
    d.run("beats", "show", data / BEAT_CLIP, "--activations", "beats", "--reference", data / BEAT_ANN, "--out", fig)
    ref, est = read_beats(data / BEAT_ANN), read_beats(out / "sample.beats")
    s = evaluate_beats(ref[0], est[0], min_beat_time=0.0)
    tempo = next(csv.DictReader(open(out / "sample.tempo.csv")), {}).get("tempo", "none")
    n_down = len(downbeats(*est)) if len(est[0]) and not np.isnan(est[1]).all() else 0
    d.stage("beats", f"shipped model, madmom's clip (outside its training): beat F {s['f_measure']:.2f} ({len(est[0])} beats, "
            f"{n_down} downbeat(s); {len(ref[0])} beats annotated), tempo {tempo} BPM (annotated {60 / float(np.median(np.diff(ref[0]))):.0f})", t0)
    return [fig]


def notes(d):
    t0 = time.time()
    nd = d.out / "notes"
    d.run("notes", "datasets", "render-notes", "--soundfont", SF_FLUID, "--soundfont", SF_TIM, "--test-soundfont", "TimGM6mb",
          "--pitch-step", 4, "--augment", 1, "--out", nd, "--no-progress")
    scores = {}
    for model, extra in (("svm_rbf", []), ("cnn", ["--config", ROOT / "configs" / "demo-cnn.yaml"])):
        d.run("notes", "train", "--data", nd / "notes-instrument.csv", "--model", model, *extra, "--out", d.out / model,
              "--overwrite", "--no-progress")
        scores[model] = json.loads((d.out / model / "metrics.json").read_text())
    n = scores["cnn"]["n_items"]
    chance = 1 / len(scores["cnn"]["per_class"])
    d.stage("notes", f"FluidR3 renders -> {n} TimGM6mb notes: accuracy SVM {scores['svm_rbf']['accuracy']:.2f}, "
            f"CNN {scores['cnn']['accuracy']:.2f} (chance {chance:.2f}): renders carry over in part", t0)
    return [d.out / "svm_rbf" / "report.html", d.out / "cnn" / "report.html"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "demo")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = ap.parse_args()
    missing = [p for p in (args.data / "gtzan-mini-dev", args.data / ONSET_CLIP, args.data / DRUM_CLIP, args.data / PIANO_CLIP,
                           args.data / BEAT_CLIP,
                           Path(SF_FLUID), Path(SF_TIM)) if not p.exists()]
    if missing:
        sys.exit(f"demo: missing {', '.join(map(str, missing))} (../shared/data beside the repository; make soundfonts)")
    d = Demo(args.out, 6)
    print(f"mirlearn demo -> {args.out} (every command and its output: {d.logs}/)", flush=True)
    reports = genre(d, args.data)
    figures = frames(d, args.data)
    figures += beats(d, args.data)
    reports += notes(d)
    print("how each number is measured, over seeds and on real recordings: docs/benchmarks.md")
    print("reports: " + " ".join(map(str, reports)))
    print("figures: " + " ".join(map(str, figures)))


if __name__ == "__main__":
    main()
