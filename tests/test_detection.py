"""Post-processing, event and pitch metrics, losses, frame networks, onset detection functions
and pYIN: synthetic signals with known answers, parity with mir_eval and librosa."""

from __future__ import annotations

import itertools

import mir_eval
import numpy as np
import pytest

from mirlearn.detection import combine_events, median_filter, peak_pick, threshold_events, tune_peak_picking
from mirlearn.evaluation.events import count_hits, evaluate_events, evaluate_labelled_events, evaluate_pitch, sum_counts, sum_labelled


def _reference_peaks(a, *, threshold, pre_max, post_max, pre_avg, post_avg):
    """The definition, one frame at a time (windows in frames; zeros outside; no averaging
    window: a plain threshold, as madmom)."""
    n = len(a)
    pad = np.concatenate([np.zeros(50), a, np.zeros(50)])
    out = []
    for i in range(n):
        j = i + 50
        if a[i] < _avg(pad, j, pre_avg, post_avg) + threshold:
            continue
        window = [pad[k] if (k - 50 >= 0 and k - 50 < n and pad[k] >= _avg(pad, k, pre_avg, post_avg) + threshold) else 0.0
                  for k in range(j - pre_max, j + post_max + 1)]
        if a[i] == max(window) and a[i] > 0:
            out.append(i)
    return np.array(out)


def _avg(pad, k, pre, post):
    return pad[k - pre:k + post + 1].mean() if pre + post else 0.0


@pytest.mark.parametrize("pre_max, post_max, pre_avg, post_avg, threshold",
                         list(itertools.product([0, 1, 3], [0, 2], [0, 4], [0, 3], [0.0, 0.2])))
def test_peak_pick_follows_its_definition(pre_max, post_max, pre_avg, post_avg, threshold):
    fps = 100.0
    a = np.random.default_rng(pre_max * 7 + post_max + pre_avg * 3 + post_avg).random(300) ** 3
    got = peak_pick(a, fps=fps, threshold=threshold, pre_max=pre_max / fps, post_max=post_max / fps,
                    pre_avg=pre_avg / fps, post_avg=post_avg / fps, combine=0.0)
    want = _reference_peaks(a, threshold=threshold, pre_max=pre_max, post_max=post_max, pre_avg=pre_avg, post_avg=post_avg) / fps
    np.testing.assert_allclose(got, want)


def test_peak_pick_on_known_bumps():
    fps = 100
    a = np.zeros(400)
    for c in (50, 120, 121, 300):  # 120 and 121: one onset seen twice, 10 ms apart
        a[c - 3:c + 4] += np.hanning(7)
    ev = peak_pick(a, fps=fps, threshold=0.5, pre_max=0.03, post_max=0.03, combine=0.03)
    np.testing.assert_allclose(ev, [0.5, 1.2, 3.0], atol=0.011)
    assert peak_pick(np.zeros(0), fps=fps).size == 0
    # a delay moves every event; one that a negative delay would put before 0 s is dropped
    np.testing.assert_allclose(peak_pick(a, fps=fps, threshold=0.5, pre_max=0.03, post_max=0.03, delay=0.02), [0.52, 1.22, 3.02],
                               atol=0.011)
    early = np.zeros(400)
    early[0:4] = np.hanning(7)[3:]  # a peak at frame 0
    early[100:107] = np.hanning(7)
    np.testing.assert_allclose(peak_pick(early, fps=fps, threshold=0.5, pre_max=0.03, post_max=0.03, delay=-0.02), [1.01], atol=1e-9)
    np.testing.assert_allclose(combine_events([0.1, 0.11, 0.2, 0.22, 0.3], 0.03), [0.1, 0.2, 0.3])
    # thresholding a sigmoid at 0.5 keeps the first frame of each run; it cannot split close peaks
    np.testing.assert_allclose(threshold_events(a, fps=fps, threshold=0.5), [0.49, 1.19, 2.99], atol=1e-9)
    with pytest.raises(ValueError, match="pre_max"):
        peak_pick(a, fps=fps, pre_max=-1)
    with pytest.raises(ValueError, match="1-d"):
        peak_pick(np.zeros((2, 5)), fps=fps)


