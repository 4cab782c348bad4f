"""Torch front-ends: frozen parity with the numpy engine (and librosa's PCEN), gradients to
every trainable stage, frozen stages as fixed buffers, configuration round trips."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mirlearn.errors import ParameterError  # noqa: E402
from mirlearn.features.engine import extract  # noqa: E402
from mirlearn.nn.frontends import FRONTENDS, frontend  # noqa: E402

SR = 22050


def _signal(seconds=3.0, seed=0):
    """A chirp, two tones with a gap and a little noise: energy in every octave; faded in and
    out over 0.1 s (an abrupt edge rings in the CQT's long low filters, where the engine's soxr
    and the front-end's frequency-domain halving differ most)."""
    t = np.arange(int(seconds * SR)) / SR
    rng = np.random.default_rng(seed)
    y = 0.3 * np.sin(2 * np.pi * (40 * t + 0.5 * (4000 - 40) / seconds * t**2))
    y += 0.2 * np.sin(2 * np.pi * 220 * t) * (t < 1.2) + 0.2 * np.sin(2 * np.pi * 659.3 * t) * (t > 1.8)
    fade = np.clip(np.minimum(t, seconds - t) / 0.1, 0, 1)
    return ((y + 0.01 * rng.standard_normal(len(t))) * fade).astype(np.float32)


# (front-end, engine feature, extra engine parameters, tolerance relative to the feature's max)
PARITY = [
    ("stft", "stft", {}, 1e-5),
    ("mel", "mel", {}, 1e-5),
    ("logmel", "logmel", {}, 1e-5),
    ("mfcc", "mfcc", {}, 1e-5),
    ("mfcc", "mfcc", dict(n_mfcc=13, lifter=22, n_mels=64, fmax=8000.0), 1e-5),
    ("chroma", "chroma_stft", dict(tuning=0.0), 1e-4),
    # the CQT halves its rate in the frequency domain, the engine with soxr
    ("cqt", "cqt", {}, 1e-3),
    ("chroma_cqt", "chroma_cqt", dict(tuning=0.0), 5e-3),
]


@pytest.mark.parametrize("name, feature, params, tol", PARITY)
def test_frozen_frontends_match_the_engine(name, feature, params, tol):
    y = np.stack([_signal(), 0.25 * _signal(seed=1)[::-1].copy()])
    fe_params = {k: v for k, v in params.items() if k != "tuning" or name.startswith("chroma")}
    fe = frontend(name, sr=SR, **fe_params)
    assert not list(fe.parameters())  # frozen: buffers only
    with torch.no_grad():
        out = fe(torch.from_numpy(y)).numpy()
    for i in range(2):
        ref = extract(y[i], sr=SR, features=[feature], **params)[feature]
        assert out[i].shape == ref.shape
        assert np.abs(out[i] - ref).max() <= tol * np.abs(ref).max(), name


def test_frozen_log_cqt_matches_the_engine_in_db():
    """Within 0.1 dB wherever the engine's value is within 60 dB of its maximum (further down,
    the two halving filters' stop bands differ by more)."""
    y = _signal()
    ref = extract(y, sr=SR, features=["cqt_db"])["cqt_db"]
    with torch.no_grad():
        out = frontend("logcqt", sr=SR)(torch.from_numpy(y[None]))[0].numpy()
    loud = ref > ref.max() - 60
    assert loud.mean() > 0.5 and np.abs(out - ref)[loud].max() < 0.1


def test_pcen_matches_librosa():
    librosa = pytest.importorskip("librosa")
    y = _signal()
    S = librosa.feature.melspectrogram(y=y, sr=SR, power=1)
    ref = librosa.pcen(S * 2**31, sr=SR, hop_length=512)
    with torch.no_grad():
        out = frontend("pcen", sr=SR)(torch.from_numpy(y[None]))[0].numpy()
    np.testing.assert_allclose(out, ref, atol=1e-4 * np.abs(ref).max())


@pytest.mark.parametrize("name", ["stft", "mel", "mfcc", "chroma"])
def test_trainable_dft_starts_at_the_fixed_one(name):
    y = torch.from_numpy(_signal()[None])
    with torch.no_grad():
        a, b = frontend(name, sr=SR)(y), frontend(name, sr=SR, trainable=["dft"])(y)
    torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-4 * float(a.abs().max()))


