"""Scores that cannot leak: one test for each defect of issue #6's review.

Thresholds and model selection use data the final fit never saw; test items are never
fitted on and never re-scored as "test"; folds keep the manifest's splits and groups;
validation sizes are honoured; macro averages use the model's full label set.
"""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from mirlearn import ParameterError
from mirlearn.data import Dataset, Item, load_dataset
from mirlearn.data.splits import assign_splits, holdout
from mirlearn.evaluation import classification_metrics
from mirlearn.inference import classic_scores
from mirlearn.inference.chunks import chunk_starts

from .conftest import cli, synthetic_clip

SR = 22050


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """3 classes x 10 clips; clip i of each class belongs to group 'g{i // 2}' (pairs)."""
    root = tmp_path_factory.mktemp("leak")
    rng = np.random.default_rng(1)
    rows = []
    for kind in ("tone", "noise", "clicks"):
        for i in range(10):
            f = root / kind / f"{kind}{i}.wav"
            f.parent.mkdir(parents=True, exist_ok=True)
            sf.write(f, synthetic_clip(kind, rng, seconds=1.5), SR)
            rows.append({"path": str(f), "label": kind, "group": f"{kind}-g{i // 2}", "n": i})
    return root, pd.DataFrame(rows)



# -- evaluate refuses to score what the model was fitted on ----------------------------
def test_evaluate_test_split_of_a_cv_run_refuses(clips, env, tmp_path):
    root, _ = clips
    out = tmp_path / "cv"
    r = cli(env, "train", "--data", root, "--model", "logreg", "--folds", "3", "--out", out, "--no-progress")
    assert r.returncode == 0, r.stderr
    r = cli(env, "evaluate", out, "--data", root, "--split", "test")
    assert r.returncode != 0
    assert "was fitted on them" in r.stderr and "--split all" in r.stderr
    r = cli(env, "evaluate", out, "--data", root, "--split", "all", "--json")
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)
    assert m["n_seen_in_training"] == 30 and "NOT a held-out score" in m["evaluated_on"]


