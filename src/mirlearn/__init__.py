"""mirlearn: machine learning on music audio.

Importing the package is cheap: it pulls in NumPy and the feature engine, never torch,
Lightning or matplotlib (the modules that need those import them themselves).

Conventions used throughout the package:

* audio ``y`` is float32, shaped ``(n,)`` (mono) or ``(channels, n)``;
* features are shaped ``(..., n_features, n_frames)``: time is the last axis;
* times of events are in seconds, intervals ``(n, 2)`` in seconds.
"""

from ._version import __version__
from .audio import load
from .errors import AudioError, MirlearnError, MirlearnWarning, ParameterError
from .features import DEFAULT_FEATURES, FEATURES, extract, summarize

__all__ = [
    "__version__",
    "load",
    "extract",
    "summarize",
    "FEATURES",
    "DEFAULT_FEATURES",
    "MirlearnError",
    "ParameterError",
    "AudioError",
    "MirlearnWarning",
]
