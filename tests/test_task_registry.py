"""The frame tasks live in one registry (mirlearn.tasks): one object per task holds its
annotation reader, targets, network default, decoder, metrics and writer, and no module
outside the registry dispatches on a task's name (issue #27)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from .conftest import DATA, ROOT

#: Events of the shipped models on madmom's clips, written by the code before the registry
#: (commit 42ba022, the same clips through the same `detect` path): the refactor changes no output.
GOLDEN = json.loads((ROOT / "tests" / "data" / "shipped-events.json").read_text())


@pytest.mark.parametrize("key", sorted(GOLDEN))
def test_shipped_models_give_the_same_events_as_before_the_registry(key):
    import mirlearn
    from mirlearn.audio import load

    task, clip = key.split("/")
    y, sr = load(DATA / "madmom-clips" / clip)
    got = mirlearn.detect(y, sr, task=task)
    want = GOLDEN[key]
    if task == "pitch":
        times, f0 = got
        np.testing.assert_allclose(times, want["times"], atol=1e-6)
        np.testing.assert_array_equal(f0 > 0, np.asarray(want["f0"]) > 0)
        np.testing.assert_allclose(f0, want["f0"], rtol=1e-4, atol=1e-3)
        return
    got = {"onset": got} if task == "onsets" else got
    assert sorted(got) == sorted(want)
    for c in want:
        np.testing.assert_allclose(got[c], want[c], atol=1e-6, err_msg=f"{key} {c}")


def test_no_dispatch_on_task_names_outside_the_registry():
    src = ROOT / "src" / "mirlearn"
    pattern = re.compile(r"task\s*(==|!=)\s*['\"]|task\s+(not\s+)?in\s+\(['\"]")
    hits = [f"{p.relative_to(src)}:{n}: {line.strip()}" for p in src.rglob("*.py") if "tasks" not in p.relative_to(src).parts[:1]
            for n, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert not hits, "\n".join(hits)


def test_every_frame_task_is_registered_with_each_part():
    from mirlearn.tasks import FRAME_TASKS, FrameTask, get_task

    assert list(FRAME_TASKS) == ["onsets", "drums", "pitch", "beats"]
    for name in FRAME_TASKS:
        t = get_task(name)
        assert t.name == name and t.classes and t.model and t.features["kind"]
        assert t.annotation_suffixes and t.output_suffix and t.jams_namespace and t.metrics
        for part in ("read_reference", "targets", "decode", "tune_postprocess", "score", "write", "plot"):
            assert getattr(type(t), part) is not getattr(FrameTask, part), f"{name} does not define {part}"
    with pytest.raises(Exception, match="one of onsets, drums, pitch, beats"):
        get_task("beets")


def test_views_name_a_registered_task_and_write_their_own_outputs(tmp_path):
    from mirlearn.tasks import TASK_VIEWS, TaskView, detect_names, get_output, register_view

    assert detect_names() == ["onsets", "drums", "pitch", "beats", "downbeats", "tempo"]
    assert {v.model_task for v in TASK_VIEWS.values()} == {"beats"}
    assert get_output("tempo").output_path(tmp_path, "a", "txt").name == "a.tempo.csv"
    assert get_output("downbeats").output_path(tmp_path, "a", "txt").name == "a.downbeats"
    with pytest.raises(Exception, match="--format jams"):
        get_output("tempo").output_path(tmp_path, "a", "jams")

    class Orphan(TaskView):
        name, task = "bars", "meters"

    with pytest.raises(ValueError, match="not registered"):
        register_view(Orphan)


def test_a_new_task_needs_only_its_registry_entry(tmp_path):
    """A task registered at run time is found by the CLI's data reader, its targets and its
    writer without a change anywhere else (the promise of docs/frames.md)."""
    from mirlearn.data.frames import load_paired, read_reference, targets_for
    from mirlearn.tasks import FRAME_TASKS, get_output, register
    from mirlearn.tasks.onsets import Onsets

    class Claps(Onsets):
        name = "claps"
        annotation_suffixes = (".claps",)
        output_suffix = ".claps"

    register(Claps)
    try:
        (tmp_path / "a.wav").write_bytes(b"")
        (tmp_path / "a.claps").write_text("0.5\n1.5\n")
        items = load_paired(tmp_path, task="claps")
        assert [it.annotation for it in items] == [str(tmp_path / "a.claps")]
        ref = read_reference("claps", items[0].annotation)
        cfg = {"features": {"fps": 10}, "widen": 0, "widen_weight": 0.5}
        assert np.flatnonzero(targets_for("claps", ref, cfg=cfg, n_frames=20)[0]).tolist() == [5, 15]
        task = get_output("claps")
        out = task.output_path(tmp_path, "a", "txt")
        assert out.name == "a.claps" and task.write({"onset": ref}, out, "txt", 2.0) == 2
    finally:
        del FRAME_TASKS["claps"]
