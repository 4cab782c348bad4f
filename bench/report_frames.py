"""Markdown tables of the frame-level benchmark results (bench/results/{onsets,drums,pitch,
detection}*.json, written by bench/onsets.py, bench/drums.py, bench/pitch.py and
bench/detection.py; a suffix such as ``onsets-c16.json`` is another configuration's run,
``--out`` of the script), for docs/benchmarks.md. Numbers are copied from the JSON files,
never computed here.

    python bench/report_frames.py > /tmp/frames.md
"""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def _load(name):
    """The results of ``name.json`` and then of ``name-*.json``, in name order."""
    return [json.loads(p.read_text()) for p in [RESULTS / f"{name}.json", *sorted(RESULTS.glob(f"{name}-*.json"))] if p.is_file()]


def _meta(m):
    return f"Command: `{m['command']}`; machine: {m['machine']}; date: {m['date']}" + (f"; code {m['code']}" if "code" in m else "") + "."


def onsets(d):
    out = ["### Onsets: 4-fold CV on bock-onsets-dev", "", _meta(d["meta"]), "",
           "| method | F (summed) | P | R | F (per-file mean) | F, 0.5 threshold instead of peak picking | F per fold | s |",
           "|---|---|---|---|---|---|---|---:|"]
    for name, r in d["results"].items():
        out.append(f"| {name} | {r['f_measure']} | {r['precision']} | {r['recall']} | {r['f_measure_mean']} | "
                   f"{r.get('threshold_0.5', '-')} | {', '.join(f'{x:.3f}' for x in r['folds_f'])} | {r['seconds']} |")
    return "\n".join(out)


def drums(d):
    out = ["### Drums: 4-fold CV by song (MDB Drums stems and full mixtures)", "", _meta(d["meta"]), "",
           "| training data | scored on | KD | SD | HH | mean F | mean F per fold |", "|---|---|---|---|---|---|---|"]
    for name, r in d["results"].items():
        for kind in ("stems", "mixtures"):
            k = r[kind]
            out.append(f"| {name} | {kind} | {k['KD']} | {k['SD']} | {k['HH']} | {k['mean']} | {', '.join(map(str, k['folds_mean']))} |")
    return "\n".join(out)


def pitch(d):
    keys = ("raw_pitch_accuracy", "raw_chroma_accuracy", "voicing_recall", "voicing_false_alarm", "overall_accuracy")
    out = ["### Pitch: trained on FluidR3 renders, scored on other sources", "", _meta(d["meta"]), "",
           "| method | test source | RPA | RCA | voicing recall | voicing false alarm | OA |", "|---|---|---|---|---|---|---|"]
    for method, srcs in d["results"].items():
        for src, r in srcs.items():
            out.append(f"| {method} | {src} | " + " | ".join(r[k] for k in keys) + " |")
    return "\n".join(out)


def detection(d):
    out = ["### Detection speed, one CPU core", "", _meta(d["meta"]), "", "| method | × real time | audio (s) | compute (s) |",
           "|---|---:|---:|---:|"]
    for name, r in d["results"].items():
        out.append(f"| {name} | {r['x_realtime']} | {r['audio_s']} | {r['compute_s']} |")
    return "\n".join(out)


def main():
    for name, fn in (("onsets", onsets), ("drums", drums), ("pitch", pitch), ("detection", detection)):
        for d in _load(name):
            print(fn(d))
            print()


if __name__ == "__main__":
    main()
