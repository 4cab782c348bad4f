"""The registry of models, by name.

Classic models are scikit-learn pipelines on summarised features; deep models are PyTorch
modules on log-mel chunks, trained through Lightning.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ParameterError

__all__ = ["ModelSpec", "MODELS", "get_model_spec"]


@dataclass(frozen=True)
class ModelSpec:
    """One entry of the model registry.

    Attributes
    ----------
    name : str
    family : {'classic', 'deep'}
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
    ]
}


def get_model_spec(name):
    try:
        return MODELS[name]
    except KeyError:
        raise ParameterError(f"unknown model {name!r}; choose one of: {', '.join(MODELS)} (mirlearn train --list-models)") from None
