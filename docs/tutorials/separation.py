"""Tutorial 4, separation: stems of a song, against the HPSS baseline, scored with BSS Eval.

Run it:  .venv/bin/python docs/tutorials/separation.py   (about 30 s on 2 cores; `make test` runs it)

MusicDelta_Rockabilly (../shared/data/mdb-stems-dev) is one of the two songs the shipped
separation model did not train on. Its mixture is the sum of its four stems (drums, bass,
vocals, other), so we know the right answer. We separate 12 s of it with the shipped model
and with harmonic-percussive separation (HPSS: the percussive part as drums, the harmonic part
for every other stem), and score both with BSS Eval v4 as SiSEC 2018 does (SDR per 1 s frame,
median over frames; higher is better, 0 dB means the estimate is as much error as signal).
"""

from pathlib import Path

import numpy as np

import mirlearn
from mirlearn.evaluation.separation import evaluate

SONG = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mdb-stems-dev" / "MusicDelta_Rockabilly"
STEMS = ["drums", "bass", "vocals", "other"]


def main():
    # %% The stems and their mixture (22,050 Hz mono); 12 s from the song's start.
    stems = {}
    for s in STEMS:
        stems[s], sr = mirlearn.load(SONG / f"{s}.flac", duration=12.0)
    mix = np.sum([stems[s] for s in STEMS], axis=0)
    print(f"{SONG.name}: {len(mix) / sr:.0f} s at {sr} Hz; stems {', '.join(STEMS)}")

    # %% Separate. Each result is {stem: signal}, at the input's rate and length.
    model = mirlearn.separate(mix, sr)
    hpss = mirlearn.separate(mix, sr, method="hpss")

    # %% Score: evaluate() takes (n_sources, n_samples) arrays in the same stem order.
    reference = np.stack([stems[s] for s in STEMS])
    scores = {}
    for name, est in (("shipped model", model), ("HPSS", hpss)):
        m = evaluate(reference, np.stack([est[s] for s in STEMS]), sr=sr, names=STEMS)
        scores[name] = m["sdr"]
        print(f"{name:14s} SDR (dB): " + "  ".join(f"{s} {m['sdr'][s]:5.1f}" for s in STEMS))

    # The shipped model was trained on five songs: it does best on bass and other and is weak on
    # drums and vocals (its card and docs/benchmarks.md give the cross-validated numbers). Write
    # the stems with soundfile to listen: sf.write("bass.wav", model["bass"], sr).
    assert scores["shipped model"]["bass"] > scores["HPSS"]["bass"]


if __name__ == "__main__":
    main()