def test_evaluate_refuses_manifest_test_items_the_model_trained_on(clips, env, tmp_path):
    root, table = clips
    train_manifest = tmp_path / "train.csv"
    table[["path", "label"]].to_csv(train_manifest, index=False)
    out = tmp_path / "holdout"
    assert cli(env, "train", "--data", train_manifest, "--model", "logreg", "--out", out, "--no-progress").returncode == 0
    split = pd.read_csv(out / "split.csv")
    trained = set(split.loc[split["split"] == "train", "path"])
    # another manifest that calls some of those training items 'test'
    other = table[["path", "label"]].copy()
    other["split"] = ["test" if p in trained else "train" for p in other["path"]]
    m = tmp_path / "other.csv"
    other.to_csv(m, index=False)
    r = cli(env, "evaluate", out, "--data", m, "--split", "test")
    assert r.returncode != 0 and "were used to fit or select this model" in r.stderr
    # its own test items are fine
    r = cli(env, "evaluate", out, "--data", train_manifest, "--split", "test", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["n_items"] == (split["split"] == "test").sum()


# -- folds keep the manifest's splits and groups ---------------------------------------
def test_folds_keep_the_manifest_test_split_and_groups(clips, env, tmp_path):
    root, table = clips
    t = table.copy()
    t["split"] = np.where(t["n"] >= 8, "test", "train")
    m = tmp_path / "m.csv"
    t[["path", "label", "split", "group"]].to_csv(m, index=False)
    out = tmp_path / "cvsplit"
    r = cli(env, "train", "--data", m, "--model", "logreg", "--folds", "2", "--out", out, "--no-progress")
    assert r.returncode == 0, r.stderr
    split = pd.read_csv(out / "split.csv", keep_default_na=False)
    test_rows = split["path"].isin(t.loc[t["split"] == "test", "path"])
    assert (split.loc[test_rows, "fold"] == -1).all()  # never folded
    assert (split.loc[test_rows, "split"] == "test").all()  # never fitted by the final model
    assert set(split.loc[~test_rows, "fold"]) == {0, 1}
    for _, g in split[~test_rows].groupby("group"):
        assert g["fold"].nunique() == 1  # a group never straddles two folds
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n_items"] == 24 and metrics["test"]["n_items"] == 6


# -- search and thresholds: the final fit never sees what selected it -----------------
def test_search_fits_the_final_model_on_the_training_part_only(clips, env, tmp_path):
    root, table = clips
    t = table.copy()
    t["label"] = t["label"].map({"tone": "pitched", "noise": "noisy", "clicks": "noisy;percussive"})
    m = tmp_path / "tags.csv"
    t[["path", "label", "group"]].to_csv(m, index=False)
    cfg = tmp_path / "c.yaml"
    cfg.write_text("search: true\nvalid_size: 0.2\n")
    out = tmp_path / "search"
    r = cli(env, "train", "--data", m, "--model", "logreg", "--config", cfg, "--out", out, "--no-progress")
    assert r.returncode == 0, r.stderr
    split = pd.read_csv(out / "split.csv", keep_default_na=False)
    from mirlearn.inference import load_bundle

    est = load_bundle(out).estimator
    # the pipeline's scaler counts what it was fitted on: the training part, not train+valid
    assert est.named_steps["scale"].n_samples_seen_ == (split["split"] == "train").sum()
    assert (split["split"] == "valid").sum() == 6  # 20 % of 30, whole groups


def test_inner_cv_is_group_aware(clips, monkeypatch, tmp_path):
    from sklearn.model_selection import GridSearchCV

    from mirlearn.training import train_run

    root, table = clips
    m = tmp_path / "g.csv"
    table[["path", "label", "group"]].to_csv(m, index=False)
    seen = []
    real_fit = GridSearchCV.fit

    def spy(self, X, y=None, **kw):
        cv = self.cv
        splits = list(cv) if isinstance(cv, list) else list(cv.split(X, y, kw.get("groups")))
        seen.append(splits)
        return real_fit(self, X, y, **kw)

    monkeypatch.setattr(GridSearchCV, "fit", spy)
    out = tmp_path / "inner"
    train_run(m, "logreg", out, overrides={"search": True, "valid_size": 0.0, "cache": str(tmp_path / "c")}, progress=False, echo=lambda s: None)
    split = pd.read_csv(out / "split.csv", keep_default_na=False)
    groups = split.loc[split["split"] == "train", "group"].to_numpy()
    assert seen
    for fit_idx, held_idx in seen[0]:
        assert not set(groups[fit_idx]) & set(groups[held_idx])


# -- validation parts: honoured sizes, clear errors ------------------------------------
def test_validation_size_is_honoured():
    ds = load_dataset(str(__import__("pathlib").Path(__file__).resolve().parents[2] / "shared" / "data" / "gtzan-mini-dev"))
    rest, held = holdout(ds, np.arange(40), 0.1, seed=0)
    assert len(held) == 4 and len(rest) == 36  # 10 %, not 25 %
    parts = assign_splits(ds, test_size=0.2, valid_size=0.1, seed=3)
    assert (parts == "test").sum() == 10 and (parts == "valid").sum() == 5


def test_holdout_keeps_groups_whole():
    items = [Item(f"f{i}", ("ab"[i % 2],), None, f"g{i // 4}") for i in range(40)]
    ds = Dataset(items, ["a", "b"])
    rest, held = holdout(ds, np.arange(40), 0.2, seed=5)
    g = np.array([it.group for it in items])
    assert not set(g[rest]) & set(g[held])
    assert len(held) == 8


def test_deep_model_without_validation_part_is_a_clear_error(clips, env, tmp_path):
    root, _ = clips
    cfg = tmp_path / "c.yaml"
    cfg.write_text("valid_size: 0.0\nepochs: 1\nchannels: [4, 4, 8, 8]\nn_mels: 32\nchunk_seconds: 1.0\n")
    r = cli(env, "train", "--data", root, "--model", "cnn", "--config", cfg, "--out", tmp_path / "d", "--no-progress", "--accelerator", "cpu")
    assert r.returncode == 2 and "need a validation part" in r.stderr


def test_tagging_without_validation_part_is_a_clear_error(clips, env, tmp_path):
    root, table = clips
    t = table.copy()
    t["label"] = t["label"].map({"tone": "pitched", "noise": "noisy", "clicks": "noisy;percussive"})
    m = tmp_path / "tags.csv"
    t[["path", "label"]].to_csv(m, index=False)
    cfg = tmp_path / "c.yaml"
    cfg.write_text("valid_size: 0.0\n")
    r = cli(env, "train", "--data", m, "--model", "logreg", "--config", cfg, "--out", tmp_path / "t", "--no-progress")
    assert r.returncode == 2 and "validation part to choose per-tag thresholds" in r.stderr


# -- scores and metrics ----------------------------------------------------------------
def test_classic_scores_align_with_classes_():
    from sklearn.linear_model import LogisticRegression

    X = np.r_[np.zeros((5, 2)), np.ones((5, 2))] + np.random.default_rng(0).normal(0, 0.1, (10, 2))
    y = np.r_[np.zeros(5, int), np.full(5, 2)]  # class 1 ('b') missing from training
    est = LogisticRegression().fit(X, y)
    s = classic_scores(est, X, ["a", "b", "c"])
    assert s.shape == (10, 3)
    np.testing.assert_array_equal(s[:, 1], 0)
    np.testing.assert_allclose(s[:, [0, 2]], est.predict_proba(X))


def test_macro_f1_uses_the_full_label_set():
    m = classification_metrics([0, 0, 1, 1], [0, 0, 1, 1], classes=["a", "b", "c"])
    assert m["macro_f1"] == pytest.approx(2 / 3)  # 'c' (absent, never predicted) counts as 0
    assert m["balanced_accuracy"] == 1.0  # recall of the classes present


def test_fold_std_is_the_sample_std():
    from mirlearn.evaluation import aggregate_folds

    agg = aggregate_folds([{"accuracy": 0.5}, {"accuracy": 0.7}, {"accuracy": 0.9}])
    assert agg["accuracy"]["std"] == pytest.approx(0.2)  # ddof=1


# -- deep models: normalisation sample, whole clips ------------------------------------
def test_normalisation_statistics_come_from_a_seeded_random_sample(tmp_path):
    from mirlearn.training.deep import normalisation

    files = []
    for i in range(20):  # class-sorted order: the first clips are all quiet
        f = tmp_path / f"{i:02d}.npy"
        np.save(f, np.full((4, 10), float(i), np.float32))
        files.append(f)
    m0, _ = normalisation(files, seed=0, max_files=5)
    m0b, _ = normalisation(files, seed=0, max_files=5)
    means = {round(normalisation(files, seed=s, max_files=5)[0], 6) for s in range(5)}
    assert m0 == m0b  # seeded
    assert m0 != pytest.approx(2.0)  # not the first five clips (mean 2)
    assert len(means) > 1
    assert normalisation(files, seed=0, max_files=50)[0] == pytest.approx(9.5)  # all when few


@pytest.mark.parametrize("n", [1, 99, 100, 101, 250, 300, 333])
def test_chunks_cover_every_frame(n):
    starts = chunk_starts(n, 100)
    covered = np.zeros(max(n, 100), bool)
    for s in starts:
        covered[s : s + 100] = True
    assert covered[:n].all() and max(starts) + 100 >= n
    assert all(s + 100 <= max(n, 100) for s in starts)


def test_clip_score_includes_the_tail(tmp_path):
    import torch

    from mirlearn.inference.chunks import predict_clips

    class Loudness(torch.nn.Module):  # class 1 when the chunk is loud
        def forward(self, x):
            m = x.mean(dim=(1, 2))
            return torch.stack([-m, m], dim=1) * 10

    X = np.full((4, 250), -1.0, np.float32)
    X[:, 200:] = 1.0  # only the tail is loud
    f = tmp_path / "x.npy"
    np.save(f, X)
    p = predict_clips(Loudness(), [f], {"chunk_frames": 100, "norm_mean": 0.0, "norm_std": 1.0})
    # chunks [0, 100) and [100, 200) are quiet (p ~ 0); the tail chunk [150, 250) is half
    # loud (p = 0.5): without it the clip would score ~0
    assert p[0, 1] == pytest.approx(0.5 / 3, abs=1e-3)


def test_missing_group_by_column_is_an_error(tmp_path):
    m = tmp_path / "m.csv"
    m.write_text("path,label\na.wav,x\n")
    with pytest.raises(ParameterError, match="no column 'instrument_pitch'"):
        load_dataset(m, group_by="instrument_pitch", check_files=False)


def test_evaluate_train_split_is_allowed_and_labelled_and_new_data_is_scored_whole(clips, env, tmp_path):
    root, table = clips
    t = table.copy()
    t["split"] = np.where(t["n"] >= 8, "test", "train")
    m = tmp_path / "m.csv"
    t[["path", "label", "split"]].to_csv(m, index=False)
    run = tmp_path / "run"
    assert cli(env, "train", "--data", m, "--model", "logreg", "--out", run, "--no-progress").returncode == 0
    r = cli(env, "evaluate", run, "--data", m, "--split", "train", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert "NOT a held-out score" in out["evaluated_on"] and out["n_seen_in_training"] == out["n_items"]
    # other data, no split column, none of it seen: the default --split test scores all of it, and says so
    other = tmp_path / "other"
    for kind in ("tone", "noise"):
        (other / kind).mkdir(parents=True)
        for i in range(2):
            sf.write(other / kind / f"{i}.wav", synthetic_clip(kind, np.random.default_rng(i)), SR)
    r = cli(env, "evaluate", run, "--data", other, "--json")
    assert r.returncode == 0, r.stderr
    new = json.loads(r.stdout)
    assert new["n_items"] == 4 and new["n_seen_in_training"] == 0 and "none of which the model was trained" in new["evaluated_on"]
    r = cli(env, "evaluate", run, "--data", other, "--split", "all", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["accuracy"] == new["accuracy"]
    # ... but one training item among them and it refuses again
    shutil.copytree(other, tmp_path / "mixed")
    os.symlink(t.loc[t["n"] == 0, "path"].iloc[0], tmp_path / "mixed" / "tone" / "seen.wav")
    r = cli(env, "evaluate", run, "--data", tmp_path / "mixed")
    assert r.returncode == 2 and "was fitted on them" in r.stderr and "--split all" in r.stderr


@pytest.mark.parametrize("model", ["logreg", "cnn"])
def test_tag_thresholds_and_early_stopping_never_see_test_labels(clips, env, tmp_path, model):
    """Giving the test items the complement of their tags changes the test scores, never the fitted
    model, its per-tag thresholds or (deep) the epoch early stopping kept: those come from the
    validation part. (Thresholds chosen on all items would move: 12 of the 30 are test items.)"""
    _, df = clips
    tags = {"tone": "pitched", "noise": "noisy", "clicks": "noisy;percussive"}
    complement = {"tone": "noisy;percussive", "noise": "pitched;percussive", "clicks": "pitched"}
    part = lambda n: "train" if n < 4 else "valid" if n < 6 else "test"  # noqa: E731
    cfg = tmp_path / "c.yaml"
    cfg.write_text("epochs: 3\npatience: 1\nbatch_size: 8\nchunk_seconds: 1.0\nchunks_per_clip: 2\nchannels: [4, 4, 8, 8]\n"
                   "n_mels: 32\n" if model == "cnn" else "{}\n")
    runs = []
    for rotate in (False, True):
        moved = complement if rotate else tags
        rows = [f"{r.path},{moved[r.label] if part(r.n) == 'test' else tags[r.label]},{part(r.n)}" for r in df.itertuples()]
        man = tmp_path / f"tags{int(rotate)}.csv"
        man.write_text("path,label,split\n" + "\n".join(rows) + "\n")
        out = tmp_path / f"run{int(rotate)}"
        r = cli(env, "train", "--data", man, "--model", model, "--config", cfg, "--out", out, "--no-progress", "--accelerator", "cpu")
        assert r.returncode == 0, r.stderr
        runs.append(out)
    a, b = (json.loads((r / "model" / "bundle.json").read_text()) for r in runs)
    assert a["multilabel"] and a["thresholds"] == b["thresholds"]
    pa, pb = (pd.read_csv(r / "predictions.csv") for r in runs)
    prob = [c for c in pa.columns if c.startswith("p_")]
    np.testing.assert_array_equal(pa[prob].to_numpy(), pb[prob].to_numpy())  # the same model on the same test clips
    ma, mb = (json.loads((r / "metrics.json").read_text()) for r in runs)
    assert ma["roc_auc_macro"] != mb["roc_auc_macro"]  # the test labels are read, for scoring only
    if model == "cnn":
        import torch

        wa, wb = (torch.load(r / "model" / "model.pt", weights_only=True)["state_dict"] for r in runs)
        assert wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)
        assert a["extra"]["epochs_run"] == b["extra"]["epochs_run"]
