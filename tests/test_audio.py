"""mirlearn.load: formats, resampling, channels, offsets, and every kind of bad file."""

from __future__ import annotations


import numpy as np
import pytest
import soundfile as sf

import mirlearn
from mirlearn import AudioError, MirlearnWarning, ParameterError

from .conftest import GTZAN, require_data

SR = 22050


def _tone(seconds=1.0, sr=SR, f=440.0):
    return (0.5 * np.sin(2 * np.pi * f * np.arange(int(seconds * sr)) / sr)).astype(np.float32)


@pytest.mark.parametrize("fmt,ext,atol", [("WAV", "wav", 1e-4), ("FLAC", "flac", 1e-4), ("OGG", "ogg", 0.05), ("MP3", "mp3", 0.1)])
def test_formats_round_trip(tmp_path, fmt, ext, atol):
    y = _tone()
    path = tmp_path / f"tone.{ext}"
    sf.write(path, y, SR, format=fmt)
    z, sr = mirlearn.load(path)
    assert sr == SR
    assert z.dtype == np.float32 and z.ndim == 1
    # lossy codecs shift and pad; compare the spectrum peak and the level instead of samples
    spec = np.abs(np.fft.rfft(z))
    assert np.argmax(spec) * SR / len(z) == pytest.approx(440, abs=2)
    assert np.sqrt(np.mean(z**2)) == pytest.approx(np.sqrt(np.mean(y**2)), rel=0.1)
    if fmt in ("WAV", "FLAC"):
        np.testing.assert_allclose(z, y, atol=atol)


def test_stereo_mono_and_channels(tmp_path):
    left, right = _tone(f=440), _tone(f=660) * 0.5
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([left, right], axis=1), SR, subtype="FLOAT")
    y, _ = mirlearn.load(path, mono=False)
    assert y.shape == (2, len(left))
    np.testing.assert_allclose(y[0], left)
    m, _ = mirlearn.load(path)
    np.testing.assert_allclose(m, (left + right) / 2, atol=1e-7)


def test_resample_matches_librosa(tmp_path):
    import librosa

    path = tmp_path / "tone.wav"
    sf.write(path, _tone(sr=44100), 44100, subtype="FLOAT")
    y, sr = mirlearn.load(path, sr=22050)
    ref, _ = librosa.load(path, sr=22050)
    assert sr == 22050
    np.testing.assert_allclose(y, ref, atol=1e-6)


def test_offset_and_duration(tmp_path):
    y = np.arange(SR * 2, dtype=np.float32) / (SR * 4)
    path = tmp_path / "ramp.wav"
    sf.write(path, y, SR, subtype="FLOAT")
    z, _ = mirlearn.load(path, offset=0.5, duration=0.25)
    np.testing.assert_array_equal(z, y[SR // 2 : SR // 2 + SR // 4])


def test_real_clip_matches_librosa():
    import librosa

    path = GTZAN / "blues" / "blues.00000.flac"
    require_data(path)
    y, sr = mirlearn.load(path, sr=22050)
    ref, _ = librosa.load(path, sr=22050)
    np.testing.assert_allclose(y, ref, atol=1e-6)


def test_missing_file(tmp_path):
    with pytest.raises(AudioError, match=r"nope\.wav: file does not exist"):
        mirlearn.load(tmp_path / "nope.wav")


def test_zero_byte_file(tmp_path):
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(AudioError, match=r"empty\.wav: file is empty \(0 bytes\)"):
        mirlearn.load(tmp_path / "empty.wav")


def test_text_file_named_wav(tmp_path):
    (tmp_path / "notes.wav").write_text("these are my notes, not audio\n")
    with pytest.raises(AudioError, match=r"notes\.wav: not an audio file \(it holds text\)"):
        mirlearn.load(tmp_path / "notes.wav")


def test_corrupt_mp3(tmp_path):
    good = tmp_path / "good.mp3"
    sf.write(good, _tone(2.0), SR, format="MP3")
    data = good.read_bytes()
    noise = np.random.default_rng(0).integers(0, 256, len(data) - 100, dtype=np.uint8).tobytes()
    (tmp_path / "bad.mp3").write_bytes(data[:100] + noise)
    with pytest.raises(AudioError, match=r"bad\.mp3: cannot decode audio, the file is corrupt"):
        mirlearn.load(tmp_path / "bad.mp3")


def test_unsupported_binary_format(tmp_path):
    (tmp_path / "image.wav").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    with pytest.raises(AudioError, match="unsupported or unrecognised audio format"):
        mirlearn.load(tmp_path / "image.wav")


def test_directory_is_not_audio(tmp_path):
    with pytest.raises(AudioError, match="is a directory"):
        mirlearn.load(tmp_path)


def test_audio_error_is_catchable_as_oserror_and_project_error(tmp_path):
    with pytest.raises(OSError):
        mirlearn.load(tmp_path / "missing.flac")
    with pytest.raises(mirlearn.MirlearnError):
        mirlearn.load(tmp_path / "missing.flac")


def test_silence_warns_and_loads(tmp_path):
    sf.write(tmp_path / "silence.wav", np.zeros(SR, np.float32), SR)
    with pytest.warns(MirlearnWarning, match="silent"):
        y, _ = mirlearn.load(tmp_path / "silence.wav")
    assert y.shape == (SR,) and not y.any()


def test_offset_past_end(tmp_path):
    sf.write(tmp_path / "short.wav", _tone(0.5), SR)
    with pytest.raises(AudioError, match="past the end"):
        mirlearn.load(tmp_path / "short.wav", offset=2.0)


@pytest.mark.parametrize("kw,match", [({"sr": -1}, "sr must be"), ({"offset": -1}, "offset must"), ({"duration": 0}, "duration must")])
def test_bad_parameters(tmp_path, kw, match):
    sf.write(tmp_path / "a.wav", _tone(0.1), SR)
    with pytest.raises(ParameterError, match=match):
        mirlearn.load(tmp_path / "a.wav", **kw)


def test_a_truncated_wav_warns(tmp_path):
    import soundfile as sf

    from mirlearn import MirlearnWarning

    full, cut = tmp_path / "full.wav", tmp_path / "cut.wav"
    sf.write(full, 0.1 * np.ones(3 * SR, np.float32), SR, subtype="PCM_16")
    cut.write_bytes(full.read_bytes()[: 44 + 2 * SR])
    with pytest.warns(MirlearnWarning, match=r"truncated: the file declares 3.000 s of audio but holds 1.000 s"):
        y, _ = mirlearn.load(cut)
    assert len(y) == SR
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mirlearn.load(full)  # a whole file: no warning
        mirlearn.load(full, offset=1.0, duration=1.0)  # a part of a whole file: none either