def test_median_filter_in_seconds():
    a = np.zeros(50)
    a[10] = 1  # an isolated spike goes, a plateau stays
    a[20:30] = 1
    m = median_filter(a, fps=100, length=0.05)
    assert m[10] == 0 and m[20:30].min() == 1 and median_filter(np.stack([a, a]), fps=100, length=0.05).shape == (2, 50)


def test_tuning_uses_what_it_is_given():
    """The search finds the threshold that separates true bumps from decoys on the data it
    is given: it sees validation data only, so the test part cannot steer it."""
    fps, rng = 100, np.random.default_rng(0)
    acts, refs = [], []
    for _ in range(4):
        a = 0.05 * rng.random(500)
        onsets = np.sort(rng.choice(np.arange(20, 480, 12), 10, replace=False))
        a[onsets] = 0.9
        decoys = onsets[:-1] + 6
        a[decoys] = 0.35
        acts.append(a)
        refs.append(onsets / fps)
    best = tune_peak_picking(acts, refs, fps=fps, grid=dict(threshold=[0.1, 0.3, 0.5, 0.95], pre_max=[0.01]))
    assert best["threshold"] == 0.5 and best["f_measure"] == 1.0
    with pytest.raises(ValueError, match="unknown peak-picking parameter"):
        tune_peak_picking(acts, refs, fps=fps, grid=dict(treshold=[0.5]))


def test_count_hits_equals_mir_eval_matching():
    rng = np.random.default_rng(1)
    for _ in range(500):
        ref = np.sort(np.round(rng.uniform(0, 2, rng.integers(0, 25)), 2))
        est = np.sort(np.round(rng.uniform(0, 2, rng.integers(0, 25)), 2))
        want = len(mir_eval.util.match_events(ref, est, 0.05)) if len(ref) and len(est) else 0
        assert count_hits(ref, est, 0.05) == want


def test_event_scores_sum_counts_over_files():
    ref = np.array([0.1, 0.5, 1.0, 1.5])
    est = np.array([0.12, 0.58, 1.0])
    s = evaluate_events(ref, est, window=0.05, combine=0)
    f, p, r = mir_eval.onset.f_measure(ref, est, window=0.05)
    assert (s["tp"], s["fp"], s["fn"]) == (2, 1, 2)
    assert s["f_measure"] == pytest.approx(f) and s["precision"] == pytest.approx(p) and s["recall"] == pytest.approx(r)
    # close reference onsets are merged (30 ms) before matching
    assert evaluate_events([0.1, 0.11, 0.5], [0.1, 0.5])["n_ref"] == 2
    # summed counts weigh files by their events, unlike the mean of per-file F
    a = evaluate_events(np.arange(1, 101) / 10.0, np.arange(1, 101) / 10.0)  # 100 hits
    b = evaluate_events([0.5], [2.0])  # a miss and a false alarm
    total = sum_counts([a, b])
    assert total["f_measure"] == pytest.approx(200 / 202) and total["f_measure_mean"] == pytest.approx(0.5)


def test_drum_scores_per_class_and_mean():
    ref = (np.array([0.1, 0.1, 0.5, 0.9]), np.array(["KD", "HH", "SD", "HH"], dtype=object))
    est = (np.array([0.1, 0.5, 0.9, 0.95]), np.array(["KD", "KD", "HH", "CY"], dtype=object))
    pf = evaluate_labelled_events(ref, est, classes=["KD", "SD", "HH"])
    assert pf["KD"]["tp"] == 1 and pf["KD"]["fp"] == 1 and pf["SD"]["fn"] == 1 and pf["HH"]["tp"] == 1
    m = sum_labelled([pf], classes=["KD", "SD", "HH"])
    assert m["f_measure"] == pytest.approx(np.mean([pf[c]["f_measure"] for c in ("KD", "SD", "HH")]))


def test_pitch_scores_match_mir_eval():
    t = np.arange(100) / 100
    ref = np.where(t < 0.5, 220.0, 0.0)
    est = np.where(t < 0.6, 222.0, 0.0)
    est[:10] = 440.0  # octave errors: wrong pitch, right chroma
    s = evaluate_pitch(t, ref, t, est)
    m = mir_eval.melody.evaluate(t, ref, t, est)
    assert s["raw_pitch_accuracy"] == pytest.approx(m["Raw Pitch Accuracy"]) == pytest.approx(0.8)
    assert s["raw_chroma_accuracy"] == pytest.approx(m["Raw Chroma Accuracy"]) == pytest.approx(1.0)
    assert s["voicing_false_alarm"] == pytest.approx(m["Voicing False Alarm"])


