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


def test_beats_learning_curve_table_is_its_results_file():
    results = json.loads((ROOT / "bench" / "results" / "beats-curve.json").read_text())
    section = _section("### Beats: learning curve over the real training songs")
    assert results["code"] in section and results["date"] in section
    table = {line.split(" | ")[0][2:]: line for line in section.splitlines() if line.startswith("| ") and "±" in line}
    names = {"real0": "0 real + 60 synthetic", "real1": "1 real + 60 synthetic", "real2": "2 real + 60 synthetic",
             "nosynth": "4 real, no synthetic"}
    for c, r in results["conditions"].items():
        assert len(r["folds"]) == 4
        s = r["summary"]
        assert table[names[c]] == (f"| {names[c]} | {s['f_measure']} | {s['cmlt']} | {s['amlt']} | "
                                   f"{s['downbeat_f_measure']} | {s['acc1']} |")
        assert s["f_measure"] == _mean_std([f["f_measure"] for f in r["folds"]])


def test_beats_bar_cues_and_downbeat_phase_tables_are_their_results_files():
    cues = json.loads((ROOT / "bench" / "results" / "beats-cues.json").read_text())
    phase = json.loads((ROOT / "bench" / "results" / "beats-downbeat-phase.json").read_text())
    section = _section("### Beats: synthetic songs with bar cues")
    for results in (cues, phase):
        assert results["code"] in section and results["date"] in section
    names = {"real4": "4 real + 60 synthetic", "cues": "4 real + 60 synthetic with bar cues"}
    rows = [line for line in section.splitlines() if line.startswith("| 4 real")]
    expected = []
    for key in ("real4", "cues", "real4-seed1", "cues-seed1", "real4-seed2", "cues-seed2"):
        r = cues["conditions"][key]
        s = r["summary"]
        assert len(r["folds"]) == 4 and s["downbeat_f_measure"] == _mean_std([f["downbeat_f_measure"] for f in r["folds"]])
        expected.append(f"| {names[key.split('-')[0]]} | {r.get('seed', 0)} | {s['f_measure']} | {s['cmlt']} | {s['amlt']} | "
                        f"{s['downbeat_f_measure']} | {s['acc1']} | " + ", ".join(f"{f['downbeat_f_measure']:.3f}" for f in r["folds"]) + " |")
    assert rows == expected

    def cell(r):
        pos = r["positions"]
        top = int(np.argmax(pos))
        return str(top + 1) if sum(pos) and pos[top] >= 0.75 * sum(pos) else "mixed"

    order = ("real0", "real4", "cues", "real4-seed1", "cues-seed1")
    table = [line for line in section.splitlines() if line.startswith("| ") and line.split(" | ")[0][2:] in
             {r["song"].replace("MusicDelta_", "") for r in phase["conditions"]["real0"]}]
    expected = [f"| {r['song'].replace('MusicDelta_', '')} | {r['fold']} | "
                + " | ".join(cell(phase["conditions"][c][i]) for c in order) + " |"
                for i, r in enumerate(phase["conditions"]["real0"])]
    assert table == expected
    # "with seed 0 it reproduces the recipe's CV above to the last digit"
    recipe = next(r for r in json.loads((ROOT / "bench" / "results" / "beats.json").read_text())["results"]
                  if r["method"] == "beat_tcn + hmm")
    assert cues["conditions"]["real4"]["summary"] == recipe["summary"]


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
    """Classic and deep models in the genre section, embedding heads in the transfer section (with logreg beside them)."""
    results = json.loads((ROOT / "bench" / "results" / "gtzan.json").read_text())["results"]
    genre = _section("## Segment level: genre classification on gtzan-mini-dev")
    transfer = _section("## Transfer learning on gtzan-mini-dev")
    assert set(_bench_module("gtzan").MODELS) <= set(results)  # every model of the script's default run, deep ones too
    for model, r in results.items():
        section = transfer if "+" in model else genre
        assert r["code"] in section and r["date"] in section
        row = (f"| {model} | {_mean_std(r['accuracy'])} | {_mean_std(r['macro_f1'])} | {_mean_std(r['pooled_accuracy'])} | "
               f"{_mean_std(r['pooled_macro_f1'])} | {np.mean(r['fold_std_accuracy']):.3f} | {np.mean(r['seconds']):.0f} |")
        assert row in section.splitlines(), row
        if model == "logreg":
            assert row in transfer.splitlines()
        assert len(r["accuracy"]) == len(r["seeds"]) >= 3
    assert sum("+" in m for m in results) == 4 and "| logreg |" in transfer


