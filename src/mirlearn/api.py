"""The Python interface for notebooks and scripts: what the command line does, on arrays.

Every function takes a signal ``y`` (float, ``(n,)`` mono or ``(channels, n)``) and its
sampling rate ``sr``; mirlearn resamples and mixes down to what the model expects, exactly as
the command line does after decoding a file, so that a file read with :func:`mirlearn.load`
gets the same numbers here as from ``mirlearn predict``, ``detect``, ``separate`` or
``embed``. Times are in seconds.

Models are loaded once and kept (:func:`load_model`); a model bundle is data, and loading one
never runs code from it (a classic bundle that would need pickled code asks for
``trust=True``, as ``mirlearn predict --trust`` does).

====================================  ===========================================
command line                          Python
====================================  ===========================================
``mirlearn predict instrument F``     :func:`predict_instrument` ``(y, sr)``
``mirlearn predict RUN F``            :func:`load_model` ``(RUN).predict(y, sr)``
``mirlearn detect onsets F``          :func:`detect` ``(y, sr, task="onsets")``
``mirlearn separate F``               :func:`separate` ``(y, sr)``
``mirlearn embed F``                  :func:`embed` ``(y, sr)``
====================================  ===========================================
"""

from __future__ import annotations

import functools
import json
import warnings
from pathlib import Path

import numpy as np

from .errors import MirlearnWarning, ParameterError
from .tasks import FRAME_TASKS

__all__ = ["load_model", "predict_instrument", "detect", "separate", "embed", "Classifier", "Detector", "Separator"]

#: Names of the models shipped inside the package, and the kind of each.
SHIPPED = {"instrument": "classifier", **{name: "detector" for name in FRAME_TASKS}, "separation": "separator"}


