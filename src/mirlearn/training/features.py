"""The feature configuration of a run."""

from __future__ import annotations

from ..extraction import ExtractionConfig

__all__ = ["extraction_config"]


def extraction_config(cfg, family, *, waveform=False):
    """The :class:`ExtractionConfig` of a run configuration; ``waveform``: a deep model that
    reads the decoded signal (the store keeps ``audio.npy`` beside the log-mel)."""
    from ..features import DEFAULT_FEATURES

    if family == "deep":
        params = {"n_mels": cfg["n_mels"], **cfg["params"]}
        return ExtractionConfig(features=("logmel",), params=params, sr=cfg["sr"], stats=("mean",), deltas=False, keep_audio=waveform)
    feats = tuple(cfg["features"]) if cfg["features"] else DEFAULT_FEATURES
    return ExtractionConfig(
        features=feats, params=dict(cfg["params"]), sr=cfg["sr"], stats=tuple(cfg["stats"]), deltas=bool(cfg["deltas"])
    )