@pytest.mark.parametrize("name, title, command", [
    ("notes", "## Note level", "bench/notes.py --out runs/bench-notes"),  # the first note-level section: across SoundFonts
    ("notes-musicnn_mtt-logreg_musicnn_msd-logreg_svm_rbf", "### Notes across SoundFonts: pretrained embeddings",
     "bench/notes.py --models musicnn_mtt+logreg,musicnn_msd+logreg,svm_rbf"),
])
def test_notes_across_soundfonts_tables_are_their_results_files(name, title, command):
    results = json.loads((ROOT / "bench" / "results" / f"{name}.json").read_text())
    section = _section(title)
    assert command in section
    assert results["meta"]["code"] in section and results["meta"]["date"] in section
    table = [line.strip() for line in section.splitlines() if line.strip().startswith("| TimGM6mb")]
    expected = [f"| {r['test_source']} | {r['labels']} | {'yes' if r['augment'] else 'no'} | {r['model']} | {_mean_std(r['accuracy'])} | "
                f"{_mean_std(r['balanced_accuracy'])} | {_mean_std(r['macro_f1'])} | {r['test_notes']} | {np.mean(r['seconds']):.0f} |"
                for r in results["results"]]
    assert table == expected
    assert all(len(r["accuracy"]) == len(results["meta"]["seeds"]) >= 3 for r in results["results"])


def test_gtzan_finetune_row_is_its_results_file():
    r = json.loads((ROOT / "bench" / "results" / "gtzan-gtzan-finetune.json").read_text())["results"]["musicnn_finetune"]
    section = _section("### Fine-tuned musicnn")
    assert f"code {r['code']}; {r['date']}" in section and "--config configs/gtzan-finetune.yaml" in r["command"]
    row = (f"| musicnn_finetune | {_mean_std(r['accuracy'])} | {_mean_std(r['macro_f1'])} | {_mean_std(r['pooled_accuracy'])} | "
           f"{_mean_std(r['pooled_macro_f1'])} | {np.mean(r['fold_std_accuracy']):.3f} | {np.mean(r['seconds']):.0f} |")
    assert row in [line.strip() for line in section.splitlines()]
    assert f"({np.mean(r['seconds']):.0f} s against" in section


def _counts(text):
    """{choice: count} from a 'choice ×n, choice ×m' cell."""
    return {c.rsplit(" ×", 1)[0]: int(c.rsplit(" ×", 1)[1]) for c in text.split(", ")}


def test_gtzan_heads_tables_are_their_results_file():
    results = json.loads((ROOT / "bench" / "results" / "gtzan-heads.json").read_text())
    section = _section("### Linear heads on the embeddings")
    assert f"code {results['code']}; {results['date']}" in section
    lines = [line.strip() for line in section.splitlines()]
    rows = [line for line in lines if line.startswith("| ") and line.count("|") == 5 and not line.startswith(("| embedding", "| network"))]
    grid = [line for line in rows if "×" not in line]
    assert grid == [f"| {key.split(' ')[0]} | {key.split(' ')[1]} | {key.split('C=')[1]} | {_mean_std(acc)} |"
                    for key, acc in results["grid"].items()]
    nested = [line.split(" | ") for line in rows if "×" in line]
    assert [row[0][2:] for row in nested] == list(results["nested"])
    for (_, score, per_seed, choices), r in zip(nested, results["nested"].values()):
        assert score == _mean_std(r["per_seed"])
        assert per_seed == ", ".join(f"{a:.3f}" for a in r["per_seed"])
        assert _counts(choices.rstrip(" |")) == {p: r["picks"].count(p) for p in r["picks"]}
        assert sum(_counts(choices.rstrip(" |")).values()) == 5 * len(results["seeds"])  # one choice per outer fold


