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


def _cbr_mp3_without_info_frame(seconds=3.5, sr=44100):
    """A constant-bitrate MP3 as many encoders write it: no Xing/Info frame, so no header
    states its length (libsndfile writes an Info frame first; it is dropped here)."""
    import io

    t = np.arange(int(seconds * sr)) / sr
    buf = io.BytesIO()
    sf.write(buf, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), sr, format="MP3", bitrate_mode="CONSTANT",
             compression_level=0.5)
    data = buf.getvalue()
    second = data.find(data[:2], 4)  # the next frame header (the Info frame is mostly zeros)
    assert data[:2] == b"\xff\xfb" and b"Info" in data[:second]
    return data[second:]


def _id3v2(n_bytes):
    """An ID3v2.3 tag of ``n_bytes`` (cover art, say): libsndfile counts it as audio."""
    size = bytes([(n_bytes >> 21) & 127, (n_bytes >> 14) & 127, (n_bytes >> 7) & 127, n_bytes & 127])
    return b"ID3\x03\x00\x00" + size + b"\x00" * n_bytes


def test_a_healthy_mp3_without_a_length_header_does_not_warn(tmp_path):
    """libsndfile's frame count of such an MP3 is an estimate from its size (here 0.25 s too
    long with the tag, 3 ms without): no 'truncated' warning for a whole file."""
    import warnings

    stream = _cbr_mp3_without_info_frame()
    for name, data in (("plain.mp3", stream), ("tagged.mp3", _id3v2(50_000) + stream), ("v1.mp3", stream + b"TAG" + b"\0" * 125)):
        (tmp_path / name).write_bytes(data)
        with sf.SoundFile(tmp_path / name) as f:
            estimate, held = f.frames, len(f.read())
        if name == "tagged.mp3":
            assert estimate > held + 0.2 * 44100  # what made every such file warn
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y, sr = mirlearn.load(tmp_path / name)
        assert abs(len(y) / sr - 3.5) < 0.1


def test_a_truncated_mp3_warns_with_or_without_a_length_header(tmp_path):
    import io

    from mirlearn import MirlearnWarning

    stream = _cbr_mp3_without_info_frame()
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(_id3v2(5000) + stream[: len(stream) // 2 + 7])  # ends inside a frame
    with pytest.warns(MirlearnWarning, match=r"truncated: its last MPEG frame is cut off after 1\.\d+ s"):
        mirlearn.load(cut)
    buf = io.BytesIO()
    sf.write(buf, 0.1 * np.ones(3 * 44100, np.float32), 44100, format="MP3")  # with an Info frame: its length is known
    (tmp_path / "cut-info.mp3").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.warns(MirlearnWarning, match=r"truncated: the file declares 3.000 s of audio but holds 1\.\d+ s"):
        mirlearn.load(tmp_path / "cut-info.mp3")
