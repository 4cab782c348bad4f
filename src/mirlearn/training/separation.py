"""Source-separation training through the same Lightning layer as classification.

:func:`train_separation` reads a separation dataset (:func:`mirlearn.data.separation.load_separation`),
holds its songs in memory, and trains a separation network on random chunks remixed across
the training songs (:class:`~mirlearn.data.separation.RemixChunks`). Early stopping and the
best checkpoint follow the loss on fixed chunks of the validation songs. The test songs are
then separated whole and scored with BSS Eval v4 (:mod:`mirlearn.evaluation.separation`):
median over 1 s frames per song, then median over songs.

Parts are by song (stems of one song never straddle parts; a manifest's ``group`` column
keeps several songs together): the manifest's ``split`` column; else ``folds: K`` (K-fold by
song; ``folds: N`` with N songs is leave-one-song-out); else a seeded holdout. The validation
songs are always carved from the training part.

Losses: ``l1`` or ``l2`` on waveforms (``wave_u_net``) or on magnitudes (``mask_unet``).
For ``mask_unet``, ``wave_weight: W`` adds W times the same loss on the waveforms the masks
give (mixture phase, inverse STFT), scaled by the window's energy so that W = 1 weighs the
two domains about equally: a loss on the spectrogram and the waveform together.

Layering: ``layer_data: PATH`` names recordings of one stem alone (``layer_stem``, default
``drums``; a folder of audio files, read by :func:`mirlearn.data.separation.read_layers`), and
``augment: {layer: P}`` replaces that stem of a training chunk by a piece of one of them with
probability P, at the level of the stem it replaces: recorded drum kits
(``mirlearn datasets render-drums --kits ...``) layered into the real songs' mixtures.
Validation and test songs are never layered.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from ..errors import ParameterError
from ..fileio import atomic_write_text, write_csv

__all__ = ["SEPARATION_DEFAULTS", "SEPARATION_MODELS", "resolve_separation_config", "train_separation", "fit_separation_model"]

SEPARATION_MODELS = ("wave_u_net", "mask_unet")

#: Every configuration key of a separation run, with its default.
SEPARATION_DEFAULTS = {
    "seed": 0,
    "sr": 22050,
    "stems": None,
    "folds": None,
    "valid_size": 0.15,
    "test_size": 0.2,
    "network": {},
    "loss": "l1",
    "wave_weight": 0.0,
    "epochs": 30,
    "batch_size": 8,
    "chunks_per_epoch": 256,
    "lr": 1e-3,
    "weight_decay": 0.0,
    "patience": 8,
    "augment": {"remix": 0.5, "gain_db": 3.0, "polarity": True, "layer": 0.0},
    "layer_data": None,
    "layer_stem": "drums",
    "final_model": True,
    "accelerator": "auto",
    "devices": "auto",
    "strategy": "auto",
    "num_nodes": 1,
    "num_workers": 0,
}

#: Network settings a CPU trains in minutes; the papers' full sizes are a config away.
NETWORK_DEFAULTS = {
    "wave_u_net": dict(n_layers=8, n_filters=16, output_samples=8192),
    "mask_unet": dict(depth=5, n_filters=16, chunk_frames=128),
}

_AUGMENT_KEYS = ("remix", "gain_db", "polarity", "layer")


def _unknown(key, valid, where):
    import difflib

    near = difflib.get_close_matches(key, list(valid), n=1)
    return ParameterError(f"unknown {where} {key!r}" + (f" (did you mean {near[0]!r}?)" if near else "")
                          + f"; valid: {', '.join(sorted(valid))}")


def resolve_separation_config(*layers):
    """The defaults, updated by each layer (a config file, then ``--set`` overrides);
    unknown keys are errors."""
    cfg = copy.deepcopy(SEPARATION_DEFAULTS)
    for layer in layers:
        for k, v in (layer or {}).items():
            if k in ("model", "task"):
                continue
            if k not in SEPARATION_DEFAULTS:
                raise _unknown(k, SEPARATION_DEFAULTS, "config key for --task separation")
            if k == "augment":
                v = dict(v or {})
                for a in v:
                    if a not in _AUGMENT_KEYS:
                        raise _unknown(a, _AUGMENT_KEYS, "augment key")
                v = {**cfg["augment"], **v}
            cfg[k] = v
    for k in ("epochs", "batch_size", "chunks_per_epoch", "patience", "sr"):
        if not (isinstance(cfg[k], int) and cfg[k] >= 1):
            raise ParameterError(f"{k} must be a positive integer, got {cfg[k]!r}")
    if cfg["loss"] not in ("l1", "l2"):
        raise ParameterError(f"loss must be l1 or l2 for --task separation, got {cfg['loss']!r}")
    w = cfg["wave_weight"]
    if isinstance(w, bool) or not isinstance(w, (int, float)) or not w >= 0:
        raise ParameterError(f"wave_weight must be a number >= 0, got {w!r}")
    if not 0 < cfg["valid_size"] < 1:
        raise ParameterError(f"valid_size must be a fraction in (0, 1), got {cfg['valid_size']!r}")
    if not 0 <= float(cfg["augment"]["remix"]) <= 1:
        raise ParameterError(f"augment.remix is a probability in [0, 1], got {cfg['augment']['remix']!r}")
    layer = cfg["augment"]["layer"]
    if isinstance(layer, bool) or not isinstance(layer, (int, float)) or not 0 <= layer <= 1:
        raise ParameterError(f"augment.layer is a probability in [0, 1], got {layer!r}")
    if layer and not cfg["layer_data"]:
        raise ParameterError(f"augment.layer is {layer} but layer_data is not set; give layer_data: a folder of recordings "
                             f"of {cfg['layer_stem']!r} alone (mirlearn datasets render-drums --kits ...), or set augment.layer: 0")
    if not isinstance(cfg["layer_stem"], str):
        raise ParameterError(f"layer_stem must be a stem name, got {cfg['layer_stem']!r}")
    return cfg


def _items(songs, stems):
    """Adapters for :func:`mirlearn.training.frames.split_items`: a song is identified by its
    first stem's file."""
    return [SimpleNamespace(path=s.paths[stems[0]], group=s.group or s.name, split=s.split, fold=None) for s in songs]


