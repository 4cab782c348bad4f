"""Tutorial 3, frame level: onsets, drums and pitch, with the models shipped in mirlearn.

Run it:  .venv/bin/python docs/tutorials/frame.py   (about 15 s on 2 cores; `make test` runs it)

A frame-level model gives an activation per frame (100 per second here); events are picked
from it (peak picking) or, for pitch, decoded into an f0 track. Everything here runs on real
recordings outside each model's training (../shared/data):

- onsets: a recording of fold 3 of Böck's onset set (the shipped onset model's test part),
  against a non-learned baseline (SuperFlux) on the same audio;
- drums: the first 15 s of MusicDelta_SpeedMetal (a test song of the drum model);
- pitch: madmom's polyphonic piano clip (the pitch model saw only rendered notes).

Scores follow mir_eval's conventions: a hit is an estimate within 50 ms of an annotation,
one to one.
"""

from pathlib import Path

import numpy as np

import mirlearn
from mirlearn.annotations import read_events, read_labelled_events, read_notes
from mirlearn.detection.peaks import peak_pick
from mirlearn.evaluation.events import evaluate_events, evaluate_labelled_events, f0_on_notes

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
ONSETS = "bock-onsets-dev/audio/al_Media-103515(19.7-29.7)"


def main():
    # %% Onsets. `detect` returns event times in seconds; with activations=True also the
    # activation and its frame rate, to pick peaks yourself or to draw them.
    y, sr = mirlearn.load(DATA / f"{ONSETS}.flac")
    ref = read_events(DATA / (ONSETS.replace("audio", "annotations") + ".onsets"))
    est, act, fps = mirlearn.detect(y, sr, task="onsets", activations=True)
    cnn = evaluate_events(ref, est)
    flux = evaluate_events(ref, mirlearn.detect(y, sr, task="onsets", method="superflux"))
    print(f"onsets, {cnn['n_ref']} annotated (those within 30 ms merged): shipped CNN F {cnn['f_measure']:.2f}, SuperFlux F {flux['f_measure']:.2f}")

    # Peak picking has parameters in seconds (madmom's); the shipped model's were tuned on its
    # validation files. A higher threshold trades recall for precision:
    strict = peak_pick(act[0], fps=fps, threshold=0.8, pre_max=0.03, post_max=0.03, combine=0.03)
    s = evaluate_events(ref, strict)
    print(f"  threshold 0.8: precision {s['precision']:.2f}, recall {s['recall']:.2f} "
          f"(shipped: {cnn['precision']:.2f}, {cnn['recall']:.2f})")

    # %% Drums: one activation per class (kick KD, snare SD, hi-hat HH), events per class.
    y, sr = mirlearn.load(DATA / "mdb-drums-dev/audio/MusicDelta_SpeedMetal_Drum.wav", duration=15.0)
    hits = mirlearn.detect(y, sr, task="drums")
    t, lab = read_labelled_events(DATA / "mdb-drums-dev/annotations/class/MusicDelta_SpeedMetal_class.txt")
    keep = t < 15.0
    est_t = np.concatenate(list(hits.values()))
    est_l = np.concatenate([[c] * len(v) for c, v in hits.items()])
    per_class = evaluate_labelled_events((t[keep], lab[keep]), (est_t, est_l), classes=list(hits))
    print("drums, first 15 s: " + ", ".join(f"{c} F {m['f_measure']:.2f} ({m['n_ref']} hits)" for c, m in per_class.items()))

    # %% Pitch: an f0 track (0 Hz where unvoiced). The clip is polyphonic piano, so we ask how
    # often the monophonic track names one of the notes sounding at that moment.
    y, sr = mirlearn.load(DATA / "madmom-clips/stereo_sample.flac", mono=False)  # stereo is fine: it is mixed down
    times, f0 = mirlearn.detect(y, sr, task="pitch")
    m = f0_on_notes(times, f0, *read_notes(DATA / "madmom-clips/stereo_sample.notes", layout="madmom"))
    print(f"pitch: {m['voiced']} voiced frames inside notes, {100 * m['fraction']:.0f} % on a sounding note (any octave)")

    # To see what the model saw: `mirlearn show CLIP --activations onsets --out fig.png` draws the
    # activation, the picked events and the spectrogram (make demo writes one per task).
    assert cnn["f_measure"] > 0.8 and all(per_class[c]["f_measure"] > 0.7 for c in per_class) and m["fraction"] > 0.45


if __name__ == "__main__":
    main()
