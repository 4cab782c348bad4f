"""Source separation at inference: the separation bundle, the HPSS baseline, and
``mirlearn separate``.

A separation bundle is a folder with ``bundle.json`` (network name and config, stems, sample
rate, versions) and ``model.pt`` (the ``state_dict``, loaded with
``torch.load(weights_only=True)``): data only, never code. Every separator maps a mixture
``(n_channels, n_samples)`` to ``(n_sources, n_channels, n_samples)`` at its own sample rate;
:func:`separate_files` resamples in and out so that the written stems have the input's rate
and length.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..errors import AudioError, ParameterError
from ..fileio import atomic_write_text
from .bundle import read_weights_folder, versions

__all__ = ["SeparationBundle", "HPSSSeparator", "load_separation_bundle", "resolve_separator", "separate_files", "Separation",
           "BASELINE_METHODS", "shipped_separation_dir"]

BASELINE_METHODS = ("hpss",)


@dataclass
class SeparationBundle:
    """A trained separation network with its stems and sample rate."""

    network: str
    network_config: dict
    stems: list
    sr: int
    state_dict: dict = field(repr=False, default=None)
    info: dict = field(default_factory=dict)
    _net: object = field(default=None, repr=False)

    def net(self):
        if self._net is None:
            from ..models.neural import build_network

            net = build_network(self.network, **self.network_config)
            net.load_state_dict(self.state_dict)
            self._net = net.eval()
        return self._net

    @property
    def difference_output(self):
        return bool(self.network_config.get("difference_output", self.network == "mask_unet"))

    def separate(self, y):
        """``(n_channels, n_samples)`` at ``self.sr`` -> ``(n_stems, n_channels, n_samples)``."""
        y = np.atleast_2d(np.asarray(y, np.float32))
        want = int(self.network_config.get("n_channels", 1))
        if y.shape[0] != want:
            y = np.repeat(y.mean(0, keepdims=True), want, axis=0) if want > 1 else y.mean(0, keepdims=True)
        return self.net().separate(y)

    def save(self, folder):
        import torch

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        meta = dict(format="mirlearn-separation-bundle", format_version=1, network=self.network, network_config=self.network_config,
                    stems=list(self.stems), sr=int(self.sr), info=self.info, versions=versions())
        tmp = folder / ".model.pt.tmp"
        torch.save({k: v.detach().cpu() for k, v in (self.state_dict or {}).items()}, tmp)
        tmp.replace(folder / "model.pt")
        atomic_write_text(folder / "bundle.json", json.dumps(meta, indent=1) + "\n")


def load_separation_bundle(folder):
    """Load a bundle saved by :meth:`SeparationBundle.save` (a run directory or its
    ``model/`` folder); data only."""
    folder = Path(folder)
    if not (folder / "bundle.json").is_file() and (folder / "model" / "bundle.json").is_file():
        folder = folder / "model"
    meta, state = read_weights_folder(folder, fmt="mirlearn-separation-bundle",
                                      what="separation model (RUN_DIR or RUN_DIR/model)")
    return SeparationBundle(network=meta["network"], network_config=meta["network_config"], stems=list(meta["stems"]),
                            sr=int(meta["sr"]), state_dict=state, info=meta.get("info", {}))


@dataclass
class HPSSSeparator:
    """The non-learned baseline: median-filtering HPSS of the mixture (2048-point STFT, hop
    512, kernel 31, power-2 soft masks). The percussive part is the ``drums`` estimate and
    the harmonic part the estimate of every other stem: it cannot tell bass, vocals and
    other apart."""

    stems: list
    sr: int = 22050
    n_fft: int = 2048
    hop_length: int = 512
    kernel_size: int = 31
    difference_output: bool = False

    def separate(self, y):
        from ..features.decompose import hpss, istft
        from ..features.spectral import stft

        y = np.atleast_2d(np.asarray(y, np.float32))
        H, P = hpss(stft(y, n_fft=self.n_fft, hop_length=self.hop_length), kernel_size=self.kernel_size)
        h = istft(H, hop_length=self.hop_length, length=y.shape[-1])
        p = istft(P, hop_length=self.hop_length, length=y.shape[-1])
        return np.stack([p if s == "drums" else h for s in self.stems])


def shipped_separation_dir():
    return Path(__file__).resolve().parent.parent / "pretrained" / "separation"


def resolve_separator(*, model=None, method=None, stems=None):
    """A separator from a run directory (``model``), a baseline (``method``) or, with
    neither, the model shipped with mirlearn."""
    if model is not None and method is not None:
        raise ParameterError("give --model or --method, not both")
    if method is not None:
        if method not in BASELINE_METHODS:
            raise ParameterError(f"unknown --method {method!r}; separation baselines: {', '.join(BASELINE_METHODS)}")
        return HPSSSeparator(stems=list(stems or ("drums", "bass", "vocals", "other")))
    if model is None:
        model = shipped_separation_dir()
        if not (model / "bundle.json").is_file():
            raise ParameterError("this mirlearn has no shipped separation model yet; pass --model RUN_DIR (a run of "
                                 "'mirlearn train --task separation') or --method hpss")
    return load_separation_bundle(model)


def separate_signal(sep, y, sr, stems=None):
    """``{stem: (n_channels, n)}`` of a mixture ``y`` ``(n_channels, n)`` at rate ``sr``:
    resampled to the separator's rate, separated, and each stem resampled back to ``sr`` and
    ``y``'s length (mono models get the channel mean). ``stems``: which to return (all)."""
    from ..audio.io import resample

    y = np.atleast_2d(y)
    n = y.shape[-1]
    est = sep.separate(resample(y, orig_sr=sr, target_sr=sep.sr))
    out = {}
    for k, s in enumerate(sep.stems):
        if stems is not None and s not in stems:
            continue
        x = resample(est[k], orig_sr=sep.sr, target_sr=sr)
        out[s] = x[..., :n] if x.shape[-1] >= n else np.pad(x, ((0, 0), (0, n - x.shape[-1])))
    return out