def test_gtzan_heads_fusion_and_hop_numbers_are_their_results_files():
    section = _section("### Linear heads on the embeddings")
    hop = json.loads((ROOT / "bench" / "results" / "gtzan-heads-hop1.json").read_text())
    assert hop["patch_hop"] == 1 and f"code {hop['code']}, {hop['date']}" in section
    best = max(hop["grid"].items(), key=lambda kv: np.mean(kv[1]))
    assert best[0].startswith("musicnn_msd:max_pool patch") and f"falls to {_mean_std(best[1])}" in section
    for net, text in [("musicnn_msd", "musicnn MSD"), ("vgg_mtt", "VGG MTT"), ("vgg_msd", "VGG MSD"), ("musicnn_mtt", "musicnn\nMTT")]:
        assert f"{text} {_mean_std(hop['nested'][net]['per_seed'])}" in section
    fusion = json.loads((ROOT / "bench" / "results" / "gtzan-heads-fusion.json").read_text())
    assert fusion["fusion"] and f"code {fusion['code']},\n{fusion['date']}" in section
    rows = [line for line in section.splitlines() if line.startswith(("| concat", "| late fusion"))]
    expected = []
    for key, net in [("concat", "concat (4 networks)"), ("late fusion", "late fusion (4 networks)")]:
        cells = [" / ".join(_mean_std(fusion["grid"][f"{key} {head} C={C}"]) for C in ("0.01", "0.1", "1")) for head in ("mean", "patch")]
        per_seed = fusion["nested"][net]["per_seed"]
        expected.append(f"| {key} | {cells[0]} | {cells[1]} | {_mean_std(per_seed)} | {', '.join(f'{a:.3f}' for a in per_seed)} |")
    assert rows == expected


def _frontends(name):
    return json.loads((ROOT / "bench" / "results" / f"frontends-{name}.json").read_text())


def test_frontend_speed_table_is_its_results_file():
    results = _frontends("speed")
    section = _section("### Speed of the frozen front-ends")
    assert results["stamp"].split(";")[0] in section
    rows = [line for line in section.splitlines() if line.startswith(("| logmel", "| mfcc", "| cqt"))]
    assert rows == [f"| {r['feature']} | {r['engine_s']:.3f} | {r['torch_s']:.3f} | {r['torch_s'] / r['engine_s']:.2f} | "
                    f"{r['librosa_s']:.3f} | {r['librosa_s'] / r['engine_s']:.2f} | {r['nnaudio_s']:.3f} | {r['nnaudio_s'] / r['engine_s']:.2f} |"
                    for r in results["rows"]]


@pytest.mark.parametrize("task", ["gtzan", "notes"])
def test_frontend_accuracy_tables_are_their_results_files(task):
    results = _frontends(f"accuracy-{task}")
    section = _section("### The same CNN behind each front-end")
    assert results["stamp"].split(";")[0] in section
    table = section[section.index("GTZAN (gtzan-mini-dev" if task == "gtzan" else "Notes (12 instruments"):]
    table = table[: table.index("\n\n", table.index("|---"))]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "±" in line]
    assert rows == [f"| {v} | {_mean_std(r['accuracy'])} | {_mean_std(r['macro_f1'])} | {', '.join(f'{a:.2f}' for a in r['accuracy'])} | "
                    f"{np.mean(r['seconds']):.0f} |" for v, r in results["results"][task].items()]
    assert all(r["over"] == ("5 folds" if task == "gtzan" else f"{len(results['seeds'])} seeds") for r in results["results"][task].values())


