"""The benchmark tables in docs/benchmarks.md are the committed scripts' results files
(bench/results/*.json), not numbers typed in: each table checked here is recomputed from its
JSON file."""

from __future__ import annotations

import json

import numpy as np
import pytest

from .conftest import ROOT

DOC = (ROOT / "docs" / "benchmarks.md").read_text()


def _mean_std(values):
    v = np.asarray(values, dtype=float)
    return f"{v.mean():.3f} ± {v.std(ddof=1) if len(v) > 1 else 0.0:.3f}"


def _section(title):
    """The text from a heading to the next heading of any level."""
    start = DOC.index(title)
    end = DOC.find("\n#", start + 1)
    return DOC[start:end if end > 0 else None]


def test_leave_one_real_source_out_table_is_its_results_file():
    results = json.loads((ROOT / "bench" / "results" / "notes-real.json").read_text())
    section = _section("## Note level: leave one real source out")
    assert results["meta"]["code"] in section and results["meta"]["date"] in section
    table = [line for line in section.splitlines() if line.startswith("| ") and "±" in line]
    expected = [f"| {r['test_source']} | {r['model']} | {_mean_std(r['instrument'])} | {_mean_std(r['family'])} | "
                f"{r['test_notes']} | {r['training_notes']} | {sum(r['seconds']) / len(r['seconds']):.0f} |"
                for r in results["results"]]
    assert table == expected
    assert all(len(r["instrument"]) == len(results["meta"]["seeds"]) >= 3 for r in results["results"])  # 3 seeds or more


def test_real_data_learning_curve_table_is_its_results_file():
    results = json.loads((ROOT / "bench" / "results" / "notes-real-curve.json").read_text())
    section = _section("### Learning curve over the amount of real training data")
    assert results["meta"]["code"] in section and results["meta"]["date"] in section
    table = [line for line in section.splitlines() if line.startswith("| ") and "±" in line]
    expected = [f"| {r['test_source']} | {r['model']} | {r['fraction']:g} | {round(np.mean(r['real_training_notes']))} | "
                f"{round(np.mean(r['training_notes']))} | {_mean_std(r['instrument'])} | {_mean_std(r['family'])} |"
                for r in results["results"]]
    assert table == expected
    assert all(len(r["instrument"]) == len(results["meta"]["seeds"]) >= 3 for r in results["results"])
    # the fractions nest and fraction 0 is rendered notes only
    for r in results["results"]:
        assert (r["fraction"] == 0) == (max(r["real_training_notes"]) == 0)


def test_beats_table_is_its_results_file():
    results = json.loads((ROOT / "bench" / "results" / "beats.json").read_text())
    section = _section("### Beats and tempo: 4-fold CV by song")
    assert results["meta"]["code"] in section and results["meta"]["date"] in section
    metrics = ("f_measure", "cmlt", "amlt", "p_score", "cemgil", "information_gain", "downbeat_f_measure", "acc1", "acc2")
    rows = [line for line in section.splitlines() if line.startswith("| ") and "±" in line]
    assert rows == [f"| {r['method']} | " + " | ".join("—" if r["summary"][k] is None else r["summary"][k] for k in metrics) + " |"
                    for r in results["results"]]
    for r in results["results"]:  # the summary is the mean ± std of the fold means, and each fold the mean of its songs
        for k in metrics:
            if r["summary"][k] is not None:
                assert r["summary"][k] == _mean_std([f[k] for f in r["folds"]])
                if r["per_song"]:  # (the network's per-song scores are kept to 4 decimals by its run)
                    assert [f[k] for f in r["folds"]] == pytest.approx(
                        [np.mean([s[k] for s in r["per_song"] if s["fold"] == i]) for i in range(len(r["folds"]))], abs=1e-4)
    for r in results["results"]:
        if r.get("source"):  # rows read from another results file: the same numbers as that file's folds
            folds = json.loads((ROOT / r["source"]).read_text())["folds"]
            get = (lambda f: f["peaks"]) if r["method"].endswith("peaks") else (lambda f: f)
            assert [x["f_measure"] for x in r["folds"]] == [get(f)["f_measure"] for f in folds]
    dp = next(r for r in results["results"] if r["method"] == "dp")
    per_song = [line for line in section.splitlines() if line.startswith("| MusicDelta")]
    assert per_song == [f"| {x['song']} | {x['fold']} | {x['f_measure']:.3f} | {x['cmlt']:.3f} | {x['amlt']:.3f} | "
                        f"{x['tempo']:.1f} | {x['reference_tempo']:.1f} |" for x in dp["per_song"]]


