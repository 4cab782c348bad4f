"""Frame-level splits: groups whole, validation carved from training, extra training data
never scored."""

from __future__ import annotations

import pytest

from mirlearn.data.frames import PairedItem
from mirlearn.training.frames import resolve_frame_config, split_items


def _items(n_songs=8):
    # each song: a stem and a mixture, one group
    out = []
    for s in range(n_songs):
        for kind in ("stem", "mix"):
            out.append(PairedItem(f"{kind}{s}.wav", f"{s}.txt", None, f"song{s}", s % 4))
    return out


@pytest.mark.parametrize("folds", [None, 3])
def test_groups_never_straddle_parts(folds):
    items = _items()
    if folds:  # random folds instead of the manifest's
        items = [PairedItem(it.path, it.annotation, None, it.group, None) for it in items]
    cfg = resolve_frame_config("drums", {"folds": folds, "valid_size": 0.2})
    parts = split_items(items, cfg=cfg)
    assert len(parts) == (folds or 4)
    tested = []
    for tr, va, te in parts:
        g = [{items[i].group for i in p} for p in (tr, va, te)]
        assert not (g[0] & g[1]) and not (g[0] & g[2]) and not (g[1] & g[2])
        assert va and te
        tested += te
    assert sorted(tested) == list(range(len(items)))  # every item scored exactly once


def test_extra_training_items_only_train():
    items = _items() + [PairedItem(f"synth{k}.wav", "s.txt", "train", None, None) for k in range(3)]
    parts = split_items(items, cfg=resolve_frame_config("drums", {}))
    extra = set(range(16, 19))
    for tr, va, te in parts:
        assert extra <= set(tr) and not extra & set(va) and not extra & set(te)
    items[0] = PairedItem("x.wav", "x.txt", None, "song0", None)  # a real item without a fold
    with pytest.raises(ValueError, match="fold column is empty for 1 item"):
        split_items(items, cfg=resolve_frame_config("drums", {}))


def test_train_fraction_subsamples_training_groups_only_and_nests():
    items = _items(24)
    full = split_items(items, cfg=resolve_frame_config("onsets", {"valid_size": 0.2}))
    half = split_items(items, cfg=resolve_frame_config("onsets", {"valid_size": 0.2, "train_fraction": 0.5}))
    quarter = split_items(items, cfg=resolve_frame_config("onsets", {"valid_size": 0.2, "train_fraction": 0.25}))
    for (tr, va, te), (tr2, va2, te2), (tr4, _, _) in zip(full, half, quarter):
        assert va2 == va and te2 == te  # validation and test untouched
        groups = {items[i].group for i in tr}
        kept = {items[i].group for i in tr2}
        assert kept < groups and len(kept) == round(0.5 * len(groups))
        assert sorted(tr2) == sorted(i for i in tr if items[i].group in kept)  # whole groups: both files or none
        assert set(tr4) <= set(tr2)  # the smaller part is inside the larger one
    for bad in (0, 1.5, "half"):
        with pytest.raises(ValueError, match="train_fraction"):
            resolve_frame_config("onsets", {"train_fraction": bad})


def test_unknown_config_keys_are_errors():
    with pytest.raises(ValueError, match="unknown config key 'epoch'.*did you mean 'epochs'"):
        resolve_frame_config("onsets", {"epoch": 3})
    with pytest.raises(ValueError, match="unknown feature parameter"):
        resolve_frame_config("onsets", {"features": {"n_mel": 40}})
    with pytest.raises(ValueError, match="--task must be one of"):
        resolve_frame_config("chords", {})


def test_augment_keys_are_checked():
    assert resolve_frame_config("onsets", {"augment": {"band_shift": 2}})["augment"] == {"gain_db": 0.0, "band_shift": 2}
    with pytest.raises(ValueError, match="unknown augment key.*'pitch_shift'.*valid: gain_db, band_shift"):
        resolve_frame_config("onsets", {"augment": {"pitch_shift": 2}})
    with pytest.raises(ValueError, match="band_shift must be a whole number"):
        resolve_frame_config("drums", {"augment": {"band_shift": 1.5}})
    with pytest.raises(ValueError, match="gain_db must be a number"):
        resolve_frame_config("drums", {"augment": {"gain_db": -3}})
    with pytest.raises(ValueError, match="would move the pitch labels"):
        resolve_frame_config("pitch", {"augment": {"band_shift": 1}})


def test_band_shift_moves_training_chunks_by_whole_bands_only():
    import numpy as np
    import torch

    from mirlearn.training.frames import _Chunks

    class F:  # one file: band b holds the value b in every frame and channel
        X = np.broadcast_to(np.arange(12, dtype=np.float32)[None, :, None], (2, 12, 50)).copy()
        Y = np.zeros((1, 50), np.float32)

    common = dict(mean=np.zeros((2, 12), np.float32), std=np.ones((2, 12), np.float32), context=3, chunk=20,
                  n_per_file=1, task="onsets", seed=0)
    torch.manual_seed(0)
    seen = set()
    for _ in range(60):
        X, _, _ = _Chunks([F], train=True, band_shift=2, **common)[0]
        X = X.numpy()
        inside = X[..., X.any(axis=(0, 1))]  # frames of the file (zeros pad the context)
        col = inside[0, :, 0]
        s = int(round(col[5] - 5))
        seen.add(-s)
        assert -2 <= s <= 2
        assert np.array_equal(col, np.clip(np.arange(12) + s, 0, 11))  # edges repeated
        assert np.all(inside == col[None, :, None])  # the same shift for every channel and frame
    assert seen == {-2, -1, 0, 1, 2}
    # validation chunks are never shifted
    X, _, _ = _Chunks([F], train=False, band_shift=2, **common)[0]
    assert np.array_equal(X.numpy()[0, :, 3], np.arange(12))


def test_a_class_missing_from_validation_is_tuned_on_training_files():
    import numpy as np

    from mirlearn.training.frames import tune_postprocess

    cfg = resolve_frame_config("drums", {"grid": {"threshold": [0.2, 0.5, 0.9]}})
    act = np.full((3, 300), 0.05)
    act[:, 50] = act[:, 150] = 0.6  # every class fires at 0.5 s and 1.5 s
    valid_ref = (np.array([0.5, 1.5, 0.5, 1.5]), np.array(["KD", "KD", "SD", "SD"], dtype=object))  # no HH
    train_ref = (np.array([0.5, 1.5]), np.array(["HH", "HH"], dtype=object))
    messages = []
    pp = tune_postprocess("drums", [act], [valid_ref], cfg, fps=100, fallback=lambda: ([act], [train_ref]), echo=messages.append)
    assert pp["HH"]["threshold"] == 0.5  # from the training files: 0.9 would detect nothing
    assert pp["KD"]["threshold"] == 0.5 and any("no HH event in the validation files" in m for m in messages)
