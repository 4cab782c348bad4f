"""Audio input: decoding, resampling and down-mixing.

Audio arrays are float32, shaped ``(n,)`` for mono or ``(channels, n)``; times are in
seconds.
"""

from .io import AUDIO_EXTENSIONS, decode, load

__all__ = ["load", "decode", "AUDIO_EXTENSIONS"]
