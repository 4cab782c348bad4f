"""``mirlearn``: the command-line entry point.

Subcommands::

    mirlearn extract INPUT... --out DIR    features of many files, parallel and resumable
    mirlearn show AUDIO --feature logmel --out fig.png
    mirlearn features                      list the features and their parameters
"""

from __future__ import annotations

import argparse
import math
import signal
import sys

from .._version import __version__
from ..errors import MirlearnError, ParameterError

__all__ = ["main", "build_parser"]


def _parse_value(text):
    low = text.strip().lower()
    if low in ("none", "null"):
        return None
    if low in ("inf", "+inf", "infinity"):
        return math.inf
    if low == "-inf":
        return -math.inf
    if low in ("true", "false"):
        return low == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def parse_params(items):
    """``["n_mfcc=13", "mfcc__n_mels=40"]`` -> ``{"n_mfcc": 13, "mfcc__n_mels": 40}``."""
    params = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ParameterError(f"--param expects NAME=VALUE (e.g. n_mfcc=13), got {item!r}")
        params[name.strip()] = _parse_value(value)
    return params


def _csv_list(text):
    return tuple(s.strip() for s in text.split(",") if s.strip())


def _sr(text):
    if text.lower() in ("native", "none"):
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--sr expects a rate in Hz or 'native', got {text!r}") from None
    return int(value) if value.is_integer() else value


def build_parser():
    parser = argparse.ArgumentParser(
        prog="mirlearn",
        description="Machine learning on music audio: features, models, evaluation.",
    )
    parser.add_argument("--version", action="version", version=f"mirlearn {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    ex = sub.add_parser(
        "extract",
        help="extract features of many audio files (parallel, cached, resumable)",
        description=(
            "Extract features of audio files, folders (searched recursively) and manifests "
            "(.csv/.tsv with a 'path' column, or .txt with one path per line). Frame-level "
            "features go to OUT/store/<key>/<feature>.npy (memory-mappable), summaries to "
            "OUT/summaries.parquet, the list of files and their status to OUT/index.parquet, "
            "every outcome to OUT/extract.log. Re-running with the same OUT skips finished "
            "files, so an interrupted run resumes. Bad files are reported and skipped."
        ),
        epilog=(
            "examples:\n"
            "  mirlearn extract music/ --out feats/\n"
            "  mirlearn extract list.csv --features mfcc,chroma_cqt --param n_mfcc=13 --out feats/\n"
            "  mirlearn extract music/ --out /shared/feats --scheduler tcp://10.0.0.5:8786"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ex.add_argument("inputs", nargs="+", metavar="INPUT", help="audio files, folders or manifests")
    ex.add_argument("--out", required=True, metavar="DIR", help="output folder (created; reused to resume)")
    ex.add_argument(
        "--features",
        type=_csv_list,
        default=None,
        metavar="A,B,...",
        help="comma-separated feature names (default: a classic bundle; see 'mirlearn features')",
    )
    ex.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a librosa parameter for every feature that takes it (n_fft=4096), or FEATURE__NAME=VALUE "
        "for one feature (mfcc__n_mels=40); repeat as needed",
    )
    ex.add_argument("--sr", type=_sr, default=22050, help="sampling rate to resample to, or 'native' (default 22050)")
    ex.add_argument(
        "--stats", type=_csv_list, default=("mean", "std"), metavar="S,...",
        help="summary statistics: mean,std,min,max,median,pNN (default mean,std)",
    )
    ex.add_argument("--deltas", action="store_true", help="also summarise the first-order delta of every feature row")
    ex.add_argument("-j", "--jobs", type=int, default=None, help="worker processes (default: all cores)")
    ex.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT", help="run on a Dask distributed cluster")
    ex.add_argument("--strict", action="store_true", help="exit non-zero if any file failed")
    ex.add_argument("--no-progress", action="store_true", help="no progress bar")
    ex.set_defaults(func=_cmd_extract)

    sh = sub.add_parser(
        "show",
        help="draw a feature of an audio file as a labelled figure",
        description="Draw one feature of an audio file: time in seconds, frequency in Hz, notes or pitch classes.",
    )
    sh.add_argument("audio", metavar="AUDIO")
    sh.add_argument("--feature", default="logmel", choices=["logmel", "cqt", "chroma_stft", "chroma_cqt", "mfcc", "stft"])
    sh.add_argument("--out", required=True, metavar="FIG.png", help="output image (.png, .pdf, .svg)")
    sh.add_argument("--sr", type=_sr, default=22050, help="sampling rate (default 22050, or 'native')")
    sh.add_argument("--offset", type=float, default=0.0, help="start time in seconds")
    sh.add_argument("--duration", type=float, default=None, help="seconds to show (default: all)")
    sh.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="feature parameter, as for extract")
    sh.set_defaults(func=_cmd_show)

    fe = sub.add_parser("features", help="list the available features and their parameters")
    fe.set_defaults(func=_cmd_features)
    return parser


def _cmd_extract(args):
    from ..extraction import ExtractionConfig, discover, extract_files
    from ..features import DEFAULT_FEATURES

    config = ExtractionConfig(
        features=args.features or DEFAULT_FEATURES,
        params=parse_params(args.param),
        sr=args.sr,
        stats=args.stats,
        deltas=args.deltas,
    ).validate()
    paths = discover(args.inputs)
    if not paths:
        raise ParameterError(f"no audio files found in {', '.join(args.inputs)}")
    report = extract_files(paths, args.out, config, n_jobs=args.jobs, scheduler=args.scheduler, progress=not args.no_progress)
    print(report.describe())
    if report.n_ok == 0:
        return 1
    if args.strict and report.failures:
        return 1
    return 0


def _cmd_show(args):
    from ..display import show_file

    path = show_file(
        args.audio,
        feature=args.feature,
        out=args.out,
        sr=args.sr,
        offset=args.offset,
        duration=args.duration,
        **parse_params(args.param),
    )
    print(f"wrote {path}")
    return 0


def _cmd_features(args):
    from ..features import FEATURES

    for spec in FEATURES.values():
        print(f"{spec.name}  (= {spec.librosa})")
        print("    " + ", ".join(f"{k}={v!r}" for k, v in spec.params.items()))
    return 0


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        return args.func(args)
    except MirlearnError as exc:
        print(f"mirlearn {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"mirlearn {args.command}: interrupted; finished work is kept, run again to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