def test_f0_on_notes_counts_voiced_frames_on_any_sounding_note():
    from mirlearn.evaluation.events import f0_on_notes

    iv, pitches = np.array([[0.0, 1.0], [0.5, 1.0]]), np.array([57, 64])  # A3 all along, E4 from 0.5 s
    t = np.arange(0, 1.2, 0.1)
    f0 = np.full(len(t), 220.0)  # A3
    f0[6] = 329.63 * 2  # E5: E4's chroma, an octave off, inside the E4 note
    f0[7] = 300.0  # neither note
    f0[8] = 0.0  # unvoiced: not counted
    m = f0_on_notes(t, f0, iv, pitches)
    # frames at 0.1 ... 0.9 s are inside notes (0.0 is within the onset margin, 1.0+ after the notes), one unvoiced
    assert (m["voiced"], m["hits"]) == (8, 7) and m["fraction"] == pytest.approx(7 / 8)
    assert f0_on_notes(t, np.zeros(len(t)), iv, pitches)["fraction"] == 0.0


# --------------------------------------------------------------------------------------- torch


def test_losses():
    torch = pytest.importorskip("torch")
    from mirlearn.nn.losses import build_loss, focal_loss, positive_weight, weighted_bce

    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 3, 50, generator=g)
    target = (torch.rand(2, 3, 50, generator=g) > 0.9).float()
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, target)
    assert torch.isclose(weighted_bce(logits, target), bce)
    assert torch.isclose(focal_loss(logits, target, gamma=0.0, alpha=None), bce)  # gamma 0, no alpha: BCE
    assert focal_loss(logits, target, gamma=2.0, alpha=None) < bce  # easy frames weigh less
    w = torch.tensor([1.0, 5.0, 10.0])
    manual = -(w[:, None] * target * torch.nn.functional.logsigmoid(logits) + (1 - target) * torch.nn.functional.logsigmoid(-logits)).mean()
    assert torch.isclose(weighted_bce(logits, target, pos_weight=w), manual)
    mask = torch.zeros(2, 1, 50)
    mask[..., :10] = 1
    assert torch.isclose(weighted_bce(logits, target, mask=mask), weighted_bce(logits[..., :10], target[..., :10]))
    np.testing.assert_allclose(positive_weight([np.array([[1, 0, 0, 0], [1, 1, 0, 0]])]), [3.0, 1.0])
    fn, resolved = build_loss("weighted_bce", train_targets=[target[0].numpy()])
    assert resolved["type"] == "weighted_bce" and len(resolved["pos_weight"]) == 3 and fn(logits, target) > 0
    with pytest.raises(ValueError, match="unknown loss"):
        build_loss("dice")
    with pytest.raises(ValueError, match="unknown parameter.*gama"):
        build_loss({"type": "focal", "gama": 2})


@pytest.mark.parametrize("name, shape", [("onset_cnn", (3, 80)), ("drum_crnn", (3, 80)), ("pitch_cnn", (1, 360))])
def test_frame_networks_one_output_per_frame(name, shape):
    torch = pytest.importorskip("torch")
    from mirlearn.models.neural import build_network, from_serialized

    net = build_network(name).eval()
    T, c = 60, net.context
    x = torch.randn(1, *shape, T + 2 * c, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        y = net(x)
        assert y.shape[-1] == T
        if name != "drum_crnn":  # convolutional in time: a slice of the input gives the same frames
            y2 = net(x[..., 10:10 + 20 + 2 * c])
            torch.testing.assert_close(y2, y[..., 10:30], rtol=1e-4, atol=1e-5)
        back = from_serialized(net.serialize()).eval()
        torch.testing.assert_close(back(x), y)


@pytest.mark.parametrize("name, shape", [("onset_cnn", (3, 80)), ("pitch_cnn", (1, 360))])
def test_inference_path_equals_forward(name, shape):
    """``infer`` (time chunks) and ``for_inference`` (batch norms folded, band pooling) give
    the logits of the trained network's plain ``forward`` on a long input."""
    torch = pytest.importorskip("torch")
    from mirlearn.models.neural import build_network

    net = build_network(name)
    gen = torch.Generator().manual_seed(0)
    for m in net.modules():  # non-trivial batch-norm statistics, as after training
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1, generator=gen)
            m.running_var.uniform_(0.5, 2, generator=gen)
            m.weight.data.uniform_(0.5, 1.5, generator=gen)
    net.eval()
    T = 3 * net.infer_chunk + 17
    x = torch.randn(1, *shape, T + 2 * net.context, generator=gen)
    with torch.no_grad():
        ref = net(x)
        fast = build_network(name, **net.get_config())
        fast.load_state_dict(net.state_dict())
        fast = fast.for_inference()
        assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fast.modules())
        out = fast.infer(x)
    assert out.shape == ref.shape
    torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-4)


