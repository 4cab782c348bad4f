"""Detection speed on one CPU core: the shipped models and our baselines against librosa's
onset_detect, pyin, beat_track and tempo, on the same decoded audio, side by side in one run.

× real time = seconds of audio / seconds of computation (decoding the file is left out for
every method; resampling to the method's rate is included). One core: BLAS/OpenMP pools and
torch are limited to one thread before anything is imported. Median of --repeat runs.

    python bench/detection.py [--files 12] [--repeat 3]
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def timed(fn, repeat):
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def _beat_files():
    """Full mixtures for the beat trackers: the madmom clips and the GTZAN clips (30 s songs)."""
    return [SHARED / "madmom-clips" / "stereo_sample.flac", *sorted((SHARED / "gtzan-mini-dev").rglob("*.00000.*"))[:4]]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=12)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "detection.json")
    args = ap.parse_args()

    import librosa
    import torch

    torch.set_num_threads(1)
    from mirlearn.audio import load
    from mirlearn.audio.io import resample
    from mirlearn.detection.pitch import pyin
    from mirlearn.inference.detect import resolve_detector, run_detector

    onset_files = sorted((SHARED / "bock-onsets-dev" / "audio").glob("*.flac"))[:: max(1, 160 // args.files)][: args.files]
    drum_files = sorted((SHARED / "mdb-drums-dev" / "audio").glob("*.wav"))[:4]
    pitch_files = [SHARED / "madmom-clips" / "stereo_sample.flac"] + sorted((SHARED / "bock-onsets-dev" / "audio").glob("*Flute*"))[:2]

    def audio(files):
        return [load(f, sr=None)[0:2] for f in files]

    rows = {}

    def bench(name, task_files, fn):
        total_audio = total_t = 0.0
        for y, sr in task_files:
            total_audio += len(y) / sr
            total_t += timed(lambda: fn(y, sr), args.repeat)
        rows[name] = {"x_realtime": round(total_audio / total_t, 1), "audio_s": round(total_audio, 1), "compute_s": round(total_t, 3)}
        print(name, rows[name], flush=True)

    on = audio(onset_files)
    det_on = resolve_detector("onsets")
    sf_on = resolve_detector("onsets", method="superflux")
    bench("onsets: mirlearn shipped onset_cnn", on, lambda y, sr: run_detector(det_on, resample(y, orig_sr=sr, target_sr=det_on.sr)))
    bench("onsets: mirlearn superflux", on, lambda y, sr: run_detector(sf_on, resample(y, orig_sr=sr, target_sr=sf_on.sr)))
    bench("onsets: librosa onset_detect (22050 Hz)", on,
          lambda y, sr: librosa.onset.onset_detect(y=librosa.resample(y, orig_sr=sr, target_sr=22050), sr=22050, units="time"))

    dr = audio(drum_files)
    det_dr = resolve_detector("drums")
    bench("drums: mirlearn shipped drum_crnn", dr, lambda y, sr: run_detector(det_dr, resample(y, orig_sr=sr, target_sr=det_dr.sr)))

    pi = audio(pitch_files)
    det_pi = resolve_detector("pitch")
    bench("pitch: mirlearn shipped pitch_cnn", pi, lambda y, sr: run_detector(det_pi, resample(y, orig_sr=sr, target_sr=det_pi.sr)))
    bench("pitch: mirlearn pyin (22050 Hz)", pi,
          lambda y, sr: pyin(resample(y, orig_sr=sr, target_sr=22050), sr=22050, fmin=65, fmax=2093, frame_length=2048, hop_length=256))
    bench("pitch: librosa pyin (22050 Hz)", pi,
          lambda y, sr: librosa.pyin(librosa.resample(y, orig_sr=sr, target_sr=22050), sr=22050, fmin=65, fmax=2093,
                                     frame_length=2048, hop_length=256))
    be = [(resample(y, orig_sr=sr, target_sr=22050), 22050) for y, sr in audio(_beat_files())]
    det_be = resolve_detector("beats")
    dp_be = resolve_detector("beats", method="dp")
    bench("beats: mirlearn shipped beat_tcn + HMM (beats, downbeats, tempo)", be, lambda y, sr: run_detector(det_be, y))
    bench("beats: mirlearn beat_tcn activations only", be, lambda y, sr: det_be.activations(y))
    bench("beats: mirlearn dp (beats, tempo)", be, lambda y, sr: run_detector(dp_be, y))
    bench("beats: librosa beat_track (22050 Hz)", be, lambda y, sr: librosa.beat.beat_track(y=y, sr=sr, units="time"))
    bench("tempo: librosa feature.tempo (22050 Hz)", be, lambda y, sr: librosa.feature.tempo(y=y, sr=sr))
    meta = dict(command="python bench/detection.py " + " ".join(sys.argv[1:]), machine=f"{platform.machine()}, {os.cpu_count()} cores, run on 1",
                date=str(date.today()), files={"onsets": len(onset_files), "drums": len(drum_files), "pitch": len(pitch_files),
                                              "beats": len(_beat_files())},
                versions={"librosa": librosa.__version__, "torch": str(torch.__version__)})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"meta": meta, "results": rows}, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
