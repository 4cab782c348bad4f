"""Tutorial 1, segment level: genre classification, the traditional way and with embeddings.

Run it:  .venv/bin/python docs/tutorials/segment.py   (about 30 s on 2 cores; `make test` runs it)

We classify 30 s GTZAN clips of four neighbouring genres (blues, country, disco, rock; 5 clips each, from
../shared/data/gtzan-mini-dev). Three ways, from the most hand-made to the least:

1. hand-designed features (MFCC, chroma, spectral statistics), summarised over time, fed to a
   scikit-learn pipeline: the field's traditional recipe;
2. pretrained musicnn embeddings (a network trained on the Million Song Dataset), same head;
3. the command line's `mirlearn train`, which does either with a held-out split, a report and
   a model bundle, and `mirlearn.load_model` to use that bundle from Python.
"""

# %% The data: a folder per genre. Twenty clips are few: every score below has a wide spread.
import tempfile
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import mirlearn
from mirlearn.cli.main import main as mirlearn_cli  # the command line, in this process

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "gtzan-mini-dev"
GENRES = ["blues", "country", "disco", "rock"]  # neighbours: harder than classical against metal


def main():
    # Extraction runs in worker processes, which import this file again: as with any
    # multiprocessing code, the work must sit under `if __name__ == "__main__"` (a notebook
    # needs nothing of the kind).
    clips = [(f, g) for g in GENRES for f in sorted((DATA / g).glob("*.flac"))]
    labels = np.array([g for _, g in clips])
    print(f"{len(clips)} clips: " + ", ".join(f"{g} {sum(labels == g)}" for g in GENRES))

    # %% 1. Features summarised over time. `extract` computes one STFT and derives every feature
    # from it; `summarize` turns (n_features, n_frames) arrays into one named vector per clip.
    audio = [mirlearn.load(f, sr=22050)[0] for f, _ in clips]
    vectors = []
    for y in audio:
        feats = mirlearn.extract(y, sr=22050, features=["mfcc", "chroma_stft", "spectral_centroid", "spectral_contrast", "rms"])
        vectors.append(mirlearn.summarize(feats, stats=("mean", "std")))
    names = list(vectors[0])
    X = np.array([[v[n] for n in names] for v in vectors])
    print(f"hand-designed features: {X.shape[1]} numbers per clip, e.g. {names[0]}, {names[-1]}")

    # Each clip is a different track (GTZAN has repeated artists within a genre; with more data,
    # group by artist so that no artist is on both sides of a split).
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    head = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    acc_features = cross_val_score(head, X, labels, cv=cv)
    print(f"features + logistic regression: accuracy {acc_features.mean():.2f} ± {acc_features.std(ddof=1):.2f} over 5 folds")

    # %% 2. Pretrained embeddings: the mean of musicnn's 200-d penultimate layer over 3 s patches.
    E = np.array([mirlearn.embed(y, 22050) for y in audio])
    acc_embed = cross_val_score(head, E, labels, cv=cv)
    print(f"musicnn embeddings + logistic regression: accuracy {acc_embed.mean():.2f} ± {acc_embed.std(ddof=1):.2f} over 5 folds")

    # %% 3. The same as a run: `mirlearn train` splits off a test part (stratified, by group when
    # the data has groups), fits, scores the test part, writes report.html and a bundle.
    work = Path(tempfile.mkdtemp(prefix="mirlearn-tutorial-"))
    manifest = work / "genres.csv"
    manifest.write_text("path,label\n" + "".join(f"{f},{g}\n" for f, g in clips))
    assert mirlearn_cli(["train", "--data", str(manifest), "--model", "musicnn_msd+logreg", "--out", str(work / "run"), "--no-progress"]) == 0

    model = mirlearn.load_model(work / "run")  # the bundle: data, loaded without running code from it
    y = audio[-1]
    print(f"{model}: {clips[-1][0].name} -> {model.predict(y, 22050)}; "
          + ", ".join(f"{c} {p:.2f}" for c, p in zip(model.classes, model.predict_proba(y, 22050))))

    # What a reader should take away: on four neighbouring genres both representations do far
    # better than chance (1/4); on 20 clips the fold-to-fold spread (about ±0.1) is too wide to
    # rank them. docs/benchmarks.md compares them on all ten genres over seeds.
    chance = 1 / len(GENRES)
    assert acc_features.mean() > 2 * chance and acc_embed.mean() > 2 * chance


if __name__ == "__main__":
    main()
