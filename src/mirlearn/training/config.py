"""Run configuration: defaults, YAML files, validation. Unknown keys are errors."""

from __future__ import annotations

import copy
from pathlib import Path

from ..errors import ParameterError

__all__ = ["DEFAULTS", "load_config", "resolve_config"]

#: Every configuration key, with its default. ``None`` for ``features`` means the
#: model's own default (or :data:`mirlearn.DEFAULT_FEATURES`).
DEFAULTS = {
    # data and evaluation
    "seed": 0,
    "test_size": 0.2,
    "valid_size": 0.1,
    "folds": None,
    "group_by": None,
    # features
    "sr": 22050,
    "features": None,
    "params": {},
    "stats": ["mean", "std"],
    "deltas": False,
    "cache": None,
    "jobs": None,
    # classic models
    "search": False,
    "classifier": {},
    # deep models
    "n_mels": 128,
    "chunk_seconds": 3.0,
    "epochs": 30,
    "batch_size": 32,
    "lr": 1e-3,
    # the learning rate of a pretrained backbone (musicnn_finetune), as a fraction of lr,
    # and the weights it starts from (musicnn_msd or musicnn_mtt)
    "backbone_lr": 0.1,
    "pretrained": None,
    "weight_decay": 1e-4,
    "patience": 6,
    "chunks_per_clip": 4,
    "dropout": 0.3,
    "channels": None,
    "rnn_hidden": None,
    # a torch front-end instead of cached log-mels: a name (mirlearn train --list-frontends)
    # or {type: NAME, trainable: [STAGE, ...], PARAM: VALUE, ...}
    "frontend": None,
    # the first convolution of a 2-D model zero-mean and valid (gain invariance)
    "zero_mean": False,
    "augment": {"gain_db": 6.0, "noise_snr_db": 30.0, "time_shift": True},
    "accelerator": "auto",
    "devices": "auto",
    "strategy": "auto",
    "num_nodes": 1,
    "num_workers": 0,
}

_AUGMENT_KEYS = ("gain_db", "noise_snr_db", "time_shift")


def load_config(path):
    """Read a YAML configuration file (a mapping of keys of :data:`DEFAULTS`)."""
    import yaml

    p = Path(path)
    if not p.is_file():
        raise ParameterError(f"config file {str(p)!r} does not exist")
    try:
        data = yaml.safe_load(p.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ParameterError(f"config file {str(p)!r} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ParameterError(f"config file {str(p)!r} must hold a mapping of keys, got {type(data).__name__}")
    return data


def resolve_config(model_spec, *overrides):
    """Defaults, then the model's defaults, then each override mapping in turn."""
    cfg = copy.deepcopy(DEFAULTS)
    for k, v in model_spec.defaults.items():
        cfg[k] = copy.deepcopy(v)
    for layer in overrides:
        if not layer:
            continue
        unknown = sorted(set(layer) - set(DEFAULTS) - {"model"})
        if unknown:
            raise ParameterError(f"unknown config key(s) {unknown}; valid keys: {', '.join(sorted(DEFAULTS))}")
        for k, v in layer.items():
            if k == "model":
                continue
            if k == "augment" and v is not None:
                if not isinstance(v, dict):
                    raise ParameterError(f"config key 'augment' must be a mapping of {_AUGMENT_KEYS}, got {v!r}")
                bad = sorted(set(v) - set(_AUGMENT_KEYS))
                if bad:
                    raise ParameterError(f"unknown augment key(s) {bad}; valid: {', '.join(_AUGMENT_KEYS)}")
                cfg["augment"] = {**cfg["augment"], **v}
            else:
                cfg[k] = v
    _validate(cfg)
    return cfg


def _validate(cfg):
    def need(cond, msg):
        if not cond:
            raise ParameterError(msg)

    need(isinstance(cfg["seed"], int), f"seed must be an integer, got {cfg['seed']!r}")
    need(cfg["folds"] is None or (isinstance(cfg["folds"], int) and cfg["folds"] >= 2), f"folds must be an integer >= 2, got {cfg['folds']!r}")
    for k in ("epochs", "batch_size", "patience", "chunks_per_clip", "n_mels"):
        need(isinstance(cfg[k], int) and cfg[k] >= 1, f"{k} must be a positive integer, got {cfg[k]!r}")
    for k in ("lr", "chunk_seconds", "backbone_lr"):
        need(isinstance(cfg[k], (int, float)) and cfg[k] > 0, f"{k} must be a positive number, got {cfg[k]!r}")
    need(cfg["pretrained"] in (None, "musicnn_msd", "musicnn_mtt"), f"pretrained must be musicnn_msd or musicnn_mtt, got {cfg['pretrained']!r}")
    need(isinstance(cfg["params"], dict), "params must be a mapping of feature parameters")
    need(cfg["group_by"] is None or isinstance(cfg["group_by"], str), f"group_by must be a manifest column name, got {cfg['group_by']!r}")
    for k in ("test_size", "valid_size"):
        need(isinstance(cfg[k], (int, float)) and 0 <= cfg[k] < 1, f"{k} must be a fraction in [0, 1), got {cfg[k]!r}")
    need(isinstance(cfg["classifier"], dict), "classifier must be a mapping of classifier parameters")
    need(isinstance(cfg["zero_mean"], bool), f"zero_mean must be true or false, got {cfg['zero_mean']!r}")
    fe = cfg["frontend"]
    need(fe is None or isinstance(fe, str) or (isinstance(fe, dict) and "type" in fe),
         f"frontend must be a front-end name or a mapping with a 'type' key (e.g. {{type: mfcc, trainable: [mel, dct]}}), got {fe!r}")
