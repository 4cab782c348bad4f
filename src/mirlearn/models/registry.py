"""The registry of models, by name.

Classic models are scikit-learn pipelines on summarised features; deep models are PyTorch
modules on log-mel chunks, trained through Lightning; frame models give an activation per
frame (onsets, drums, pitch) and baselines are non-learned detection functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ParameterError

__all__ = ["ModelSpec", "MODELS", "get_model_spec", "classic_head"]


@dataclass(frozen=True)
class ModelSpec:
    """One entry of the model registry.

    Attributes
    ----------
    name : str
    family : {'classic', 'deep', 'frame', 'baseline', 'separation'}
        ``frame`` networks and non-learned ``baseline`` detectors are trained with
        ``--task`` (onsets, drums, pitch); ``separation`` networks with ``--task separation``.
    description : str
    defaults : dict
        Configuration defaults that differ from the family's (features for classic
        models, architecture sizes for deep ones).
    reference : str
        The paper the model comes from.
    """

    name: str
    family: str
    description: str
    defaults: dict = field(default_factory=dict)
    reference: str = ""


MODELS = {
    s.name: s
    for s in [
        ModelSpec(
            "mfcc_svm",
            "classic",
            "MFCC means + linear SVM: the course baseline",
            {"features": ["mfcc"], "stats": ["mean"]},
            "Tzanetakis & Cook, Musical genre classification of audio signals, IEEE TSAP 2002",
        ),
        ModelSpec("logreg", "classic", "standardised summaries + logistic regression"),
        ModelSpec("svm_linear", "classic", "standardised summaries + linear SVM"),
        ModelSpec("svm_rbf", "classic", "standardised summaries + RBF-kernel SVM"),
        ModelSpec("mlp", "classic", "standardised summaries + multi-layer perceptron"),
        ModelSpec("knn", "classic", "standardised summaries + k nearest neighbours"),
        ModelSpec("random_forest", "classic", "summaries + random forest"),
        ModelSpec(
            "cnn",
            "deep",
            "VGG-style 2-D CNN on log-mel chunks",
            {"channels": [32, 32, 64, 64]},
            "Choi, Fazekas & Sandler, Automatic tagging using deep convolutional neural networks, ISMIR 2016",
        ),
        ModelSpec(
            "short_chunk_resnet",
            "deep",
            "short-chunk CNN with residual blocks on log-mel chunks",
            {"channels": [32, 32, 64, 64, 64]},
            "Won, Ferraro, Bogdanov & Serra, Evaluation of CNN-based automatic music tagging models, SMC 2020",
        ),
        ModelSpec(
            "crnn",
            "deep",
            "convolutional recurrent network (conv blocks + GRU) on log-mel chunks",
            {"channels": [32, 32, 64, 64], "rnn_hidden": 64},
            "Choi, Fazekas, Sandler & Cho, Convolutional recurrent neural networks for music classification, ICASSP 2017",
        ),
        ModelSpec(
            "sample_cnn",
            "deep",
            "sample-level 1-D CNN on raw waveforms (no spectrogram)",
            {"channels": [64, 64, 64, 128, 128, 128, 128, 256, 256]},
            "Lee, Park, Kim & Nam, Sample-level deep convolutional neural networks for music auto-tagging using raw waveforms, SMC 2017",
        ),
        ModelSpec(
            "musicnn_finetune",
            "deep",
            "pretrained musicnn (MSD) fine-tuned end to end on 16 kHz waveforms; backbone at backbone_lr x lr",
            {"pretrained": "musicnn_msd", "sr": 16000, "chunk_seconds": 3.0, "lr": 1e-3, "backbone_lr": 0.1},
            "Pons & Serra, musicnn: pre-trained convolutional neural networks for music audio tagging, ISMIR 2019 LBD "
            "(weights: PyPI musicnn 0.1.0, ISC licence)",
        ),
        ModelSpec(
            "onset_cnn",
            "frame",
            "onset CNN on multi-resolution log-mel (--task onsets)",
            {"task": "onsets"},
            "Schlüter & Böck, Improved musical onset detection with convolutional neural networks, ICASSP 2014",
        ),
        ModelSpec(
            "drum_crnn",
            "frame",
            "convolutional recurrent network, one output per drum (--task drums)",
            {"task": "drums"},
            "Vogl, Dorfer, Widmer & Knees, Drum transcription via joint beat and drum modeling using CRNNs, ISMIR 2017",
        ),
        ModelSpec(
            "pitch_cnn",
            "frame",
            "monophonic f0 as classification over 20-cent bins, harmonic stacking (--task pitch)",
            {"task": "pitch"},
            "Kim, Salamon, Li & Bello, CREPE: a convolutional representation for pitch estimation, ICASSP 2018",
        ),
        ModelSpec(
            "beat_tcn",
            "frame",
            "temporal convolutional network, beat and downbeat per frame, bar-pointer HMM decoding (--task beats)",
            {"task": "beats"},
            "Böck & Davies, Deconstruct, analyse, reconstruct: how to improve tempo, beat, and downbeat estimation, ISMIR 2020",
        ),
        ModelSpec(
            "wave_u_net",
            "separation",
            "Wave-U-Net on raw waveforms: valid convolutions, decimation, linear upsampling, difference output (--task separation)",
            {"task": "separation"},
            "Stoller, Ewert & Dixon, Wave-U-Net: a multi-scale neural network for end-to-end audio source separation, ISMIR 2018",
        ),
        ModelSpec(
            "mask_unet",
            "separation",
            "spectrogram U-Net predicting soft masks that sum to one, mixture phase, exact iSTFT (--task separation)",
            {"task": "separation"},
            "Jansson et al., Singing voice separation with deep U-Net convolutional networks, ISMIR 2017",
        ),
        ModelSpec("spectral_flux", "baseline", "non-learned onset detection: spectral flux, peak picking tuned on validation (--task onsets)",
                  {"task": "onsets"}, "Dixon, Onset detection revisited, DAFx 2006"),
        ModelSpec("superflux", "baseline", "non-learned onset detection: SuperFlux, peak picking tuned on validation (--task onsets)",
                  {"task": "onsets"}, "Böck & Widmer, Maximum filter vibrato suppression for onset detection, DAFx 2013"),
    ]
}


#: where the pretrained embeddings come from (``EMBEDDING+HEAD`` models)
EMBEDDING_REFERENCE = ("Pons & Serra, musicnn: pre-trained convolutional neural networks for music audio tagging, "
                       "ISMIR 2019 LBD (weights: PyPI musicnn 0.1.0, ISC licence)")


def get_model_spec(name):
    """The registry's entry for ``name``. ``EMBEDDING+HEAD`` (``musicnn_msd+logreg``) names a
    classic head on a pretrained embedding: the clip's mean over its 3 s patches, cached like
    any feature (``EMBEDDING``: a key of :data:`mirlearn.features.embeddings.EMBEDDING_FEATURES`)."""
    from ..features.embeddings import EMBEDDING_FEATURES

    if name in MODELS:
        return MODELS[name]
    emb, plus, head = str(name).partition("+")
    if plus:
        if emb not in EMBEDDING_FEATURES:
            raise ParameterError(f"unknown embedding {emb!r} in model {name!r}; choose one of: {', '.join(EMBEDDING_FEATURES)}")
        if head not in MODELS or MODELS[head].family != "classic":
            heads = [n for n, s in MODELS.items() if s.family == "classic"]
            raise ParameterError(f"{head!r} in model {name!r} is not a classic model; choose one of: {', '.join(heads)}")
        return ModelSpec(name, "classic", f"pretrained {emb} embeddings (mean over 3 s patches) + {MODELS[head].description}",
                         {"features": [emb], "stats": ["mean"]}, EMBEDDING_REFERENCE)
    raise ParameterError(f"unknown model {name!r}; choose one of: {', '.join(MODELS)}, or EMBEDDING+HEAD such as "
                         "musicnn_msd+logreg (mirlearn train --list-models)")


def classic_head(name):
    """The classic model of ``name``: ``logreg`` for ``musicnn_msd+logreg`` and for ``logreg``."""
    return str(name).partition("+")[2] or name
