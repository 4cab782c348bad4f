"""Train the models shipped inside the package (src/mirlearn/pretrained/<task>/) and write
their cards. Every model is trained on CPU by this command (a GPU only makes it faster):

    python bench/pretrained.py --task onsets   # bock-onsets-dev, folds 0-2 train/valid, fold 3 held out
    python bench/pretrained.py --task drums    # MDB Drums stems + their full mixtures, 2 songs held out,
                                               # + 12 synthetic tracks from Hydrogen kits (training only)
    python bench/pretrained.py --task pitch    # melodies rendered from FluidR3 (+ augmented), tested on TimGM6mb

Each run goes through `mirlearn train --task ...` with the configuration in
configs/pretrained/<task>.yaml; its held-out scores go into the card (CARD.md) beside the
training command, the data and their licences.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "bench"))

DATA_NOTES = {
    "onsets": ("bock-onsets-dev (Böck, Krebs & Schedl, ISMIR 2012): 160 annotated recordings of solo instruments and "
               "mixtures. Licence: research use. The weights are derived from it: use them for research."),
    "drums": ("MDB Drums (Southall et al., ISMIR 2017) drum stems of 8 MedleyDB songs, and the same songs' full mixtures "
              "(mdb-stems-dev, the sum of drums, bass, vocals and other). Licence: CC BY-NC-SA 4.0. The weights are derived "
              "from NC-licensed data: use them non-commercially, and share derivatives alike. Also 12 synthetic grooves "
              "(`mirlearn.data.drumkits.render_drum_tracks`, seed 0) played on the Debian hydrogen-data drum kits (GPL-2+), "
              "each also mixed with a FluidR3_GM accompaniment (MIT); they are only ever in the training part."),
    "pitch": ("Monophonic melodies rendered with `mirlearn.data.render.render_melodies` from the FluidR3_GM SoundFont "
              "(Debian fluid-soundfont-gm, MIT licence), with augmented copies (EQ, room reverb, noise, level); tested on "
              "melodies of the TimGM6mb SoundFont (Debian timgm6mb-soundfont, GPL-2), which it never saw. The weights carry "
              "no data restriction beyond the SoundFonts' licences."),
}


HELD_OUT = {
    "onsets": "fold 3 of Böck's 8-fold split (the 40 files of 8-fold_cv_random_3.fold) is the test part; the validation part is carved from folds 0-2",
    "drums": "the last two songs in alphabetical order (stem and mixture each) are the test part; validation songs are carved from the other six",
    "pitch": "the TimGM6mb melodies are the test part (another SoundFont's samples of the same instruments)",
}


def onsets_manifest(work):
    rows = []
    for k in range(4):
        for name in (SHARED / "bock-onsets-dev" / "splits" / f"8-fold_cv_random_{k}.fold").read_text().split():
            audio = next((SHARED / "bock-onsets-dev" / "audio").glob(f"{name}.*"), None)
            if audio is not None:
                rows.append((str(audio), str(SHARED / "bock-onsets-dev" / "annotations" / f"{name}.onsets"),
                             "test" if k == 3 else "train", name))
    return _write(work / "onsets.csv", ["path", "annotation", "split", "group"], rows)


def drums_manifest(work):
    import drums

    man = drums.manifest(work)
    rows = list(csv.DictReader(open(man)))
    songs = sorted({r["group"] for r in rows})
    test = set(songs[-2:])  # two songs held out
    out = [(r["path"], r["annotation"], "test" if r["group"] in test else "train", r["group"]) for r in rows]
    # synthetic tracks lift the 4-fold CV mean F in every fold (docs/benchmarks.md); split=train only
    from mirlearn.data.drumkits import render_drum_tracks

    syn = work / "synthetic-12" / "drums.csv"
    if not syn.exists():
        render_drum_tracks(syn.parent, n_tracks=12, backing_soundfont="/usr/share/sounds/sf2/FluidR3_GM.sf2", seed=0, progress=False)
    out += [(str(syn.parent / r["path"]), str(syn.parent / r["annotation"]), "train", r["group"]) for r in csv.DictReader(open(syn))]
    return _write(work / "drums.csv", ["path", "annotation", "split", "group"], out)


def pitch_manifest(work):
    from mirlearn.data.render import render_melodies

    man = render_melodies(["/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/sounds/sf2/TimGM6mb.sf2"], work / "melodies",
                          n_per_instrument=6, seconds=8.0, test_soundfont="TimGM6mb", augment=1, seed=0, progress=False)
    return man


def _write(path, header, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def card(task, run, command):
    m = json.loads((run / "metrics.json").read_text())
    b = json.loads((run / "model" / "bundle.json").read_text())
    size = (run / "model" / "model.pt").stat().st_size
    if task == "pitch":
        keys = ("raw_pitch_accuracy", "raw_chroma_accuracy", "voicing_recall", "voicing_false_alarm", "overall_accuracy")
        scores = "\n".join(f"| {k} | {m[k]:.3f} |" for k in keys)
    else:
        scores = "\n".join(f"| {k} | {m[k]:.3f} |" for k in ("f_measure", "precision", "recall"))
        for c, e in m.get("per_class", {}).items():
            scores += f"\n| F {c} | {e['f_measure']:.3f} |"
    return f"""# Shipped {task} model

- Network: `{b['network']}`, configuration `{json.dumps(b['network_config'])}`; {size / 1e6:.2f} MB of float32
  weights; input: `{json.dumps(b['features'])}`.
- Trained by: `{command}` (configuration: `configs/pretrained/{task}.yaml`), {date.today()}, on CPU.
- Post-processing (chosen on the validation part): `{json.dumps(b['postprocess'])}`.
- Data: {DATA_NOTES[task]}
- Licence of the weights: ISC, as mirlearn, subject to the data terms above.

## Held-out scores ({m.get('evaluation')}: {HELD_OUT[task]}; {m.get('n_files')} files in all; ±50 ms for events)

| metric | value |
|---|---|
{scores}

Cross-validated scores of the same network are in docs/benchmarks.md.
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", required=True, choices=["onsets", "drums", "pitch"])
    ap.add_argument("--work", type=Path, default=ROOT / "runs" / "pretrained")
    args = ap.parse_args()
    work = args.work / args.task
    work.mkdir(parents=True, exist_ok=True)
    man = {"onsets": onsets_manifest, "drums": drums_manifest, "pitch": pitch_manifest}[args.task](work)
    run = work / "run"
    cmd = [sys.executable, "-m", "mirlearn", "train", "--task", args.task, "--data", str(man), "--config",
           str(ROOT / "configs" / "pretrained" / f"{args.task}.yaml"), "--out", str(run), "--overwrite", "--no-progress"]
    r = subprocess.run(cmd, env=dict(os.environ, PYTHONWARNINGS="ignore"))
    if r.returncode:
        sys.exit(r.returncode)
    dest = ROOT / "src" / "mirlearn" / "pretrained" / args.task
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    for f in ("bundle.json", "model.pt"):
        shutil.copy2(run / "model" / f, dest / f)
    (dest / "CARD.md").write_text(card(args.task, run, f"python bench/pretrained.py --task {args.task}"))
    print(f"shipped {dest}")


if __name__ == "__main__":
    main()
