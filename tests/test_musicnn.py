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
