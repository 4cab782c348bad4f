"""GUS patches (freepats' format): reading, playing notes, rendering labelled notes."""

from __future__ import annotations

import struct

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from mirlearn.data.gus import PatchError, PatchSet, is_patch_set, read_patch
from mirlearn.data.render import render_notes

SR = 22050


def write_patch(path, samples):
    """A GF1PATCH110 file with one instrument, one layer and ``samples``: dicts of
    data (int16 array), rate, low/high/root (Hz), loop (start, end) or None."""
    head = b"GF1PATCH110\0" + b"ID#000002\0" + b"\0" * 60
    head += struct.pack("<BBBHHI", 1, 14, 0, len(samples), 127, 0) + b"\0" * 36
    head += struct.pack("<H", 0) + b"test".ljust(16, b"\0") + struct.pack("<IB", 0, 1) + b"\0" * 40
    head += struct.pack("<BBIB", 0, 0, 0, len(samples)) + b"\0" * 40
    assert len(head) == 239
    body = b""
    for k, s in enumerate(samples):
        data = np.asarray(s["data"], dtype="<i2").tobytes()
        loop = s.get("loop")
        modes = 1 | (4 if loop else 0)
        ls, le = (2 * loop[0], 2 * loop[1]) if loop else (0, 0)
        h = f"s{k}".encode().ljust(7, b"\0") + struct.pack("<BIIIHIII", 0, len(data), ls, le, s["rate"], int(s["low"] * 1000),
                                                         int(s["high"] * 1000), int(s["root"] * 1000))
        h += struct.pack("<hB", 0, 7) + b"\0" * 12 + b"\0" * 6 + bytes([modes]) + b"\0" * 40
        assert len(h) == 96
        body += h + data
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(head + body)
    return path


def sine(hz, rate, seconds):
    n = int(rate * seconds)
    period = rate / hz
    n = int(round(n / period) * period)  # whole periods: the loop below is seamless
    return (np.sin(2 * np.pi * hz * np.arange(n) / rate) * 16000).astype(np.int16)


def dominant_hz(y, sr):
    w = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return np.fft.rfftfreq(len(y), 1 / sr)[np.argmax(w)]


@pytest.fixture
def patch_set(tmp_path):
    low = sine(220.0, 44100, 0.5)
    high = sine(880.0, 32000, 0.5)
    write_patch(tmp_path / "set" / "Tone_000" / "040_Violin.pat", [
        dict(data=low, rate=44100, low=100.0, high=440.0, root=220.0, loop=(4410, len(low))),
        dict(data=high, rate=32000, low=440.01, high=4000.0, root=880.0, loop=None),
    ])
    return tmp_path / "set"


def test_read_patch_samples(patch_set):
    s = read_patch(patch_set / "Tone_000" / "040_Violin.pat")
    assert len(s) == 2
    assert (s[0].rate, s[0].root_hz, s[0].low_hz, s[0].high_hz) == (44100, 220.0, 100.0, 440.0)
    assert s[0].loop == (4410, len(s[0].data)) and s[1].loop is None
    assert np.max(np.abs(s[0].data)) == pytest.approx(16000 / 32768, abs=1e-3)


def test_notes_play_at_their_pitch_from_the_right_sample(patch_set):
    ps = PatchSet(patch_set)
    assert is_patch_set(patch_set) and ps.patch(40) is not None and ps.patch(0) is None
    assert ps.sample_index(40, 57) == 0 and ps.sample_index(40, 81) == 1  # A3 (220 Hz), A5 (880 Hz)
    for pitch in (52, 57, 64, 69, 76, 81):
        y = ps.render(40, pitch, 127, 1.0, 0.5, SR)
        assert y.shape == (int(1.5 * SR),)
        hz = 440.0 * 2 ** ((pitch - 69) / 12)
        assert dominant_hz(y[: int(0.4 * SR)], SR) == pytest.approx(hz, rel=0.01)
    # the looped sample sustains through the held second, then fades out over the release
    y = ps.render(40, 57, 127, 1.0, 0.5, SR)
    rms = lambda a: np.sqrt(np.mean(a**2))  # noqa: E731
    assert rms(y[int(0.8 * SR): SR]) > 0.3 and rms(y[-int(0.05 * SR):]) < 0.01
    # the unlooped one stops when its recording ends (0.5 s at 880 Hz)
    y = ps.render(40, 81, 127, 1.0, 0.5, SR)
    assert rms(y[int(0.6 * SR): SR]) == 0.0
    # velocity scales the level
    assert rms(ps.render(40, 57, 64, 1.0, 0.0, SR)) < 0.5 * rms(ps.render(40, 57, 127, 1.0, 0.0, SR))
    assert ps.render(0, 60, 100, 1.0, 0.5, SR) is None


def test_bad_patches_are_clear_errors(tmp_path, patch_set):
    bad = tmp_path / "bad.pat"
    bad.write_bytes(b"RIFF" + b"\0" * 300)
    with pytest.raises(PatchError, match="not a Gravis"):
        read_patch(bad)
    good = (patch_set / "Tone_000" / "040_Violin.pat").read_bytes()
    cut = tmp_path / "cut.pat"
    cut.write_bytes(good[:-1000])
    with pytest.raises(PatchError, match="past the end"):
        read_patch(cut)
    with pytest.raises(Exception, match="not a folder of GUS patches"):
        PatchSet(tmp_path)


def test_render_notes_from_a_patch_set_groups_notes_of_one_sample(patch_set, tmp_path):
    with pytest.warns(Warning, match="no preset for piano in set"):
        m = render_notes([patch_set], tmp_path / "out", instruments=["violin", "piano"], pitch_step=12, progress=False)
    df = pd.read_csv(m["instrument"])
    assert set(df.label) == {"violin"} and set(df.source) == {"set"}
    # violin range 55-96, every 12th: 55, 67 (sample 0, up to 440 Hz) and 79, 91 (sample 1)
    pitches = df.path.str.extract(r"_p(\d+)_")[0].astype(int)
    group = dict(zip(pitches, df.group))
    assert group[55] == group[67] and group[79] == group[91] and group[55] != group[79]
    y, sr = sf.read(tmp_path / "out" / df.path[0])
    assert sr == SR and np.max(np.abs(y)) > 0.1