def test_zero_mean_gain_table_is_its_results_file():
    results = _frontends("gain")
    section = _section("### Zero-mean convolution against gain")
    assert results["stamp"].split(";")[0] in section
    rows = [line for line in section.splitlines() if line.startswith("| CNN")]
    names = {"plain": "CNN", "zero-mean": "CNN (zero-mean first layer)"}
    assert rows == [f"| {names[k]} | " + " | ".join(_mean_std(c[str(g)]) for g in results["gains_db"]) + " |"
                    for k, c in results["curves"].items()]
    per_seed = ", ".join(f"{a:.3f}" for a in results["curves"]["zero-mean"]["0"])
    assert f"zero-mean: {per_seed} at every gain" in section
    zero_mean = results["curves"]["zero-mean"]  # "at every gain": the same accuracies
    assert all(zero_mean[str(g)] == pytest.approx(zero_mean["0"], abs=1e-9) for g in results["gains_db"])


def _frame_results(name):
    return json.loads((ROOT / "bench" / "results" / f"{name}.json").read_text())


def _onset_cells(r):
    return (f"{r['f_measure']} | {r['precision']} | {r['recall']} | {r.get('threshold_0.5', '-')} | "
            f"{', '.join(f'{x:.3f}' for x in r['folds_f'])} | {r['seconds']} |")


#: the rows of the onset configurations table, in order, and the results file of each
ONSET_CONFIGURATIONS = ["onsets", "onsets-e40", "onsets-c16", "onsets-seed1", "onsets-gain6", "onsets-ens3", "onsets-shift2",
                        "onsets-synth80", "onsets-synth200", "onsets-frac0.25", "onsets-frac0.5", "onsets-frac0.75", "onsets-crnn"]


def test_onset_tables_are_their_results_files():
    section = _section("### Onsets: 4-fold CV on bock-onsets-dev")
    main = _frame_results("onsets")
    assert f"code {main['meta']['code']}" in section
    rows = [line for line in section.splitlines() if line.startswith(("| spectral_flux", "| superflux", "| onset_cnn"))]
    assert rows == [f"| {name} | {r['f_measure']} | {r['precision']} | {r['recall']} | {r['f_measure_mean']} | "
                    f"{r.get('threshold_0.5', '-')} | {', '.join(f'{x:.3f}' for x in r['folds_f'])} | {r['seconds']} |"
                    for name, r in main["results"].items()]
    table = section[section.index("| configuration | command |"):]
    rows = [line for line in table.splitlines()[2:] if line.startswith("| ")]
    assert len(rows) == len(ONSET_CONFIGURATIONS)
    for row, name in zip(rows, ONSET_CONFIGURATIONS):
        d = _frame_results(name)
        r = d["results"]["onset_cnn (weighted_bce)"] if name == "onsets" else next(iter(d["results"].values()))
        assert row.endswith(" | " + _onset_cells(r)), (name, row)
        assert name in ("onsets", "onsets-frac0.5", "onsets-frac0.75") or f"(code {d['meta']['code']}" in row, name


def test_drum_and_pitch_tables_are_their_results_files():
    section = _section("### Drums: 4-fold CV by song")
    first, second = section.split("| training data | scored on |")[1:3]
    for text, d, names in [(first, _frame_results("drums"), {"real seed 0": "real"}),
                           (second, _frame_results("drums-30x32"), {"real seed 0": "real", "real+synthetic seed 0": "real + 12 synthetic"})]:
        assert d["meta"]["code"] in section
        rows = [line for line in text.splitlines() if line.startswith("| real")]
        expected = []
        for name, r in d["results"].items():
            for kind in ("stems", "mixtures"):
                k = r[kind]
                mean = f"**{k['mean']}**" if f"**{k['mean']}**" in text else k["mean"]
                row = f"| {names[name]} | {kind} | {k['KD']} | {k['SD']} | {k['HH']} | {mean} | {', '.join(f'{x:.3f}' for x in k['folds_mean'])} |"
                if text is second:
                    row += f" {r['seconds']} |" if kind == "stems" else " |"
                expected.append(row)
        assert rows == expected
    section = _section("### Pitch: trained on rendered melodies")
    d = _frame_results("pitch")
    assert d["meta"]["code"] in section
    keys = ("raw_pitch_accuracy", "raw_chroma_accuracy", "voicing_recall", "voicing_false_alarm", "overall_accuracy")
    sources = {"timgm6mb": "TimGM6mb", "madmom": "madmom stereo_sample"}
    rows = [line for line in section.splitlines() if line.startswith(("| pitch_cnn", "| pyin"))]
    assert rows == [f"| {m} | {sources[s]} | " + " | ".join(r[k] for k in keys) + " |" for m, srcs in d["results"].items() for s, r in srcs.items()]


