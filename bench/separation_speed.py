"""Separation speed on one CPU core: the shipped model, the two networks at their training
defaults (untrained weights: the cost does not depend on them), Wave-U-Net at the paper's M4
size, and HPSS, on the same decoded mixtures, side by side in one run.

× real time = seconds of audio / seconds of computation. Two measurements:

* ``model``: ``separate(mixture)`` on audio already at the model's rate;
* ``separate command``: what ``mirlearn separate FILE --out DIR`` does for each file
  (:func:`mirlearn.inference.separate.separate_files`: decoding, resampling to the model's
  rate and back, writing every stem), shipped model only.

One core: BLAS/OpenMP pools and torch are limited to one thread before anything is imported.
Median of --repeat runs. The mixtures: the sum of each mdb-stems-dev song's four stems.

    python bench/separation_speed.py [--songs 4] [--repeat 3]
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from detection import timed  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--songs", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "separation_speed.json")
    args = ap.parse_args()

    import soundfile as sf
    import torch

    torch.set_num_threads(1)
    from mirlearn.data.separation import load_separation, read_song
    from mirlearn.inference.separate import HPSSSeparator, SeparationBundle, resolve_separator, separate_files
    from mirlearn.models.neural import build_network
    from mirlearn.training.separation import NETWORK_DEFAULTS

    songs, stems = load_separation(SHARED / "mdb-stems-dev")
    songs = songs[: args.songs]
    sr = 22050
    mixes = [read_song(s, stems=stems, sr=sr).sum(axis=0) for s in songs]
    seconds = sum(m.shape[-1] for m in mixes) / sr
    rows = {}

    def bench(name, fn):
        t = sum(timed(lambda: fn(m), args.repeat) for m in mixes)
        rows[name] = {"x_realtime": round(seconds / t, 1), "audio_s": round(seconds, 1), "compute_s": round(t, 3)}
        print(name, rows[name], flush=True)

    shipped = resolve_separator()
    bench(f"model: shipped {shipped.network}", shipped.separate)
    for name in ("mask_unet", "wave_u_net"):
        net = build_network(name, **{**NETWORK_DEFAULTS[name], "n_sources": len(stems), "n_channels": 1})
        b = SeparationBundle(network=name, network_config=net.get_config(), stems=stems, sr=sr, state_dict=net.state_dict(), info={})
        bench(f"model: {name}, training defaults", b.separate)
    m4 = build_network("wave_u_net", n_sources=len(stems), n_channels=1, n_layers=12, n_filters=24, output_samples=16389)
    b = SeparationBundle(network="wave_u_net", network_config=m4.get_config(), stems=stems, sr=sr, state_dict=m4.state_dict(), info={})
    bench("model: wave_u_net, the paper's M4 size (12 layers, 24 filters)", b.separate)
    bench("model: HPSS", HPSSSeparator(stems=stems, sr=sr).separate)

    with tempfile.TemporaryDirectory() as tmp:  # the command, on files at 44.1 kHz (as a user's audio)
        files = []
        for s, m in zip(songs, mixes):
            from mirlearn.audio.io import resample

            f = Path(tmp) / f"{s.name}.wav"
            sf.write(f, resample(m[0], orig_sr=sr, target_sr=44100), 44100, subtype="PCM_16")
            files.append(f)
        t = timed(lambda: separate_files(files, Path(tmp) / "out", progress=False, echo=lambda *a: None), args.repeat)
        rows["separate command: shipped model, 44.1 kHz WAV in and out"] = {"x_realtime": round(seconds / t, 1),
                                                                             "audio_s": round(seconds, 1), "compute_s": round(t, 3)}
        print(rows["separate command: shipped model, 44.1 kHz WAV in and out"], flush=True)
    meta = dict(command="python bench/separation_speed.py " + " ".join(sys.argv[1:]),
                machine=f"{platform.machine()}, {os.cpu_count()} cores, run on 1", date=str(date.today()),
                songs=[s.name for s in songs], versions={"torch": str(torch.__version__), "numpy": np.__version__})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"meta": meta, "results": rows}, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