TRAINABLE = [
    ("stft", {}),
    ("logmel", dict(log="log1p")),
    ("mfcc", dict(log="log1p", n_mfcc=13)),
    ("pcen", {}),
    ("chroma", {}),
    ("cqt", dict(n_bins=48, fmin=65.4)),
    ("logcqt", dict(n_bins=48, fmin=65.4, log="log1p")),
    ("chroma_cqt", dict(n_octaves=3, fmin=65.4)),
    ("sincnet", dict(n_filters=16, kernel_size=101)),
]


@pytest.mark.parametrize("name, params", TRAINABLE)
def test_gradients_reach_and_move_every_trainable_parameter(name, params):
    torch.manual_seed(0)
    fe = frontend(name, sr=SR, trainable="all", n_fft=512, hop_length=256, **params) if "dft" in FRONTENDS[name]["stages"] \
        else frontend(name, sr=SR, trainable="all", **params)
    before = {k: v.detach().clone() for k, v in fe.named_parameters()}
    assert before and set(k.split(".")[1] for k in before) == set(FRONTENDS[name]["stages"]) - {"log"} | (
        {"log"} if params.get("log") == "log1p" else set())
    y = torch.from_numpy(np.stack([_signal(1.0), _signal(1.0, seed=2)]))
    out = fe(y)
    target = torch.randn(out.shape, generator=torch.Generator().manual_seed(1))
    loss = ((out - target) ** 2).mean()
    loss.backward()
    opt = torch.optim.SGD(fe.parameters(), lr=1e-2)
    for k, p in fe.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, k
    opt.step()
    for k, p in fe.named_parameters():
        assert not torch.equal(p.detach(), before[k]), k


def test_frozen_stages_are_buffers_and_stay_fixed():
    fe = frontend("mfcc", sr=SR, trainable=["mel"], n_mfcc=13)
    assert [k for k, _ in fe.named_parameters()] == ["stages.mel.weight"]
    buffers = {k: v.clone() for k, v in fe.named_buffers()}
    assert {"stages.dft.window", "stages.dct.weight"} <= set(buffers)
    opt = torch.optim.Adam(fe.parameters(), lr=1e-2)
    y = torch.from_numpy(_signal(1.0)[None])
    for _ in range(2):
        opt.zero_grad()
        fe(y).square().mean().backward()
        opt.step()
    for k, v in fe.named_buffers():
        assert torch.equal(v, buffers[k]), k
    assert not torch.equal(fe.stages.mel.weight.detach(), frontend("mfcc", sr=SR, n_mfcc=13).stages.mel.weight)


@pytest.mark.parametrize("name", list(FRONTENDS))
def test_config_and_state_rebuild_the_frontend(name):
    fe = frontend(name, sr=SR, trainable=[s for s in FRONTENDS[name]["stages"] if s not in ("log",)])
    with torch.no_grad():
        for p in fe.parameters():
            p.mul_(1.01)
    back = frontend(**fe.get_config())
    back.load_state_dict(fe.state_dict())
    y = torch.from_numpy(_signal(1.0)[None])
    with torch.no_grad():
        torch.testing.assert_close(back(y), fe(y))


def test_frontend_errors_name_the_fix():
    with pytest.raises(ParameterError, match="unknown front-end 'melspec'.*logmel"):
        frontend("melspec", sr=SR)
    with pytest.raises(ParameterError, match="unknown parameter.*n_mel\\b.*valid: .*n_mels"):
        frontend("logmel", sr=SR, n_mel=64)
    with pytest.raises(ParameterError, match="no stage dct"):
        frontend("logmel", sr=SR, trainable=["dct"])
    with pytest.raises(ParameterError, match="log='log1p'"):
        frontend("logmel", sr=SR, trainable=["log"])
    with pytest.raises(ParameterError, match="\\(batch, n_samples\\)"):
        frontend("mel", sr=SR)(torch.zeros(1, 1, 4096))