def _module(net, *, loss, lr, weight_decay, epochs, wave_weight=0.0):
    import torch.nn.functional as F

    from .deep import loss_module

    loss_fn = F.l1_loss if loss == "l1" else F.mse_loss
    if wave_weight and net.NAME != "mask_unet":
        raise ParameterError(f"wave_weight is for mask_unet (a loss on magnitudes); {net.NAME}'s loss is on waveforms already")
    scale = net.wave_scale(1 if loss == "l1" else 2) if wave_weight else 0.0

    def batch_loss(net, batch, stage):
        if not wave_weight:
            return loss_fn(*net.training_pair(batch))
        est, ref, est_wave, ref_wave = net.training_pair(batch, waveforms=True)
        return loss_fn(est, ref) + wave_weight * scale * loss_fn(est_wave, ref_wave)

    def new_chunks(module):  # new random chunks every epoch, reproducibly
        module.trainer.train_dataloader.dataset.epoch = module.current_epoch

    return loss_module(net, batch_loss, lr=lr, weight_decay=weight_decay, epochs=epochs, optimizer="adam",
                       on_train_epoch_start=new_chunks)


def _chunk_samples(net):
    return net.input_samples if net.NAME == "wave_u_net" else net.samples_for(net.get_config()["chunk_frames"])


