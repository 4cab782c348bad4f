"""mirlearn: machine learning on music audio.

Importing the package is cheap: it pulls in NumPy and the feature engine, never torch,
Lightning or matplotlib (the modules that need those import them themselves).

For notebooks: ``mirlearn.predict_instrument(y, sr)``, ``mirlearn.detect(y, sr, task=...)``,
``mirlearn.separate(y, sr)``, ``mirlearn.embed(y, sr)`` and ``mirlearn.load_model(RUN)``
with ``.predict(y, sr)`` do on arrays what the command line does on files
(:mod:`mirlearn.api`).

Conventions used throughout the package:

* audio ``y`` is float32, shaped ``(n,)`` (mono) or ``(channels, n)``;
* features are shaped ``(..., n_features, n_frames)``: time is the last axis;
* times of events are in seconds, intervals ``(n, 2)`` in seconds.
"""

from ._version import __version__
from .audio import load
from .errors import AudioError, MirlearnError, MirlearnWarning, ParameterError
from .features import DEFAULT_FEATURES, FEATURES, extract, summarize

#: The functions of :mod:`mirlearn.api`, imported on first use (they bring torch with them).
_API = ("load_model", "predict_instrument", "detect", "separate", "embed")


def __getattr__(name):
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'mirlearn' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_API))


__all__ = [
    "__version__",
    "load",
    "extract",
    "summarize",
    *_API,
    "FEATURES",
    "DEFAULT_FEATURES",
    "MirlearnError",
    "ParameterError",
    "AudioError",
    "MirlearnWarning",
]