def test_feature_engine_tables_are_their_results_file():
    results = json.loads((ROOT / "bench" / "results" / "features.json").read_text())
    section = _section("## Feature engine against librosa")
    assert results["meta"]["code"] in section and results["meta"]["date"] in section
    rows = [line.strip() for line in section.splitlines() if line.strip().startswith("| ") and line.strip().endswith("x |")]
    expected = [f"| {m} | {r['mean_ms']:.1f} | {r['median_ms']:.1f} | {r['speedup']:.2f}x |"
                for bundle in results["results"]["bundles"].values() for m, r in bundle.items()]
    assert rows == expected
    errors = [line.strip() for line in section.splitlines() if line.strip().startswith("| ") and line.count("|") == 4
              and not line.strip().startswith(("| feature", "|---"))]
    assert errors == [f"| {k} | {e['max_abs']:.3g} | {e['max_rel']:.2g} |" for k, e in results["results"]["errors"].items()]
    # the ratios are of the means printed beside them
    for bundle in results["results"]["bundles"].values():
        base = bundle["(a) librosa, each function on y"]["mean_ms"]
        assert all(abs(r["speedup"] - base / r["mean_ms"]) < 0.02 * r["speedup"] for r in bundle.values())


def test_extract_table_is_its_results_file():
    results = json.loads((ROOT / "bench" / "results" / "extract.json").read_text())
    section = _section("## `mirlearn extract` end to end against a plain librosa loop")
    assert results["meta"]["code"] in section and results["meta"]["date"] in section
    rows = [line.strip() for line in section.splitlines() if line.strip().startswith(("| librosa", "| mirlearn"))]
    expected = [f"| {m} | {r['median_s']:.1f} | {', '.join(f'{t:.1f}' for t in r['runs_s'])} | {r['files_per_s']:.2f} | {r['speedup']:.2f}x |"
                for m, r in results["results"].items()]
    assert rows == expected
    assert all(len(r["runs_s"]) == results["meta"]["repeats"] for r in results["results"].values())
    assert all(r["median_s"] == pytest.approx(float(np.median(r["runs_s"])), abs=0.051) for r in results["results"].values())


@pytest.mark.parametrize("model", ["musicnn_msd", "vgg_mtt", "vgg_msd"])
def test_musicnn_port_checks_are_their_results_files(model):
    results = json.loads((ROOT / "bench" / "results" / f"musicnn-port-{model}.json").read_text())
    m = results["meta"]
    head = f"    # musicnn port checks: {model}, {m['clips']} gtzan-mini-dev clips ({m['patches']} patches of 3 s); code {m['code']}; {m['date']}"
    assert head in DOC
    block = DOC[DOC.index(head):]
    block = block[: block.index("First among the")]
    lines = [line.strip() for line in block.splitlines() if line.strip().startswith("| ") and "---" not in line]
    bn = [f"| {r['name']} | {r['live']} / {r['channels']} | {'nan' if r['corr'] is None else format(r['corr'], '.3f')} | "
          f"{r['var_ratio']:.2f} | {r['mean_offset']:.3f} |" for r in results["batch_norms"]]
    genres = [f"| {g['genre']} | {g['tag']} | {g['clips']} | {', '.join(map(str, g['ranks']))} | {g['auc']:.3f} |" for g in results["genres"]]
    assert [x for x in lines if not x.startswith(("| batch norm", "| genre"))] == bn + genres
    ranks = np.concatenate([g["ranks"] for g in results["genres"]])
    assert f"First among the {len(results['genres'])} genre tags: {int((ranks == 1).sum())} of {len(ranks)} clips" in DOC[DOC.index(head):]


def test_gtzan_rows_are_their_results_file():
    results = json.loads((ROOT / "bench" / "results" / "gtzan.json").read_text())["results"]
    section = _section("## Segment level: genre classification on gtzan-mini-dev")
    assert len(results) >= 7
    for model, r in results.items():
        assert r["code"] in section and r["date"] in section
        row = (f"| {model} | {_mean_std(r['accuracy'])} | {_mean_std(r['macro_f1'])} | {_mean_std(r['pooled_accuracy'])} | "
               f"{_mean_std(r['pooled_macro_f1'])} | {np.mean(r['fold_std_accuracy']):.3f} | {np.mean(r['seconds']):.0f} |")
        assert row in section.splitlines(), row
        assert len(r["accuracy"]) == len(r["seeds"]) >= 3


def test_notes_across_soundfonts_table_is_its_results_file():
    results = json.loads((ROOT / "bench" / "results" / "notes.json").read_text())
    section = _section("## Note level")  # the first note-level section: across SoundFonts
    assert "bench/notes.py --out runs/bench-notes" in section
    assert results["meta"]["code"] in section and results["meta"]["date"] in section
    table = [line for line in section.splitlines() if line.startswith("| TimGM6mb")]
    expected = [f"| {r['test_source']} | {r['labels']} | {'yes' if r['augment'] else 'no'} | {r['model']} | {_mean_std(r['accuracy'])} | "
                f"{_mean_std(r['balanced_accuracy'])} | {_mean_std(r['macro_f1'])} | {r['test_notes']} | {np.mean(r['seconds']):.0f} |"
                for r in results["results"]]
    assert table == expected
    assert all(len(r["accuracy"]) == len(results["meta"]["seeds"]) >= 3 for r in results["results"])