def test_detection_speed_table_is_its_results_file():
    section = _section("### Detection speed, one CPU core")
    d = _frame_results("detection")
    assert d["meta"]["date"] in section
    rows = [line for line in section.splitlines() if line.startswith("| ") and line.count("|") == 5 and "---" not in line][1:]
    assert rows == [f"| {name} | {r['x_realtime']:.1f} | {r['audio_s']:.1f} | {r['compute_s']:.3f} |" for name, r in d["results"].items()]


def _bench_module(name):
    import importlib.util
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return module


#: The runs of the separation section on budget, losses and songs, in the order of its table.
SEPARATION_RUNS = ("separation-e24", "separation-songs2", "separation-songs3", "separation-e24-wave", "separation-e24-wave-songs2",
                   "separation-e24-wave-songs2-b")


def test_separation_tables_are_their_results_files():
    section = _section("### BSS Eval v4 on mdb-stems-dev")
    merged = {}
    for name in ("separation-mask", "separation-wave", "separation-wave-ablation", "separation-mask-synthetic"):
        d = json.loads((ROOT / "bench" / "results" / f"{name}.json").read_text())
        assert f"code {d['code']}" in section or d["code"] in section, name
        merged.update(d["results"])
    separation = _bench_module("separation")  # the script's own table of finished results (--report)
    expected = [line for line in separation.table(merged, separation.STEMS_ORDER).splitlines() if line.startswith("| ") and "---" not in line][1:]
    rows = [line for line in section.splitlines() if line.startswith(("| mixture", "| hpss", "| oracle", "| mask_unet", "| wave_u_net"))]
    assert rows == expected
    # independently of the script: a learned row is the mean ± std over seeds of the median SDR over the test songs
    seeds = [merged[f"mask_unet|all|{i}"] for i in range(3)]
    medians = {stem: [float(np.median([s["sdr"][stem] for s in r["songs"] if s["sdr"].get(stem) is not None])) for r in seeds]
               for stem in ("drums", "bass", "vocals", "other")}
    assert [r["sdr"]["drums"] for r in seeds] == pytest.approx(medians["drums"])
    v = np.asarray(medians["drums"])
    assert rows[3].startswith(f"| mask_unet all | {v.mean():.2f} ± {v.std(ddof=1):.2f} |")

    # the budget, the waveform loss and the learning curve over songs (issue #25): one code, the script's own table
    section = _section("### Separation: a longer budget, a waveform loss, fewer songs")
    merged, codes = {}, set()
    for name in SEPARATION_RUNS:
        d = json.loads((ROOT / "bench" / "results" / f"{name}.json").read_text())
        codes.add(d["code"])
        merged.update(d["results"])
    assert len(codes) == 1 and codes.pop() in section
    expected = [line for line in separation.table(merged, separation.STEMS_ORDER).splitlines() if line.startswith("| ") and "---" not in line][1:]
    rows = [line for line in section.splitlines() if line.startswith(("| mixture", "| hpss", "| mask_unet"))]
    assert rows == expected
    assert all(len([k for k in merged if k.startswith(g)]) >= 3 for g in {k.rsplit("|", 1)[0] + "|" for k in merged if "|" in k})
    # the 6-epoch, 5-song row of the first table (an older code) was rerun under this code, seed 0: the same scores
    check = json.loads((ROOT / "bench" / "results" / "separation-e6-check.json").read_text())
    assert check["code"] in section
    old = json.loads((ROOT / "bench" / "results" / "separation-mask.json").read_text())["results"]["mask_unet|all|0"]
    assert check["results"]["mask_unet|all e6|0"]["sdr"] == old["sdr"]

    # recorded drum kits layered into the mixtures (issue #25): the layered runs (one code) beside the unlayered ones
    section = _section("### Separation: recorded drum kits layered into the mixtures")
    merged = {}
    for name in ("separation-e24", "separation-e24-wave", "separation-kits-s0", "separation-kits-s1", "separation-kits-s2"):
        d = json.loads((ROOT / "bench" / "results" / f"{name}.json").read_text())
        assert d["code"] in section, name
        merged.update({k: v for k, v in d["results"].items() if k in ("hpss", "mixture") or "e24 wave1" in k})
    assert sorted(k for k in merged if "kits" in k) == [f"mask_unet|all+kits e24 wave1|{i}" for i in range(3)]
    assert all(merged[f"mask_unet|all+kits e24 wave1|{i}"]["config"]["augment"]["layer"] == 0.5 for i in range(3))
    expected = [line for line in separation.table(merged, separation.STEMS_ORDER).splitlines() if line.startswith("| ") and "---" not in line][1:]
    rows = [line for line in section.splitlines() if line.startswith(("| mixture", "| hpss", "| mask_unet"))]
    assert rows == expected

    speed = json.loads((ROOT / "bench" / "results" / "separation_speed.json").read_text())
    section = _section("### Separation speed on one core")
    values = [line.rsplit("|", 2)[1].strip() for line in section.splitlines() if line.startswith("| ") and line.rstrip().endswith("|")][1:]
    assert values == [f"{r['x_realtime']:.1f}" for r in speed["results"].values()]