def test_zero_mean_convolution_ignores_a_constant():
    from mirlearn.nn.zero_mean import ZeroMeanConv2d

    torch.manual_seed(0)
    conv = ZeroMeanConv2d(2, 5, 3)
    w = conv.effective_weight()
    torch.testing.assert_close(w.sum(dim=(1, 2, 3)), torch.zeros(5), atol=1e-6, rtol=0)
    x = torch.randn(3, 2, 20, 30)
    torch.testing.assert_close(conv(x + 7.5), conv(x), atol=1e-5, rtol=0)
    assert conv(x).shape[-2:] == (18, 28)  # valid: no zero padding for the offset to miss


@pytest.mark.parametrize("name", ["cnn", "short_chunk_resnet", "crnn"])
def test_zero_mean_models_do_not_see_gain(name):
    """A constant added to the whole input (a gain on a log-magnitude input) leaves a
    zero-mean model's logits as they were; an ordinary one moves."""
    from mirlearn.models.neural import build_network

    x = torch.randn(2, 64, 130, generator=torch.Generator().manual_seed(0))
    for zero_mean in (True, False):
        torch.manual_seed(0)
        net = build_network(name, n_classes=5, n_mels=64, zero_mean=zero_mean).eval()
        with torch.no_grad():
            moved = float((net(x + 3.7) - net(x)).abs().max())
        assert (moved < 1e-5) if zero_mean else (moved > 1e-3), (name, zero_mean, moved)


def test_pcen_is_finite_after_digital_silence():
    """Silence, then a loud note (rendered notes start so): the FFT smoother's rounding
    must not take log1p below -1 in the silent frames."""
    t = np.arange(2 * SR) / SR
    y = np.where(t > 1.0, 0.9 * np.sin(2 * np.pi * 220 * t), 0.0).astype(np.float32)
    fe = frontend("pcen", sr=SR, n_mels=64, trainable=["pcen"])
    out = fe(torch.from_numpy(np.stack([y, y[::-1].copy()])))
    assert torch.isfinite(out).all()
    out.sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in fe.parameters())


def test_trained_filterbanks_keep_to_their_bands():
    fe = frontend("logmel", sr=SR, n_mels=32, trainable=["mel"])
    before = fe.stages.mel.w("weight").detach().clone()
    opt = torch.optim.Adam(fe.parameters(), lr=0.05)
    for _ in range(3):
        opt.zero_grad()
        fe(torch.from_numpy(_signal(1.0)[None])).mean().backward()
        opt.step()
    after = fe.stages.mel.w("weight").detach()
    assert torch.all(after[before == 0] == 0) and not torch.equal(after, before)


def test_sinc_bands_find_a_tone_and_match_filtering_the_signal():
    """The band holding a tone is the loudest, and each band's frame energy equals that of the
    signal filtered by the band's kernel (SincNet's convolution), framed as the STFT frames."""
    fe = frontend("sincnet", sr=SR, n_filters=16, kernel_size=201, hop_length=256, win_length=1024)
    st = fe.stages["sinc"]
    t = np.arange(SR) / SR
    y = torch.from_numpy((0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)[None])
    with torch.no_grad():
        E = st(y)[0]  # (16, n_frames)
        low = st.w("low_hz").abs()
        high = low + st.min_band + st.w("band_hz").abs()
        inside = int(((low <= 1000) & (high >= 1000)).nonzero()[0])
        assert int(E[:, 20:-20].mean(-1).argmax()) == inside
        x = torch.nn.functional.conv1d(y[:, None], st.filters()[:, None], padding=100)[0]  # (16, n)
        w = torch.hann_window(1024)
        frames = torch.nn.functional.pad(x, (512, 512)).unfold(-1, 1024, 256) * w  # windowed as the STFT
        direct = frames.square().sum(-1) * 1024  # Parseval: sum |X_k|^2 over the full DFT = N sum x^2
        rfft_sum = E[:, 20:-20] * 2  # the one-sided spectrum counts each bin once
        torch.testing.assert_close(rfft_sum[inside], direct[inside, 20:-20], rtol=0.05, atol=0)
