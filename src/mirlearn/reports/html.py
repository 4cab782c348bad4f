"""``report.html``: metrics table, confusion matrix, per-class F1, training curves and a
few log-mel spectrograms with their predictions, in one self-contained file."""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

import numpy as np

from ..tasks import FRAME_TASKS

__all__ = ["write_report", "write_frame_report", "confusion_figure", "per_class_f1_figure"]


def _png(fig):
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def confusion_figure(confusion, classes, title="Confusion matrix"):
    import matplotlib.pyplot as plt

    C = np.asarray(confusion)
    n = len(classes)
    fig, ax = plt.subplots(figsize=(1.0 + 0.55 * n, 0.8 + 0.5 * n))
    im = ax.imshow(C, cmap="Blues")
    ax.set_xticks(range(n), classes, rotation=60, ha="right")
    ax.set_yticks(range(n), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(n):
        for j in range(n):
            if C[i, j]:
                ax.text(j, i, int(C[i, j]), ha="center", va="center", color="white" if C[i, j] > C.max() / 2 else "black", fontsize=8)
    ax.set_title(title)
    fig.colorbar(im, ax=ax, shrink=0.8)
    return fig


def per_class_f1_figure(per_class, title="Per-class F1"):
    import matplotlib.pyplot as plt

    names = list(per_class)
    f1 = [per_class[c]["f1"] for c in names]
    fig, ax = plt.subplots(figsize=(max(4, 0.5 * len(names) + 1), 3))
    ax.bar(range(len(names)), f1, color="tab:blue")
    ax.set_xticks(range(len(names)), names, rotation=60, ha="right")
    ax.set_ylim(0, 1)
    ax.set_ylabel("F1")
    ax.set_title(title)
    return fig


def _curves_figure(history):
    import matplotlib.pyplot as plt

    keys = [k for k in ("loss", "acc") if any(h.get(f"{st}_{k}") is not None for h in history for st in ("train", "val"))]
    fig, axes = plt.subplots(1, max(len(keys), 1), figsize=(4.5 * max(len(keys), 1), 3), squeeze=False)
    ep = [h["epoch"] for h in history]
    for key, ax in zip(keys, axes[0]):
        for stage in ("train", "val"):
            vals = [h.get(f"{stage}_{key}") for h in history]
            pts = [(e, v) for e, v in zip(ep, vals) if v is not None and not np.isnan(v)]
            if pts:
                ax.plot(*zip(*pts), marker="o", ms=3, label=stage)
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.legend()
    fig.suptitle("Training curves")
    return fig


def _spectrogram_figures(ds, pred_idx, pred_scores, bundle, n=4):
    import matplotlib.pyplot as plt

    from ..audio import load
    from ..display import specshow_feature
    from ..features import extract

    figs = []
    for i, scores in list(zip(pred_idx, pred_scores))[:n]:
        item = ds.items[i]
        try:
            y, sr = load(item.path, sr=22050, duration=10.0)
        except Exception:  # a report never fails on a figure
            continue
        X = extract(y, sr=sr, features=["logmel"])["logmel"]
        fig, ax = plt.subplots(figsize=(6, 2.6))
        specshow_feature(X, feature="logmel", sr=sr, ax=ax)
        top = np.argsort(scores)[::-1][:3]
        guess = ", ".join(f"{bundle.classes[j]} {scores[j]:.2f}" for j in top)
        ax.set_title(f"{Path(item.path).name} — true: {';'.join(item.labels)} — predicted: {guess}", fontsize=8)
        figs.append(_png(fig))
    return figs


def write_report(out, metrics, *, ds=None, pred_idx=None, pred_scores=None, bundle=None):
    """Write ``out/report.html`` from a run's metrics (and, when given, its data and
    predictions for the spectrogram examples)."""
    import matplotlib

    matplotlib.use("Agg")
    out = Path(out)
    rows = []
    for k in ("accuracy", "balanced_accuracy", "macro_f1", "roc_auc_macro", "pr_auc_macro", "n_items", "n_train", "n_valid"):
        if k in metrics:
            v = metrics[k]
            s = f"{v:.4f}" if isinstance(v, float) else str(v)
            if "std" in metrics and k in metrics["std"]:
                s += f" ± {metrics['std'][k]:.4f}"
            rows.append(f"<tr><th>{k}</th><td>{s}</td></tr>")
    figures = []
    folds = metrics.get("folds")
    last = folds[-1] if folds else metrics
    if "confusion" in metrics or (folds and "confusion" in folds[0]):
        conf = np.sum([f["confusion"] for f in folds], axis=0) if folds else metrics["confusion"]
        figures.append(("Confusion matrix" + (" (summed over folds)" if folds else ""), _png(confusion_figure(conf, last["classes"]))))
        per_class = metrics.get("per_class") or folds[0]["per_class"]
        if folds:
            per_class = {c: {"f1": float(np.mean([f["per_class"][c]["f1"] for f in folds]))} for c in folds[0]["per_class"]}
        figures.append(("Per-class F1" + (" (mean over folds)" if folds else ""), _png(per_class_f1_figure(per_class))))
    if "per_tag" in last:
        tags = {c: {"f1": e["f1"]} for c, e in last["per_tag"].items()}
        figures.append(("Per-tag F1", _png(per_class_f1_figure(tags, "Per-tag F1"))))
    hist_file = out / "history.json"
    if hist_file.exists():
        history = json.loads(hist_file.read_text())
        if history:
            figures.append(("Training curves", _png(_curves_figure(history))))
    examples = []
    if ds is not None and pred_idx is not None and len(pred_idx):
        examples = _spectrogram_figures(ds, pred_idx, pred_scores, bundle)
    sections = ["<h2>Metrics</h2><table>" + "".join(rows) + "</table>"]
    sections += [_figure(title, src) for title, src in figures]
    if examples:
        sections.append("<h2>Examples (log-mel, first 10 s)</h2>" + "".join(f"<img src='{src}' alt='example'>" for src in examples))
    return _write_page(out, metrics, sections)


def _figure(title, src):
    return f"<h2>{html.escape(title)}</h2><img src='{src}' alt='{html.escape(title)}'>"


def _table(header, rows):
    cells = lambda tag, row: "<tr>" + "".join(f"<{tag}>{html.escape(str(c))}</{tag}>" for c in row) + "</tr>"  # noqa: E731
    return "<table>" + cells("th", header) + "".join(cells("td", r) for r in rows) + "</table>"


def _write_page(out, metrics, sections):
    """``out/report.html``: a title from the run's model and data, its evaluation, the
    sections, and the files the run skipped."""
    skipped = metrics.get("skipped") or []
    body = [
        "<!doctype html><html><head><meta charset='utf-8'><title>mirlearn run report</title>",
        "<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto}table{border-collapse:collapse}"
        "th,td{border:1px solid #ccc;padding:4px 10px;text-align:left}img{max-width:100%}</style></head><body>",
        f"<h1>{html.escape(str(metrics.get('model')))} on {html.escape(str(metrics.get('data')))}</h1>",
        f"<p>Evaluation: {html.escape(str(metrics.get('evaluation')))}</p>",
        *sections,
    ]
    if skipped:
        body.append("<h2>Skipped files</h2><ul>" + "".join(f"<li>{html.escape(s['path'])}: {html.escape(str(s['reason']))}</li>" for s in skipped) + "</ul>")
    body.append("</body></html>")
    out = Path(out)
    (out / "report.html").write_text("\n".join(body), encoding="utf-8", errors="backslashreplace")
    return out / "report.html"


#: the headline keys of each frame-level task, in the order shown
FRAME_KEYS = {name: (*t.metrics, *t.extra_fold_metrics) for name, t in FRAME_TASKS.items()}


def write_frame_report(out, metrics, *, postprocess=None, history=None, worst=10):
    """``out/report.html`` of a frame-level run (onsets, drums, pitch): its test scores
    (mean ± std over folds under cross-validation; peak picking against a 0.5 threshold of the
    same activations), per-class F-measures, per-fold scores, the post-processing chosen on
    validation data, training curves, and the test files that scored worst."""
    import matplotlib

    matplotlib.use("Agg")
    task = metrics.get("task")
    folds = metrics.get("folds") or []
    fmt = lambda k: f"{metrics[k]:.4f}" + (f" ± {metrics[k + '_std']:.4f}" if k + "_std" in metrics else "")  # noqa: E731
    rows = [(k, fmt(k)) for k in FRAME_KEYS.get(task, ()) if k in metrics]
    rows += [(k, metrics[k]) for k in ("n_files",) if k in metrics]
    sections = ["<h2>Test scores</h2>" + _table(("metric", "value"), rows)]
    parts = folds or ([metrics] if "f_measure" in metrics or "raw_pitch_accuracy" in metrics else [])
    if parts and "threshold_0.5" in parts[0]:
        pp = [p["f_measure"] for p in parts]
        th = [p["threshold_0.5"]["f_measure"] for p in parts]
        sections.append("<h2>Peak picking vs a 0.5 threshold (F-measure, same activations)</h2>"
                        + _table(("part", "peak picking", "threshold 0.5"),
                                 [(f"fold {i}" if folds else "test", f"{a:.4f}", f"{b:.4f}") for i, (a, b) in enumerate(zip(pp, th))]))
    if parts and "per_class" in parts[0]:
        classes = list(parts[0]["per_class"])
        per_class = {c: {"f1": float(np.mean([p["per_class"][c]["f_measure"] for p in parts]))} for c in classes}
        sections.append(_figure("Per-class F-measure" + (" (mean over folds)" if folds else ""),
                                _png(per_class_f1_figure(per_class, "Per-class F-measure"))))
    if folds:
        keys = [k for k in FRAME_KEYS.get(task, ()) if k in folds[0]]
        sections.append("<h2>Per fold</h2>" + _table(("fold", *keys), [(i, *(f"{f[k]:.4f}" for k in keys)) for i, f in enumerate(folds)]))
    if parts and "peaks" in parts[0]:  # beats: the HMM and peak picking of the same activations
        keys = [k for k in FRAME_KEYS.get(task, ()) if k in parts[0]["peaks"]]
        sections.append("<h2>Bar-pointer HMM vs peak picking (same activations)</h2>"
                        + _table(("part", *(f"{k} (HMM / peaks)" for k in keys)),
                                 [(f"fold {i}" if folds else "test", *(f"{p[k]:.4f} / {p['peaks'][k]:.4f}" for k in keys))
                                  for i, p in enumerate(parts)]))
    if postprocess:
        sections.append("<h2>Post-processing (chosen on validation data)</h2>"
                        + _table(("class", "parameters"), [(c, json.dumps(v)) if isinstance(v, dict) else (c, v) for c, v in postprocess.items()]))
    if history:
        sections.append(_figure("Training curves", _png(_curves_figure(history))))
    per_file = {}
    for p in parts:
        per_file.update(p.get("per_file") or {})
    flat = [k for k in FRAME_KEYS.get(task, ()) if per_file and all(isinstance(v, dict) and k in v for v in per_file.values())]
    if flat:
        sections.append("<h2>Per test file</h2>" + _table(("file", *flat), [(Path(f).name, *(f"{v[k]:.4f}" for k in flat))
                                                                          for f, v in sorted(per_file.items())]))
    if per_file:
        score = lambda v: v["f_measure"] if "f_measure" in v else (v.get("raw_pitch_accuracy") if "raw_pitch_accuracy" in v  # noqa: E731
                                                                  else float(np.mean([c["f_measure"] for c in v.values()])))
        ranked = sorted(per_file.items(), key=lambda kv: score(kv[1]))[:worst]
        sections.append(f"<h2>The {len(ranked)} test files that scored worst</h2>"
                        + _table(("file", "score"), [(Path(f).name, f"{score(v):.4f}") for f, v in ranked]))
    return _write_page(out, metrics, sections)
