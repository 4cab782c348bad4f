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


def test_unknown_config_keys_are_errors():
    with pytest.raises(ValueError, match="unknown config key 'epoch'.*did you mean 'epochs'"):
        resolve_frame_config("onsets", {"epoch": 3})
    with pytest.raises(ValueError, match="unknown feature parameter"):
        resolve_frame_config("onsets", {"features": {"n_mel": 40}})
    with pytest.raises(ValueError, match="--task must be one of"):
        resolve_frame_config("beats", {})


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
