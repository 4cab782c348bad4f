"""Reading audio files: WAV, FLAC, OGG/Vorbis and MP3 through libsndfile (soundfile),
resampling with soxr.

Audio arrays are float32, shaped ``(n,)`` for mono or ``(channels, n)``; ``offset`` and
``duration`` are in seconds.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np

from ..errors import AudioError, MirlearnWarning, ParameterError

__all__ = ["load", "decode", "AUDIO_EXTENSIONS"]

#: File extensions that :func:`load` and ``mirlearn extract`` treat as audio.
SILENT = "the audio is silent (all samples are zero)"

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".mp3", ".aif", ".aiff")


def load(path, *, sr=None, mono=True, offset=0.0, duration=None):
    """Load an audio file as a float32 time series.

    Parameters
    ----------
    path : str or os.PathLike
        WAV, FLAC, OGG (Vorbis/Opus) or MP3 file; anything libsndfile decodes.
    sr : number > 0 or None
        Target sampling rate. ``None`` (the default) keeps the file's native rate;
        otherwise the signal is resampled with soxr (quality ``'HQ'``, as librosa's
        default ``res_type='soxr_hq'``).
    mono : bool
        Average the channels down to one (as :func:`librosa.to_mono` does).
    offset : float >= 0
        Start reading this many seconds into the file.
    duration : float > 0 or None
        Read at most this many seconds.

    Returns
    -------
    y : np.ndarray [shape=(n,) or (channels, n)], float32
    sr : int or float
        The sampling rate of ``y``.

    Raises
    ------
    AudioError
        The file is missing, empty, not audio, truncated or in an unsupported format.
        The message names the file and the reason.

    Warns
    -----
    MirlearnWarning
        The decoded audio is silent.

    Examples
    --------
    >>> y, sr = mirlearn.load("song.flac", sr=22050)  # doctest: +SKIP
    """
    path = Path(os.fspath(path))
    if not path.exists():
        raise AudioError(path, "file does not exist")
    if path.is_dir():
        raise AudioError(path, "is a directory, not an audio file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AudioError(path, f"cannot read file ({exc.strerror or exc})") from exc
    return decode(data, name=str(path), sr=sr, mono=mono, offset=offset, duration=duration)


def decode(data, *, name="<bytes>", sr=None, mono=True, offset=0.0, duration=None):
    """Decode an audio file held in memory (the bytes of a WAV, FLAC, OGG or MP3 file).

    Same parameters and result as :func:`load`, with ``data`` (bytes) in place of the path
    and ``name`` used in error messages. :func:`load` reads the file and calls this, so a
    caller that also needs the bytes (to hash them, say) reads the file only once.
    """
    _check_params(sr=sr, offset=offset, duration=duration)
    if len(data) == 0:
        raise AudioError(name, "file is empty (0 bytes)")
    import soundfile as sf

    try:
        with sf.SoundFile(io.BytesIO(data)) as f:
            native_sr = f.samplerate
            start = int(round(offset * native_sr))
            if f.frames > 0 and start >= f.frames:
                raise AudioError(
                    name,
                    f"offset={offset} s is past the end of the file "
                    f"({f.frames / native_sr:.3f} s long)",
                )
            if start:
                f.seek(start)
            n = -1 if duration is None else int(round(duration * native_sr))
            y = f.read(frames=n, dtype="float32", always_2d=True)
            declared = _declared_frames(data, f)
            cut_mp3 = declared is None and _mp3_last_frame_cut(data)
    except AudioError:
        raise
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        raise AudioError(name, _explain_decode_error(exc, data)) from exc

    if y.shape[0] == 0:
        raise AudioError(name, "file holds no audio samples")
    if cut_mp3 and n == -1:
        warnings.warn(
            f"{name}: truncated: its last MPEG frame is cut off after {(start + y.shape[0]) / native_sr:.3f} s "
            "of audio; the rest is missing",
            MirlearnWarning,
            stacklevel=3,
        )
    wanted = 0 if declared is None else declared - start if n == -1 else min(n, declared - start)
    if declared and y.shape[0] < wanted:
        warnings.warn(
            f"{name}: truncated: the file declares {declared / native_sr:.3f} s of audio but holds "
            f"{(start + y.shape[0]) / native_sr:.3f} s; the rest is missing",
            MirlearnWarning,
            stacklevel=3,
        )
    if not np.all(np.isfinite(y)):
        raise AudioError(name, "decoded audio contains NaN or infinite samples")

    y = np.ascontiguousarray(y.T)  # (channels, n)
    if mono:
        y = np.mean(y, axis=0, dtype=np.float32) if y.shape[0] > 1 else y[0]
    if sr is not None and sr != native_sr:
        y = resample(y, orig_sr=native_sr, target_sr=sr)
        out_sr = sr
    else:
        out_sr = native_sr
    if not np.any(y):
        warnings.warn(f"{name}: {SILENT}", MirlearnWarning, stacklevel=3)
    return y, out_sr


def _declared_frames(data, f):
    """The number of frames a file's header declares: the WAV ``data`` chunk's size (which
    libsndfile silently trims to what is present), else libsndfile's count; None for an MP3
    without a Xing, Info or VBRI header, whose length no header states (libsndfile's count
    is then an estimate from the file size and the first frame's bitrate, which ID3 tags and
    variable bitrates throw off: :func:`_mp3_last_frame_cut` tells truncation instead)."""
    if f.format == "MP3":
        first = _mp3_first_frame(data)
        if first is None:
            return f.frames
        pos, length = first[0], first[1]
        return f.frames if any(tag in data[pos : pos + length] for tag in (b"Xing", b"Info", b"VBRI")) else None
    if f.format in ("WAV", "WAVEX") and data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        import struct

        pos, block = 12, None
        while pos + 8 <= len(data):
            cid, size = data[pos : pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
            if cid == b"fmt " and pos + 22 <= len(data):
                block = struct.unpack_from("<H", data, pos + 20)[0]
            if cid == b"data":
                if block and size not in (0, 0xFFFFFFFF):  # 0 / -1: length unknown (streamed)
                    return size // block
                break
            pos += 8 + size + (size & 1)
    return f.frames


#: kbit/s by (MPEG-1?, layer) for bitrate indices 1..14 (ISO/IEC 11172-3, 13818-3)
_MP3_KBPS = {
    (True, 1): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _mp3_frame_length(data, pos):
    """Bytes of the MPEG audio frame whose header starts at ``pos``; 0 if none starts there."""
    if pos + 4 > len(data):
        return 0
    h = int.from_bytes(data[pos : pos + 4], "big")
    version, layer = (h >> 19) & 3, 4 - ((h >> 17) & 3)  # version 3: MPEG-1; layer bits 3, 2, 1: I, II, III
    bitrate, rate, pad = (h >> 12) & 15, (h >> 10) & 3, (h >> 9) & 1
    if (h >> 21) != 0x7FF or version == 1 or layer == 4 or bitrate in (0, 15) or rate == 3:
        return 0
    mpeg1 = version == 3
    kbps = _MP3_KBPS[(mpeg1, min(layer, 2) if not mpeg1 else layer)][bitrate - 1]
    sr = _MP3_RATES[version][rate]
    if layer == 1:
        return (12000 * kbps // sr + pad) * 4
    return (144000 if mpeg1 or layer == 2 else 72000) * kbps // sr + pad


def _mp3_first_frame(data):
    """``(position, length)`` of the first MPEG audio frame after any ID3v2 tag (one whose
    header is followed by another frame's, so that a stray sync word in a tag is not taken
    for audio), or None."""
    pos = 0
    if data[:3] == b"ID3" and len(data) >= 10:
        pos = 10 + ((data[6] & 127) << 21 | (data[7] & 127) << 14 | (data[8] & 127) << 7 | (data[9] & 127))
        pos += 10 if data[5] & 0x10 else 0  # a footer
    end = min(len(data), pos + 65536)
    while pos < end:
        pos = data.find(b"\xff", pos, end)
        if pos < 0:
            return None
        n = _mp3_frame_length(data, pos)
        if n and (pos + n >= len(data) or _mp3_frame_length(data, pos + n)):
            return pos, n
        pos += 1
    return None


def _mp3_last_frame_cut(data):
    """Whether an MPEG audio stream ends inside a frame: the chain of frame headers from
    the first frame runs past the end of the data. A chain that stops at anything else
    (an ID3v1 or APE tag, padding) is whole."""
    first = _mp3_first_frame(data)
    if first is None:
        return False
    pos = first[0]
    while True:
        n = _mp3_frame_length(data, pos)
        if not n:
            return False
        if pos + n > len(data):
            return True
        pos += n


def resample(y, *, orig_sr, target_sr):
    """Resample ``y`` along its last axis with soxr (``'HQ'`` quality), as librosa's
    ``res_type='soxr_hq'`` does.

    Parameters
    ----------
    y : np.ndarray [shape=(..., n)]
    orig_sr, target_sr : number > 0

    Returns
    -------
    np.ndarray [shape=(..., ceil(n * target_sr / orig_sr))], float32
    """
    import soxr

    if orig_sr == target_sr:
        return y
    if y.ndim == 1:
        out = soxr.resample(y, orig_sr, target_sr, quality="HQ")
    else:
        flat = y.reshape(-1, y.shape[-1])
        out = soxr.resample(flat.T, orig_sr, target_sr, quality="HQ").T
        out = out.reshape(*y.shape[:-1], out.shape[-1])
    return np.ascontiguousarray(out, dtype=np.float32)


def _check_params(*, sr, offset, duration):
    if sr is not None and not (np.isscalar(sr) and sr > 0):
        raise ParameterError(f"sr must be a positive number or None, got sr={sr!r}")
    if not (np.isscalar(offset) and offset >= 0):
        raise ParameterError(f"offset must be a number of seconds >= 0, got offset={offset!r}")
    if duration is not None and not (np.isscalar(duration) and duration > 0):
        raise ParameterError(
            f"duration must be a positive number of seconds or None, got duration={duration!r}"
        )


def _explain_decode_error(exc, data):
    msg = str(exc)
    head = bytes(data[:64])
    if "Format not recognised" in msg or "format not recognised" in msg.lower():
        if _looks_like_text(head):
            return "not an audio file (it holds text); supported formats: WAV, FLAC, OGG, MP3"
        return "unsupported or unrecognised audio format; supported formats: WAV, FLAC, OGG, MP3"
    # libsndfile reports a corrupt stream behind a valid header in various ways; on
    # in-memory data "File does not exist or is not a regular file" means it found no
    # decodable stream.
    detail = msg.split(": ", 1)[-1].strip() if ": " in msg else msg.strip()
    if "does not exist or is not a regular file" in detail:
        detail = "no decodable audio stream found"
    return f"cannot decode audio, the file is corrupt or truncated ({detail})"


def _looks_like_text(head: bytes) -> bool:
    if not head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(32 <= b < 127 or b in (9, 10, 13) for b in head)