def test_drums_on_separated_mixtures_table_is_its_results_file():
    d = json.loads((ROOT / "bench" / "results" / "drums_separated.json").read_text())
    section = _section("### Drum transcription on full mixtures, with and without separating")
    assert d["meta"]["code"] in section
    names = {"mixture": "full mixture (no separation)", "separated": "mask U-Net drums estimate", "hpss": "HPSS percussive part",
             "drum_stem": "true drum stem (ceiling)"}
    rows = [line for line in section.splitlines() if line.startswith(tuple(f"| {n}" for n in names.values()))]
    expected = []
    for key, r in d["results"].items():
        m = r["mean_std"]
        mean = f"**{m['mean']}**" if key == "mixture" else m["mean"]
        per_fold = ", ".join(f"{f['mean']:.3f}" for f in r["folds"])
        expected.append(f"| {names[key]} | {m['KD']} | {m['SD']} | {m['HH']} | {mean} | {per_fold} | "
                        f"{r['pooled']['mean']:.3f} |")
        assert m["mean"] == _mean_std([f["mean"] for f in r["folds"]])
    assert rows == expected


def test_data_sources_table_is_its_results_file():
    d = json.loads((ROOT / "bench" / "results" / "data-sources.json").read_text())
    text = (ROOT / "docs" / "data-sources.md").read_text()
    table = text[text.index("| source | package | licence |"):]
    rows = [line for line in table.split("\n\n")[0].splitlines()[2:]]
    assert rows == [f"| {s['source']} | {s['package']} | {s['licence']} | {s['real']} | {s.get('holds', 'not installed')} | {s['use']} |"
                    for s in d["sources"]]
    assert all(("holds" in s) == s["installed"] for s in d["sources"])