def fit_separation_model(model, train, valid, cfg, *, stems, out_dir, progress=True):
    """Train ``model`` on in-memory songs ``train`` (list of ``(n_stems, n_channels, n)``
    arrays); early stopping on ``valid``. Returns the bundle and the history."""
    import lightning as L
    import torch
    from torch.utils.data import DataLoader

    from ..data.separation import RemixChunks, SongChunks, read_layers
    from ..inference.separate import SeparationBundle
    from ..models.neural import build_network
    from .deep import fit_best

    if not valid:
        raise ParameterError("separation training needs validation songs (early stopping); add songs or raise valid_size")
    L.seed_everything(cfg["seed"], workers=True, verbose=False)
    net_cfg = {**NETWORK_DEFAULTS[model], **cfg["network"], "n_sources": len(stems), "n_channels": int(train[0].shape[1])}
    net = build_network(model, **net_cfg)
    chunk = _chunk_samples(net)
    aug = cfg["augment"]
    layers, layer_stem = None, 0
    if aug["layer"]:
        if cfg["layer_stem"] not in stems:
            raise ParameterError(f"layer_stem {cfg['layer_stem']!r} is not one of the stems {', '.join(stems)}")
        layers, layer_stem = read_layers(cfg["layer_data"], sr=int(cfg["sr"])), list(stems).index(cfg["layer_stem"])
    train_ds = RemixChunks(train, chunk=chunk, n_chunks=cfg["chunks_per_epoch"], remix=aug["remix"], gain_db=aug["gain_db"],
                           polarity=aug["polarity"], layers=layers, layer_stem=layer_stem, layer=aug["layer"], seed=cfg["seed"])
    valid_ds = SongChunks(valid, chunk=chunk)
    g = torch.Generator().manual_seed(cfg["seed"])
    kw = dict(num_workers=cfg["num_workers"], persistent_workers=cfg["num_workers"] > 0)
    train_dl = DataLoader(train_ds, batch_size=cfg["batch_size"], shuffle=True, generator=g, drop_last=True, **kw)
    valid_dl = DataLoader(valid_ds, batch_size=cfg["batch_size"], shuffle=False, **kw)
    module = _module(net, loss=cfg["loss"], lr=cfg["lr"], weight_decay=cfg["weight_decay"], epochs=cfg["epochs"],
                     wave_weight=float(cfg["wave_weight"]))
    trainer, history = fit_best(module, train_dl, valid_dl, cfg, out_dir, progress=progress)
    net.eval()
    bundle = SeparationBundle(network=model, network_config=net.get_config(), stems=list(stems), sr=int(cfg["sr"]),
                              state_dict=net.state_dict(),
                              info=dict(epochs_run=int(trainer.current_epoch), n_train=len(train), n_valid=len(valid), n_layers=len(layers or []),
                                        loss=cfg["loss"], wave_weight=float(cfg["wave_weight"]), augment=dict(aug), chunk_samples=int(chunk)))
    return bundle, history, trainer.global_rank


def _one_line(m, prefix=""):
    if "sdr" not in m:
        return prefix + m.get("evaluation", "")
    parts = [f"{k} {v:.2f}" for k, v in m["sdr"].items()]
    return prefix + "median SDR (dB): " + ", ".join(parts)