def _signal(y, sr, target_sr, *, mono=True, warn_silent=False):
    """``y`` checked, mixed down to mono (the channel mean) if ``mono``, and resampled to
    ``target_sr`` (None: kept): what :func:`mirlearn.load` does after decoding, and as it
    does, a warning for a silent signal if ``warn_silent`` (the feature engine gives it for
    the models that go through it)."""
    from .audio.io import SILENT, resample

    if isinstance(sr, bool) or not np.isscalar(sr) or not sr > 0:
        raise ParameterError(f"sr must be a positive number (the sampling rate of y), got {sr!r}")
    y = np.asarray(y)
    if not np.issubdtype(y.dtype, np.floating):
        raise ParameterError(f"y must be a floating-point signal, got dtype {y.dtype} (integer PCM: divide by its full scale)")
    if y.ndim not in (1, 2) or y.shape[-1] == 0:
        raise ParameterError(f"y must be shaped (n,) or (channels, n) with n > 0, got shape {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ParameterError("y contains NaN or infinite samples")
    y = np.ascontiguousarray(y, dtype=np.float32)
    if mono and y.ndim == 2:
        y = np.mean(y, axis=0, dtype=np.float32) if y.shape[0] > 1 else y[0]
    if target_sr is not None and target_sr != sr:
        y = resample(y, orig_sr=sr, target_sr=target_sr)
    if warn_silent and not np.any(y):
        warnings.warn(f"y: {SILENT}", MirlearnWarning, stacklevel=3)
    return y


def _kind(folder):
    """'classifier', 'detector' or 'separator' from a bundle folder's ``bundle.json``."""
    from .inference.bundle import BundleError

    try:
        meta = json.loads((Path(folder) / "bundle.json").read_text())
    except (OSError, ValueError) as exc:
        raise BundleError(f"{folder}/bundle.json is unreadable ({exc})") from None
    fmt = meta.get("format")
    if fmt == "mirlearn-frame-bundle":
        return "detector"
    if fmt == "mirlearn-separation-bundle":
        return "separator"
    return "classifier"


def _bundle_folder(model):
    """The bundle folder of a run directory, a bundle folder or a shipped model's name."""
    from .inference.bundle import BundleError
    from .inference.detect import shipped_model_dir

    p = Path(model)
    for folder in (p / "model", p):
        if (folder / "bundle.json").is_file():
            return folder
    if str(model) in SHIPPED:
        folder = shipped_model_dir(str(model))
        if (folder / "bundle.json").is_file():
            return folder
        raise BundleError(f"no {model} model is shipped in this installation ({folder})")
    raise BundleError(f"{str(model)!r} is neither a run directory, a bundle folder (with bundle.json) nor a shipped model "
                      f"({', '.join(SHIPPED)})")


def load_model(model, *, trust=False):
    """A trained model, ready to use on signals.

    Parameters
    ----------
    model : str or path-like
        A run directory of ``mirlearn train``, a bundle folder (one holding ``bundle.json``),
        or the name of a model shipped with mirlearn: ``'instrument'``, ``'onsets'``,
        ``'drums'``, ``'pitch'``, ``'separation'``.
    trust : bool
        Also load a classic bundle that needs code from it (see
        :func:`mirlearn.inference.load_bundle`). Only for bundles whose source you trust.

    Returns
    -------
    Classifier, Detector or Separator
        Whichever the bundle holds; each has ``.predict(y, sr)``.

    Raises
    ------
    mirlearn.inference.BundleError
        Not a model, a damaged one, or one that is not safe to load without ``trust``.

    Examples
    --------
    >>> import mirlearn
    >>> model = mirlearn.load_model("instrument")
    >>> model
    Classifier('instrument': cnn, 14 classes)
    >>> sr = 22050
    >>> y = 0.3 * np.sin(2 * np.pi * 440 * np.arange(sr) / sr)
    >>> model.predict(y, sr) in model.classes
    True
    >>> float(model.predict_proba(y, sr).sum())  # doctest: +ELLIPSIS
    1.0...
    """
    folder = _bundle_folder(model).resolve()
    name = str(model) if str(model) in SHIPPED and not Path(model).exists() else str(folder)
    # kept while its bundle.json is unchanged: a model retrained into the same folder is reloaded
    return _load(str(folder), (folder / "bundle.json").stat().st_mtime_ns, name, bool(trust))


@functools.lru_cache(maxsize=8)
def _load(folder, mtime, name, trust):
    from .inference import load_bundle
    from .inference.frames import load_frame_bundle
    from .inference.separate import load_separation_bundle

    kind = _kind(folder)
    if kind == "detector":
        return Detector(load_frame_bundle(folder), name)
    if kind == "separator":
        return Separator(load_separation_bundle(folder), name)
    return Classifier(load_bundle(folder, trust=trust), name)


class Classifier:
    """A segment- or note-level model (genre, tags, instrument): one label per signal.

    ``classes`` are the labels, in the order of :meth:`predict_proba`'s columns;
    ``multilabel`` tells a tagger (independent probabilities, a threshold per tag) from a
    classifier (probabilities that sum to 1); ``families`` maps each class to its family
    where the model has them (the shipped instrument model), else None.
    """

    def __init__(self, bundle, name):
        self.bundle, self.name = bundle, name

    def __repr__(self):
        return f"Classifier({self.name!r}: {self.bundle.model_name}, {len(self.classes)} classes)"

    @property
    def classes(self):
        return list(self.bundle.classes)

    @property
    def multilabel(self):
        return self.bundle.multilabel

    @property
    def families(self):
        fam = self.bundle.extra.get("families")
        return dict(fam) if fam else None

    def predict_proba(self, y, sr):
        """Class probabilities ``(n_classes,)`` of the signal, in the order of ``classes``."""
        from . import features

        ex = self.bundle.extraction
        x = _signal(y, sr, ex.sr)
        feats = features.extract(x, sr=ex.sr or sr, features=ex.features, **ex.params)
        summary = features.summarize(feats, stats=ex.stats, deltas=ex.deltas)
        if ex.keep_audio:
            feats = dict(feats, audio=x.reshape(1, -1))
        return np.asarray(self.bundle.scores_from_features(feats, summary), dtype=float)

    def predict(self, y, sr):
        """The predicted label: the most probable class, or for a tagger the tags at or above
        their thresholds, ``';'``-joined (``''`` when none is), as ``mirlearn predict``'s
        ``label`` column."""
        return self.describe(y, sr)["label"]

    def describe(self, y, sr):
        """``{'label', 'probabilities'}`` and, for a model with families, ``'family'`` and
        ``'families'``: the fields of ``mirlearn predict --format json`` for one file."""
        from .inference.predict import decided_labels, family_scores

        p = self.predict_proba(y, sr)
        out = {"label": decided_labels(self.bundle, p[None])[0]}
        fam = family_scores(self.bundle, p[None])
        if fam:
            names, fp = fam
            out["family"] = names[int(np.argmax(fp[0]))]
        out["probabilities"] = {c: float(v) for c, v in zip(self.classes, p)}
        if fam:
            out["families"] = {f: float(v) for f, v in zip(names, fp[0])}
        return out


class Detector:
    """A frame-level model (onsets, drums, pitch), or a non-learned detection method.

    :meth:`predict` gives what ``mirlearn detect`` writes: onset times ``(n,)``; drums
    ``{class: times}``; pitch ``(times, f0)`` with ``f0 = 0`` where unvoiced.
    """

    def __init__(self, det, name):
        self.det, self.name = det, name

    def __repr__(self):
        return f"Detector({self.name!r}: {self.task}, {', '.join(self.classes)})"

    @property
    def task(self):
        return self.det.task

    @property
    def classes(self):
        return list(self.det.classes)

    @property
    def fps(self):
        """Frames per second of :meth:`activations`."""
        return float(self.det.fps)

    def activations(self, y, sr):
        """``(n_outputs, n_frames)`` frame probabilities at :attr:`fps` (onsets, drums: one row
        per class; pitch: the no-pitch bin, then the pitch bins)."""
        if not hasattr(self.det, "activations"):
            raise ParameterError(f"{self.name} has no activation function (it tracks its result directly)")
        return self.det.activations(_signal(y, sr, self.det.sr, warn_silent=True))

    def predict(self, y, sr, *, output=None):
        """The events of ``y``; ``output`` a view of the task (beats: ``"downbeats"``,
        ``"tempo"``). An empty result the task can explain (too short, no pulse) warns."""
        import warnings

        from .errors import MirlearnWarning
        from .inference.detect import run_detector
        from .tasks import get_output

        out = get_output(output or self.task)
        if out.model_task != self.task:
            raise ParameterError(f"{output!r} is not an output of this {self.task} model")
        x = _signal(y, sr, self.det.sr, warn_silent=True)
        result = run_detector(self.det, x)
        why = out.result_warning(result, x.shape[-1] / self.det.sr)
        if why:
            warnings.warn(why, MirlearnWarning, stacklevel=2)
        return out.api_result(result)


class Separator:
    """A source-separation model, or the HPSS baseline: :meth:`predict` gives
    ``{stem: signal}``, each shaped like ``y`` (channels kept where the model has them, mono
    models get the channel mean) at ``y``'s own rate and length, as ``mirlearn separate``
    writes them."""

    def __init__(self, sep, name):
        self.sep, self.name = sep, name

    def __repr__(self):
        return f"Separator({self.name!r}: {', '.join(self.stems)})"

    @property
    def stems(self):
        return list(self.sep.stems)

    def predict(self, y, sr, *, stems=None):
        from .inference.separate import separate_signal

        stems = self.stems if stems is None else list(stems)
        unknown = [s for s in stems if s not in self.stems]
        if unknown:
            raise ParameterError(f"stems {unknown}: this model separates {', '.join(self.stems)}")
        x = _signal(y, sr, None, mono=False, warn_silent=True)
        out = separate_signal(self.sep, x, sr, stems)
        return {s: np.ascontiguousarray(e.mean(axis=0) if x.ndim == 1 else e, dtype=np.float32) for s, e in out.items()}

    separate = predict


def predict_instrument(y, sr, *, model="instrument"):
    """The instrument of a single note, with the model shipped in mirlearn (or ``model``).

    Returns ``{'label', 'family', 'probabilities', 'families'}``: the fields of
    ``mirlearn predict instrument NOTE.wav --format json``. The shipped model was trained on
    rendered and recorded sample sets; its card (``mirlearn/pretrained/instrument/CARD.md``)
    says how it does on real recordings it never saw, and its licence.

    Examples
    --------
    >>> import mirlearn
    >>> sr = 22050
    >>> t = np.arange(sr) / sr
    >>> note = (0.3 * np.sin(2 * np.pi * 220 * t) * np.exp(-3 * t)).astype(np.float32)
    >>> out = mirlearn.predict_instrument(note, sr)
    >>> sorted(out)
    ['families', 'family', 'label', 'probabilities']
    >>> out["label"] == max(out["probabilities"], key=out["probabilities"].get)
    True
    """
    m = load_model(model)
    if not isinstance(m, Classifier):
        raise ParameterError(f"{model} is not a classifier but a {type(m).__name__}")
    return m.describe(y, sr)


def detect(y, sr, task="onsets", *, model=None, method=None, activations=False):
    """Events of a signal: onset times, drum hits per class, the f0 track, beats, downbeats
    or tempo.

    Parameters
    ----------
    y : np.ndarray [shape=(n,) or (channels, n)]
    sr : number > 0
    task : {'onsets', 'drums', 'pitch', 'beats', 'downbeats', 'tempo'}
        ``downbeats`` and ``tempo`` run the beat model and return part of its result.
    model : str or path-like, optional
        A run directory or bundle folder of ``mirlearn train --task TASK``; the model shipped
        for ``task`` by default.
    method : str, optional
        A non-learned method instead: ``'superflux'``, ``'spectral_flux'`` (onsets),
        ``'pyin'`` (pitch), ``'dp'`` (beats and tempo: Ellis' dynamic program; no downbeats).
    activations : bool
        Also return the frame activations ``(n_outputs, n_frames)`` and their frame rate.

    Returns
    -------
    events : np.ndarray, dict or tuple
        onsets: times ``(n,)``; drums: ``{class: times}``; pitch: ``(times, f0)``, 0 Hz where
        unvoiced; beats: ``(n, 2)`` rows of time and position in the bar (1 = downbeat; NaN
        when the method finds no bars), as madmom's downbeat tracker returns them; downbeats:
        times ``(n,)``; tempo: ``(k, 2)`` rows of BPM and strength, strongest first (k <= 2).
        Audio too short (< 2 s) or without a pulse gives no beats and a warning.
    act, fps : np.ndarray, float
        Only with ``activations=True``.

    Examples
    --------
    >>> import mirlearn
    >>> sr = 44100
    >>> y = np.zeros(2 * sr, np.float32)
    >>> for t in (0.25, 0.75, 1.25, 1.75):
    ...     y[int(t * sr):int(t * sr) + 441] = np.random.default_rng(0).uniform(-0.5, 0.5, 441)
    >>> onsets = mirlearn.detect(y, sr, task="onsets")
    >>> np.round(onsets, 2)
    array([0.25, 0.75, 1.25, 1.75])

    Eight seconds of clicks at 120 BPM, tracked by the dynamic program (whose tempo
    resolution at 43 frames per second is about 2 BPM here):

    >>> y = np.zeros(8 * sr, np.float32)
    >>> for t in np.arange(0.5, 8, 0.5):
    ...     y[int(t * sr):int(t * sr) + 441] = np.random.default_rng(0).uniform(-0.5, 0.5, 441)
    >>> tempi = mirlearn.detect(y, sr, task="tempo", method="dp")
    >>> bool(abs(tempi[0, 0] - 120) < 2)
    True
    >>> beats = mirlearn.detect(y, sr, task="beats", method="dp")
    >>> np.round(beats[:3, 0], 1)
    array([0.5, 1. , 1.5])
    """
    from .inference.detect import resolve_detector
    from .tasks import get_output

    model_task = get_output(task).model_task
    if method is not None or model is None:
        det = Detector(resolve_detector(model_task, model=model, method=method), method or model_task)
    else:
        det = load_model(model)
        if not isinstance(det, Detector) or det.task != model_task:
            raise ParameterError(f"{model} is not a {model_task} model ({det!r})")
    events = det.predict(y, sr, output=task)
    if activations:
        return events, det.activations(y, sr), det.fps
    return events


def separate(y, sr, *, model=None, method=None, stems=None):
    """Stems of a mixture, ``{stem: signal}`` at ``y``'s rate and length.

    ``model`` is a run directory of ``mirlearn train --task separation`` (the shipped model
    by default); ``method='hpss'`` is the non-learned baseline; ``stems`` picks some of the
    model's stems.

    Examples
    --------
    >>> import mirlearn
    >>> sr = 22050
    >>> y = np.random.default_rng(0).uniform(-0.1, 0.1, 2 * sr).astype(np.float32)
    >>> out = mirlearn.separate(y, sr)
    >>> sorted(out), out["drums"].shape == y.shape
    (['bass', 'drums', 'other', 'vocals'], True)
    """
    from .inference.separate import resolve_separator

    if model is not None and method is None:
        sep = load_model(model)
        if not isinstance(sep, Separator):
            raise ParameterError(f"{model} is not a separation model ({sep!r})")
    else:
        sep = Separator(resolve_separator(model=model, method=method, stems=stems), method or "separation")
    return sep.predict(y, sr, stems=stems)


def embed(y, sr, *, model="musicnn_msd", layer=None, patch_hop=3.0, per_patch=False):
    """A pretrained embedding of the signal, as ``mirlearn embed``: the mean over its 3 s
    patches ``(n_dims,)``, or one row per patch ``(n_patches, n_dims)`` with ``per_patch``.

    ``model`` is ``'musicnn_msd'``, ``'musicnn_mtt'``, ``'vgg_msd'`` or ``'vgg_mtt'`` (the
    weights of the ``musicnn`` package, ISC); ``layer`` one of
    :data:`mirlearn.features.embeddings.EMBEDDING_FEATURES` (None: the model's default);
    ``patch_hop`` the seconds between patch starts. A signal shorter than 3 s is one patch.

    Examples
    --------
    >>> import mirlearn
    >>> sr = 22050
    >>> y = 0.3 * np.sin(2 * np.pi * 440 * np.arange(4 * sr) / sr)
    >>> mirlearn.embed(y, sr).shape
    (200,)
    >>> mirlearn.embed(y, sr, per_patch=True, patch_hop=1.0).shape
    (2, 200)
    """
    from . import features
    from .features.embeddings import EMBEDDING_FEATURES
    from .inference.embed import _SR

    if model not in EMBEDDING_FEATURES:
        raise ParameterError(f"unknown embedding model {model!r}; choose one of {', '.join(EMBEDDING_FEATURES)}")
    params = {"layer": layer or EMBEDDING_FEATURES[model][0], "patch_hop": float(patch_hop)}
    E = features.extract(_signal(y, sr, _SR), sr=_SR, features=(model,), **params)[model].T  # (n_patches, n_dims)
    return E if per_patch else E.mean(axis=0)