class Separation(NamedTuple):
    path: str
    outputs: dict | None
    reason: str | None = None


def separate_files(paths, out_dir, *, model=None, method=None, stems=None, progress=True, echo=print):
    """Separate every file of ``paths`` and write ``out_dir/<file stem>/<source>.wav``.

    Each file is decoded at the separator's sample rate and the stems are resampled back to
    the file's own rate and length (mono models get the channel mean). ``stems`` picks which
    sources to write (all by default). Unreadable files are reported and skipped.

    Returns
    -------
    list of Separation
    """
    import soundfile as sf

    from ..audio import load
    from ..fileio import unique_stems, writable_dir

    paths = list(paths)
    sep = resolve_separator(model=model, method=method, stems=stems)
    if stems is None:
        stems = list(sep.stems)
    else:
        stems = list(stems)
        unknown = [s for s in stems if s not in sep.stems]
        if unknown:
            raise ParameterError(f"--stems {','.join(unknown)}: this model separates {', '.join(sep.stems)}")
    out_dir = Path(out_dir)
    ok, why = writable_dir(out_dir)
    if not ok:
        raise ParameterError(f"--out {out_dir}: cannot write there ({why})")
    it = zip(paths, unique_stems(paths))
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(it, total=len(paths), desc="separate", unit="file")
    results = []
    for p, name in it:
        try:
            y_native, native_sr = load(p, sr=None, mono=False)
            est = separate_signal(sep, y_native, native_sr, stems)
            folder = out_dir / name
            folder.mkdir(parents=True, exist_ok=True)
            outputs = {}
            for s, x in est.items():
                path = folder / f"{s}.wav"
                sf.write(str(path), x.T, native_sr, subtype="FLOAT")
                outputs[s] = str(path)
            results.append(Separation(str(p), outputs))
        except (AudioError, ParameterError) as exc:
            reason = exc.reason if isinstance(exc, AudioError) else str(exc)
            results.append(Separation(str(p), None, reason))
            echo(f"skipped {p}: {reason}")
    return results
