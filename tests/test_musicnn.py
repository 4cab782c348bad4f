"""The musicnn port: our TensorFlow-checkpoint reader, and the ported network's checks on
real music (batch-norm statistics, tags against genres). No TensorFlow anywhere."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mirlearn.models.tf_checkpoint import CheckpointError, read_checkpoint  # noqa: E402

from .conftest import DATA  # noqa: E402

# musicnn's weights are installed by the Makefile (pip install --no-deps musicnn): no skip


def test_reader_refuses_what_it_cannot_read(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        read_checkpoint(tmp_path / "model")
    (tmp_path / "model.index").write_bytes(b"\0" * 100)
    (tmp_path / "model.data-00000-of-00001").write_bytes(b"")
    with pytest.raises(CheckpointError, match="bad magic number"):
        read_checkpoint(tmp_path / "model")


def test_reader_gives_every_variable_of_musicnn():
    from mirlearn.models.musicnn import musicnn_checkpoint

    w = read_checkpoint(musicnn_checkpoint("musicnn_msd"))
    assert w["conv2d/kernel"].shape == (7, 38, 1, 204) and w["conv2d/kernel"].dtype == np.float32
    assert w["dense_1/kernel"].shape == (200, 50)
    assert sum(v.size for k, v in w.items() if "Adam" not in k and "power" not in k) > 750_000


@pytest.fixture(scope="module")
def msd():
    from mirlearn.models.musicnn import load_musicnn

    return load_musicnn("musicnn_msd")


def _patches(name):
    from mirlearn.audio import load
    from mirlearn.models.musicnn import musicnn_input

    y, sr = load(DATA / "gtzan-mini-dev" / name.split(".")[0] / f"{name}.flac", sr=16000)
    return torch.from_numpy(musicnn_input(y, sr=sr))


def test_batch_norm_inputs_match_the_stored_statistics(msd):
    """On real music each batch norm sees what it saw in training: its live channels' means
    correlate with the stored running means, their variances are of the stored size."""
    X = torch.cat([_patches(n) for n in ("jazz.00000", "metal.00000", "hiphop.00001", "classical.00000")])
    seen = {}

    def hook(name):
        def f(mod, inp, out):
            dims = [d for d in range(inp[0].ndim) if d != 1]
            seen[name] = (inp[0].mean(dims), inp[0].var(dims), mod.running_mean, mod.running_var)
        return f

    handles = [m.register_forward_hook(hook(n)) for n, m in msd.named_modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    with torch.no_grad():
        msd(X)
    for h in handles:
        h.remove()
    assert len(seen) == 11
    for name, (mu, var, rm, rv) in seen.items():
        live = rv > 1e-8
        if live.sum() >= 10 and name != "dense_bn":  # the last layer's statistics depend on the dataset most
            assert np.corrcoef(mu[live].numpy(), rm[live].numpy())[0, 1] > 0.9, name
        ratio = float((var[live] / rv[live]).median())
        assert 0.2 < ratio < 5, (name, ratio)


@pytest.mark.parametrize("name, tag", [("jazz.00000", "jazz"), ("blues.00000", "blues"), ("metal.00000", "metal"), ("hiphop.00001", "Hip-Hop")])
def test_tags_name_the_genre(msd, name, tag):
    with torch.no_grad():
        p = torch.sigmoid(msd(_patches(name))).mean(0).numpy()
    top3 = [msd.tags[i] for i in np.argsort(-p)[:3]]
    assert tag in top3, top3


@pytest.mark.parametrize("name", ["vgg_msd", "vgg_mtt"])
def test_vgg_variants_load_and_see_their_training_statistics(name):
    """The VGG baselines: weights load, a 3 s patch gives 50 logits and the 256-d pool5, and
    the batch norms' inputs on real music match the stored statistics."""
    from mirlearn.models.musicnn import load_musicnn

    net = load_musicnn(name)
    X = torch.cat([_patches(n) for n in ("jazz.00000", "metal.00000", "classical.00000")])
    seen = {}
    handles = [m.register_forward_hook(lambda mod, inp, out, n=n: seen.__setitem__(n, (inp[0].mean((0, 2, 3)), mod.running_mean)))
               for n, m in net.named_modules() if isinstance(m, torch.nn.BatchNorm2d)]
    with torch.no_grad():
        f = net.features(X)
    for h in handles:
        h.remove()
    assert f["logits"].shape == (len(X), 50) and f["pool5"].shape == (len(X), 256)
    assert len(seen) == 6
    for layer, (mu, rm) in seen.items():
        if layer != "input_bn":
            live = rm.abs() > 1e-6  # on 3 clips: 0.82-1.00 (the 50 clips: bench/musicnn_port.py)
            assert np.corrcoef(mu[live].numpy(), rm[live].numpy())[0, 1] > 0.7, layer


def test_vgg_mtt_tags_name_the_genre():
    from mirlearn.models.musicnn import load_musicnn

    net = load_musicnn("vgg_mtt")
    for clip, tag in [("metal.00000", "metal"), ("classical.00000", "classical")]:
        with torch.no_grad():
            p = torch.sigmoid(net(_patches(clip))).mean(0).numpy()
        assert tag in [net.tags[i] for i in np.argsort(-p)[:3]], clip


def test_finetune_model_computes_musicnn_input_in_torch_and_starts_from_the_weights():
    """The fine-tuned model's own input (a frozen torch mel front-end, log10(1 + 10000 x)) and
    backbone reproduce the extractor's path on the same 3 s of audio before any training."""
    from mirlearn.audio import load
    from mirlearn.models.musicnn import MusicnnClassifier, load_musicnn, musicnn_input

    y, _ = load(DATA / "gtzan-mini-dev" / "jazz" / "jazz.00000.flac", sr=16000)
    y = y[: 256 * 186]  # 187 frames
    net, ref = MusicnnClassifier(4).eval(), load_musicnn("musicnn_msd")
    rep = torch.log10(1 + 10000 * net.mel(torch.from_numpy(y[None]))).transpose(1, 2)
    want = torch.from_numpy(musicnn_input(y, sr=16000))
    assert rep.shape == want.shape == (1, 187, 96)
    assert float((rep - want).abs().max()) < 1e-3  # musicnn rounds its mel to float16
    with torch.no_grad():
        a, b = net.backbone.features(rep)["penultimate"], ref.features(want)["penultimate"]
    assert float((a - b).abs().max()) < 1e-2 * float(b.abs().max())
    assert net(torch.from_numpy(y[None])).shape == (1, 4)
    # what the optimiser gets: the backbone at backbone_lr x lr, the head (and nothing else) at lr
    from mirlearn.training.deep import _lightning_module

    opt = _lightning_module(net, multilabel=False, lr=1e-3, weight_decay=0, epochs=1, backbone_lr=0.1).configure_optimizers()["optimizer"]
    lrs = sorted((g["lr"], sum(p.numel() for p in g["params"])) for g in opt.param_groups)
    assert [lr for lr, _ in lrs] == [1e-4, 1e-3]
    assert lrs[1][1] == sum(p.numel() for p in net.head.parameters())
    with pytest.raises(Exception, match="16000"):
        MusicnnClassifier(4, sr=22050)