def test_leave_one_soundfont_out_tables_are_their_results_file():
    d = json.loads((ROOT / "bench" / "results" / "notes-loso.json").read_text())["results"]
    section = _section("### Leave one SoundFont out, with and without each augmentation")
    assert len({(r["code"], r["date"]) for r in d}) == 1 and f"code {d[0]['code']}; {d[0]['date']}" in section  # one run
    lines = [line.strip() for line in section.splitlines()]
    rows = [line for line in lines if line.startswith("| ") and line.count("|") == 7 and "±" in line]
    assert rows == [f"| {r['test_source']} | {r['condition']} | {_mean_std(r['instrument'])} | {_mean_std(r['family'])} | "
                    f"{r['test_notes']} | {np.mean(r['seconds']):.0f} |" for r in d]
    sources = sorted({r["test_source"] for r in d})
    conditions = list(dict.fromkeys(r["condition"] for r in d))
    assert len(sources) == 3 and all(len(r["instrument"]) == len(r["seeds"]) >= 3 for r in d)
    means = [line for line in lines if line.startswith("| ") and line.count("|") == 4 and "±" in line]
    expected = []
    for cond in conditions:
        per_seed = np.mean([[r["instrument"], r["family"]] for r in d if r["condition"] == cond], axis=0)  # (2, seeds)
        expected.append(f"| {cond} | {_mean_std(per_seed[0])} | {_mean_std(per_seed[1])} |")
    assert means == expected


def test_beat_network_per_song_table_is_its_results_file():
    results = json.loads((ROOT / "bench" / "results" / "beats.json").read_text())["results"]
    tcn = next(r for r in results if r["method"] == "beat_tcn + hmm")
    section = _section("### Beats and tempo: 4-fold CV by song")
    rows = [line for line in section.splitlines() if line.startswith("| ") and line.split(" | ")[0][2:].isdigit()]
    assert rows == [f"| {s['fold']} | {s['song']} | {s['f_measure']:.3f} | {s['cmlt']:.3f} | {s['amlt']:.3f} | "
                    f"{s['downbeat_f_measure']:.3f} | {s['acc1']:.0f} |" for s in sorted(tcn["per_song"], key=lambda s: (s["fold"], s["song"]))]


def test_pitch_distillation_tables_are_their_results_files():
    section = _section("### Pitch by distillation")
    d = _frame_results("pitch-teacher")
    assert d["meta"]["code"] in section and d["meta"]["command"] in section
    keys = ("raw_pitch_accuracy", "raw_chroma_accuracy", "voicing_recall", "voicing_false_alarm", "overall_accuracy")
    names = {"rendered": "rendered", "rendered+teacher": "rendered + teacher", "teacher-only": "teacher only",
             "pyin": "pYIN", "crepe": "CREPE (the teacher)"}
    tests = {"salamander": "Salamander piano", "timgm6mb": "TimGM6mb", "held-out songs": "held-out songs (teacher's labels)"}
    rows = [line for line in section.splitlines() if line.startswith(tuple(f"| {n} |" for n in names.values()))]
    expected = [f"| {names[m]} | {tests[t]} | " + " | ".join(r[k] for k in keys) + " |"
                for t in tests for m, by in d["results"].items() for tt, r in by.items() if tt == t]
    assert rows == expected
    a = _frame_results("teacher-agreement")
    assert a["meta"]["code"] in section
    for clip, r in a["results"]["agreement"].items():
        assert f"| {clip} | {r['voiced_full@100']} | {r['full@50']['overall_accuracy']} | {r['tiny@100']['overall_accuracy']} |" in section


def test_onset_teacher_table_is_its_results_file():
    section = _section("### basic-pitch as an onset teacher")
    d = _frame_results("onset-teacher")
    assert d["meta"]["code"] in section
    for name, r in d["results"].items():
        if name in ("tuned", "threshold 0.5"):
            row = f"| basic-pitch, {name} | {r['f_measure']} | {r['precision']} | {r['recall']} | {', '.join(f'{x:.3f}' for x in r['folds_f'])} |"
            assert row in section
    assert f"{d['results']['cpu_seconds_per_audio_second']} s of CPU per second of audio" in section