def train_separation(data, model, out, *, config_file=None, overrides=None, overwrite=False, progress=True, echo=print):
    """Train a separation model and write its run directory.

    The run directory holds ``config.yaml``, ``split.csv`` (song, path of its first stem,
    part, fold), ``metrics.json`` (test scores: median SDR/ISR/SIR/SAR and SI-SDR per stem
    over the test songs, and per song), ``history.json``, ``model/`` (the separation bundle)
    and ``logs/``.
    """
    import yaml

    from ..data.separation import load_separation, read_song
    from ..evaluation.separation import jsonable, median_over_songs, score_songs
    from .config import load_config
    from .frames import _carve, split_items
    from .run import _commit_out, _env_rank, _prepare_out

    file_cfg = load_config(config_file) if config_file else {}
    model = model or file_cfg.get("model") or "wave_u_net"
    for key, given in (("task", "separation"), ("model", model)):
        if file_cfg.get(key) not in (None, given):
            raise ParameterError(f"the config file names {key} {file_cfg[key]!r} but --{key} is {given!r}")
    if model not in SEPARATION_MODELS:
        raise ParameterError(f"unknown model {model!r} for --task separation; choose {', '.join(SEPARATION_MODELS)}")
    cfg = resolve_separation_config(file_cfg, overrides)
    cfg["model"] = model
    rank = _env_rank()
    if rank != 0:
        echo = lambda msg: None  # noqa: E731
    tmp = _prepare_out(out, overwrite) if rank == 0 else None
    try:
        songs, stems = load_separation(data, stems=cfg["stems"])
        cfg["stems"] = stems
        tracks = [read_song(s, stems=stems, sr=cfg["sr"]) for s in songs]
        if len(songs) < 3:
            raise ParameterError(f"--data {data}: {len(songs)} song(s); separation training needs at least 3 (train, valid, test)")
        items = _items(songs, stems)
        parts = split_items(items, cfg=cfg)
        work = tmp or Path(os.devnull)
        per_song, roles, fold_no = [], np.array(["train"] * len(songs), dtype=object), np.full(len(songs), -1)
        fold_summaries, final, history = [], None, []
        for k, (tr, va, te) in enumerate(parts):
            cv = len(parts) > 1
            if cv:
                echo(f"fold {k + 1}/{len(parts)}: {len(tr)} train, {len(va)} valid, {len(te)} test song(s)")
                fold_no[te] = k
            bundle, hist, rank = fit_separation_model(model, [tracks[i] for i in tr], [tracks[i] for i in va], cfg, stems=stems,
                                                      out_dir=work / (f"fold{k}" if cv else "."), progress=progress)
            if te:
                songs_k, summary = score_songs(bundle, [tracks[i] for i in te], [songs[i].name for i in te], stems=stems, sr=cfg["sr"])
                for r in songs_k:
                    r["fold"] = k
                per_song += songs_k
                fold_summaries.append(summary)
                echo(_one_line(summary, prefix=f"fold {k + 1}: " if cv else "test: "))
            if not cv:
                final, history = bundle, hist
                roles[va], roles[te] = "valid", "test"
        if len(parts) > 1 and cfg["final_model"]:
            groups = [it.group for it in items]
            tr, va = _carve(groups, list(range(len(songs))), cfg["valid_size"], seed=cfg["seed"], salt=7)
            echo(f"final model: {len(tr)} train, {len(va)} valid song(s)")
            final, history, rank = fit_separation_model(model, [tracks[i] for i in tr], [tracks[i] for i in va], cfg, stems=stems,
                                                        out_dir=work / "final", progress=progress)
            roles[:] = "train"
            roles[va] = "valid"
        if rank != 0:
            return None
        if per_song:
            metrics = {"evaluation": f"{len(parts)}-fold cross-validation by song" if len(parts) > 1 else "holdout by song",
                       **median_over_songs(per_song), "songs": per_song}
            if len(parts) > 1:
                metrics["folds"] = fold_summaries
        else:
            metrics = {"evaluation": "none (no test songs)"}
        metrics.update(task="separation", model=model, stems=stems, n_songs=len(songs), sr=cfg["sr"])
        if final is not None:
            final.save(tmp / "model")
        write_csv(tmp / "split.csv", {"song": [s.name for s in songs], "path": [it.path for it in items],
                                      "group": [it.group for it in items], "split": list(roles),
                                      "fold": [int(x) if x >= 0 else "" for x in fold_no]})
        atomic_write_text(tmp / "config.yaml", yaml.safe_dump({"task": "separation", **cfg}, sort_keys=True))
        atomic_write_text(tmp / "metrics.json", json.dumps(jsonable(metrics), indent=1) + "\n")
        atomic_write_text(tmp / "history.json", json.dumps(history, indent=1) + "\n")
        _commit_out(tmp, out)
    finally:
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    echo(_one_line(metrics, prefix=f"{model}: "))
    echo(f"run directory: {out}")
    return metrics
