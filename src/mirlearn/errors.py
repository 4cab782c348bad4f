"""The exception hierarchy of mirlearn.

Every error raised on purpose by mirlearn derives from :class:`MirlearnError`, so that
``except mirlearn.MirlearnError`` catches all of them. Messages name the parameter (or
file), the rule that was broken and the value received, and suggest the likely fix.
"""

from __future__ import annotations

__all__ = ["MirlearnError", "ParameterError", "AudioError", "MirlearnWarning"]


class MirlearnError(Exception):
    """Base class of every exception raised by mirlearn."""


class ParameterError(MirlearnError, ValueError):
    """A parameter, option or configuration key is invalid or unknown."""


class AudioError(MirlearnError, OSError):
    """An audio file is missing, empty, undecodable or in an unsupported format.

    Attributes
    ----------
    path : str
        The file that could not be read.
    reason : str
        A short human-readable reason, without the path.
    """

    def __init__(self, path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")

    def __reduce__(self):  # keep the two fields when crossing process boundaries
        return (type(self), (self.path, self.reason))


class MirlearnWarning(UserWarning):
    """Degenerate but legal input: silence, clips shorter than one frame, ..."""
