"""The figure of ``mirlearn inspect-frontend``: a trained front-end's filters against their
hand-designed initialisation, one panel per trainable stage, axes in Hz, bins or
coefficients. Imports matplotlib only when called."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..inference.bundle import BundleError

__all__ = ["load_frontend", "inspect_frontend"]


def load_frontend(run_dir):
    """The trained front-end of a deep run (``RUN_DIR`` or its ``model/`` folder), loaded as
    data (weights only)."""
    import torch

    from ..nn.frontends import frontend

    folder = Path(run_dir)
    if (folder / "model" / "model.pt").is_file():
        folder = folder / "model"
    f = folder / "model.pt"
    if not f.is_file():
        raise BundleError(f"{run_dir} holds no model/model.pt: give the directory of a deep run trained with a front-end")
    try:
        blob = torch.load(f, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same answer
        raise BundleError(f"{f} is not a plain weights file ({type(exc).__name__}); refusing to load it") from None
    if not isinstance(blob, dict) or blob.get("name") != "frontend_model":
        raise BundleError(f"{f} holds a {blob.get('name') if isinstance(blob, dict) else 'foreign'!r} network without a torch front-end; "
                          "train with --frontend NAME:STAGES (or 'frontend:' in the config) to learn one")
    fe = frontend(**blob["config"]["frontend"])
    fe.load_state_dict({k[len("frontend."):]: v for k, v in blob["state_dict"].items() if k.startswith("frontend.")})
    return fe


def _x_axis(fe, stage, n):
    """The input axis of ``stage``'s weight rows: values and label."""
    from ..features.filters import fft_frequencies

    p = fe.params
    if stage in ("mel", "chroma") and "n_fft" in p:
        return fft_frequencies(sr=fe.sr, n_fft=p["n_fft"])[:n], "frequency (Hz)"
    if stage == "chroma":
        return np.arange(n), "CQT bin"
    if stage == "dct":
        return np.arange(n), "mel band"
    if stage == "dft":
        return np.arange(n), "sample"
    return np.arange(n), "bin"


def _rows(n_rows, k=6):
    return np.unique(np.linspace(0, n_rows - 1, min(k, n_rows)).round().astype(int))


def inspect_frontend(run_dir, out):
    """Plot a run's learned front-end against its initialisation; returns ``(path, changes)``
    with ``changes`` as :func:`mirlearn.nn.frontends.frontend_changes`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..nn.frontends import frontend_changes

    fe = load_frontend(run_dir)
    changes = frontend_changes(fe)
    if not changes:
        raise BundleError(f"the front-end of {run_dir} ({fe.name}) has no trainable stage: nothing was learnt to inspect")
    panels = []
    for stage, ch in changes.items():
        for name, (a, b) in ch["weights"].items():
            panels.append((stage, name, a, b, ch["moved"]))
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 2.8 * len(panels)), squeeze=False)
    for ax, (stage, name, a, b, moved) in zip(axes[:, 0], panels):
        ax.set_title(f"{fe.name} · {stage} · {name}: moved {moved:.1%} from its initialisation "
                     "(||learnt - initial|| / ||initial||; dashed: initial)", fontsize=8)
        if stage == "sinc":  # band edges per filter
            ax.plot(a, "k--", lw=1, label="initial")
            ax.plot(b, "C0", lw=1.2, label="learnt")
            ax.set_xlabel("filter")
            ax.set_ylabel("low cut-off (Hz)" if name == "low_hz" else "band width (Hz)")
        elif a.ndim == 1 or (a.ndim == 2 and a.shape[1] == 1):  # per-band parameters, held as logs (PCEN, log1p)
            ax.plot(np.exp(a.ravel()), "k--", lw=1, label="initial")
            ax.plot(np.exp(b.ravel()), "C0", lw=1.2, label="learnt")
            ax.set_xlabel("band")
            ax.set_ylabel(name.replace("log_", ""))
        else:
            if a.ndim == 3:  # CQT kernels: (re/im, filters, FFT bins) -> magnitudes
                a, b = np.hypot(a[0], a[1]), np.hypot(b[0], b[1])
                x, xlabel = np.arange(a.shape[1]), f"FFT bin ({name.replace('kernels_', 'octave ')}, from the top)"
            else:
                x, xlabel = _x_axis(fe, stage, a.shape[1])
            for j, r in enumerate(_rows(a.shape[0])):
                ax.plot(x, a[r], "--", color=f"C{j}", lw=0.8)
                ax.plot(x, b[r], "-", color=f"C{j}", lw=1.2, label=f"{'coefficient' if stage == 'dct' else 'row'} {r}")
            ax.set_xlabel(xlabel)
            ax.set_ylabel("weight")
        ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out, changes