def test_ensemble_averages_independent_members():
    torch = pytest.importorskip("torch")
    from mirlearn.errors import ParameterError
    from mirlearn.models.neural import build_network, from_serialized

    torch.manual_seed(0)
    net = build_network("ensemble", member="onset_cnn", member_config=dict(n_bands=40), n_members=3).eval()
    a, b = (dict(m.named_parameters())["conv.0.weight"] for m in net.members[:2])
    assert not torch.equal(a, b)  # each member from its own initialisation
    x = torch.randn(2, 3, 40, 300 + 2 * net.context, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        members = net.member_forward(x)
        assert members.shape == (3, 2, 1, 300)
        torch.testing.assert_close(net(x), members.mean(0))
        torch.testing.assert_close(from_serialized(net.serialize()).eval()(x), net(x))
        fast = from_serialized(net.serialize()).for_inference()
        fast.infer_chunk = 64  # several chunks
        torch.testing.assert_close(fast.infer(x), net(x), rtol=1e-4, atol=1e-4)
    with pytest.raises(ParameterError, match="member must be one of"):
        build_network("ensemble", member="cnn")


def test_band_pool_is_max_pool():
    torch = pytest.importorskip("torch")
    from mirlearn.models.frame_nets import _BandPool

    x = torch.randn(2, 4, 80, 30, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(_BandPool(3)(x), torch.nn.MaxPool2d((3, 1))(x), rtol=0, atol=0)


def test_drum_windows_give_the_whole_file_events():
    """The shipped drum CRNN's windowed GRU (``infer``) against one pass over a whole real
    drum stem (about 37 s, several windows): probabilities within 0.05, and the same drum
    hits after peak picking (within 20 ms)."""
    torch = pytest.importorskip("torch")
    from mirlearn.audio import load
    from mirlearn.audio.io import resample
    from mirlearn.features.frames import frame_features
    from mirlearn.inference.detect import resolve_detector

    from .conftest import DATA, require_data

    path = DATA / "mdb-drums-dev" / "audio" / "MusicDelta_80sRock_Drum.wav"
    require_data(path)
    det = resolve_detector("drums")
    y, sr = load(path, sr=None)[:2]
    x = torch.from_numpy(det.model_input(frame_features(resample(y, orig_sr=sr, target_sr=det.sr), det.features)))[None]
    net = det.net()
    assert x.shape[-1] - 2 * net.context > 2 * (net.infer_window + 2 * net.infer_overlap)
    with torch.no_grad():
        whole, windows = (torch.sigmoid(o)[0].numpy().astype(np.float64) for o in (net(x), net.infer(x)))
    assert whole.shape == windows.shape
    assert float(np.abs(whole - windows).max()) < 0.05
    a, b = det.decode(whole), det.decode(windows)
    assert sum(len(v) for v in a.values()) > 50
    for c in a:
        assert len(a[c]) == len(b[c]) == len(mir_eval.util.match_events(a[c], b[c], 0.02)), c


# ----------------------------------------------------------------------------- baselines, pyin


def _clicks(times, sr=44100, seconds=3.0):
    rng = np.random.default_rng(0)
    y = 1e-3 * rng.standard_normal(int(seconds * sr))
    for t in times:
        i = int(t * sr)
        n = int(0.05 * sr)
        y[i:i + n] += 0.5 * rng.standard_normal(n) * np.exp(-np.arange(n) / (0.01 * sr))
    return y.astype(np.float32)


@pytest.mark.parametrize("method", ["spectral_flux", "superflux"])
def test_onset_detection_functions_find_clicks(method):
    from mirlearn.detection.baselines import BASELINES

    times = np.array([0.3, 0.8, 1.25, 1.9, 2.5])
    fn, pp, _ = BASELINES[method]
    act = fn(_clicks(times), sr=44100, fps=100)
    assert act.shape == (301,)
    ev = peak_pick(act, fps=100, **pp)
    assert evaluate_events(times, ev)["f_measure"] == 1.0


def test_pyin_matches_librosa():
    librosa = pytest.importorskip("librosa")
    from mirlearn.detection.pitch import pyin

    sr = 22050
    t = np.arange(int(1.5 * sr)) / sr
    y = 0.5 * np.sin(2 * np.pi * np.cumsum(220 * 2 ** (t / 1.5)) / sr)
    y[int(1.1 * sr):] = 0
    y = y + 1e-3 * np.random.default_rng(0).standard_normal(len(y))
    f0, v, vp = pyin(y, sr=sr, fmin=65, fmax=2093, frame_length=2048, hop_length=256)
    lf, lv, lvp = librosa.pyin(y, sr=sr, fmin=65, fmax=2093, frame_length=2048, hop_length=256)
    np.testing.assert_array_equal(v, lv)
    np.testing.assert_allclose(f0[v], lf[lv], rtol=1e-9)
    np.testing.assert_allclose(vp, lvp, atol=1e-9)
    assert v[:20].all() and not v[-10:].any()


def test_pyin_matches_librosa_on_real_piano():
    """Many YIN troughs per frame, chords, silence: the same voicing decisions and f0 as
    librosa on 4 s of madmom's polyphonic piano clip."""
    librosa = pytest.importorskip("librosa")
    from mirlearn.audio import load
    from mirlearn.detection.pitch import pyin

    from .conftest import DATA, require_data

    path = DATA / "madmom-clips" / "stereo_sample.flac"
    require_data(path)
    y = load(path, sr=22050, duration=4.0)[0].astype(np.float64)
    f0, v, vp = pyin(y, sr=22050, fmin=65, fmax=2093, frame_length=2048, hop_length=256)
    lf, lv, lvp = librosa.pyin(y, sr=22050, fmin=65, fmax=2093, frame_length=2048, hop_length=256)
    assert 0.2 < v.mean() < 1
    np.testing.assert_array_equal(v, lv)
    np.testing.assert_allclose(f0[v], lf[lv], rtol=1e-9)
    np.testing.assert_allclose(vp, lvp, atol=1e-9)


def test_viterbi_f0_smooths_an_outlier():
    from mirlearn.detection.pitch import f0_to_notes, viterbi_f0

    n_bins, T = 60, 40
    P = np.full((n_bins, T), 1e-3)
    P[30] = 1.0
    P[50, 20] = 5.0  # one frame jumps far away
    P /= P.sum(0)
    bins, voiced = viterbi_f0(P, np.full(T, 0.9), max_jump=3)
    assert (bins == 30).all() and voiced.all()
    iv, p = f0_to_notes(np.arange(10) / 100, [0, 0, 440, 440, 441, 440, 0, 0, 262, 0], min_duration=0.03)
    np.testing.assert_allclose(p, [69])
    np.testing.assert_allclose(iv, [[0.02, 0.06]])


def test_harmonic_stack_shifts_by_each_partial():
    torch = pytest.importorskip("torch")
    from mirlearn.models.frame_nets import _HarmonicStack

    h = torch.arange(2 * 10 * 3, dtype=torch.float32).reshape(1, 2, 10, 3)
    out = _HarmonicStack([0, 3, 12])(h)
    assert out.shape == (1, 6, 10, 3)
    torch.testing.assert_close(out[:, :2], h)
    torch.testing.assert_close(out[:, 2:4, :7], h[:, :, 3:])  # bin f sees bin f + 3
    assert out[:, 2:4, 7:].abs().sum() == 0 and out[:, 4:].abs().sum() == 0  # beyond the top: zeros
