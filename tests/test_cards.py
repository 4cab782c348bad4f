"""The shipped models' cards state the terms of their weights first: weights inherit their
training data's terms, which mirlearn's ISC licence (of its code) does not cover."""

from __future__ import annotations

from pathlib import Path

import pytest

PRETRAINED = Path(__file__).resolve().parents[1] / "src" / "mirlearn" / "pretrained"
README = Path(__file__).resolve().parents[1] / "README.md"

#: task -> what the first lines must say (the data's terms)
TERMS = {
    "onsets": "research use only",
    "drums": "CC BY-NC-SA 4.0 (non-commercial",
    "separation": "CC BY-NC-SA 4.0 (non-commercial",
    "instrument": "GPL-2",
    "pitch": "MIT",
    "beats": "CC BY-NC-SA 4.0 (non-commercial",
}


@pytest.mark.parametrize("task", sorted(TERMS))
def test_card_states_the_terms_of_the_weights_first(task):
    text = (PRETRAINED / task / "CARD.md").read_text()
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    assert paragraphs[0].startswith("# Shipped")
    assert paragraphs[1].startswith("**Terms of the weights: ") and TERMS[task] in paragraphs[1], paragraphs[1]
    assert "Licence of the weights: ISC" not in text


def test_every_shipped_model_has_a_card_with_terms():
    assert sorted(p.parent.name for p in PRETRAINED.glob("*/model.pt")) == sorted(TERMS)


def test_readme_states_the_weights_terms_before_the_set_up():
    head = README.read_text().split("## Set-up")[0]
    for phrase in ("research use", "CC BY-NC-SA 4.0", "GPL-2", "not"):
        assert phrase in head, phrase


#: task -> the SPDX term of its weights in the package's licence expression
SPDX = {"onsets": "LicenseRef-Boeck-Onsets-Research-Only", "drums": "CC-BY-NC-SA-4.0", "separation": "CC-BY-NC-SA-4.0",
        "instrument": "GPL-2.0-only", "pitch": "MIT", "beats": "CC-BY-NC-SA-4.0"}


def test_package_metadata_does_not_present_the_weights_as_isc():
    import tomllib
    from importlib.metadata import metadata

    root = PRETRAINED.parents[2]
    declared = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    installed = metadata("mirlearn")["License-Expression"]  # what pip and PyPI show
    for expression in (declared["license"], installed):
        terms = set(expression.split(" AND "))
        assert "ISC" in terms and {SPDX[t] for t in TERMS} <= terms, expression
    assert sorted(SPDX) == sorted(TERMS)
    assert "src/mirlearn/pretrained/*/CARD.md" in declared["license-files"]  # the cards travel as licence files
    licence = (root / "LICENSE").read_text()
    assert licence.startswith("ISC License") and "does not cover the model weights" in licence


RESULTS = PRETRAINED.parents[2] / "bench" / "results"


def _mean_std(values, digits=3):
    import numpy as np

    v = np.asarray(values, dtype=float)
    return f"{v.mean():.{digits}f} ± {v.std(ddof=1):.{digits}f}"


def _headline(task):
    """The score a card must lead with: its configuration's mean ± std across folds or seeds, read from the results
    file of the committed benchmark (issue #28 item 5), not the single held-out split of the shipped weights."""
    import json

    def load(name):
        return json.loads((RESULTS / name).read_text())["results"]

    if task == "onsets":
        return load("onsets.json")["onset_cnn (bce)"]["f_measure"]
    if task == "beats":
        return _mean_std([f["f_measure"] for f in json.loads((RESULTS / "beats-tcn.json").read_text())["folds"]])
    if task == "drums":
        return load("drums-30x32.json")["real+synthetic seed 0"]["all"]["f_measure"]
    if task == "separation":
        runs = [v for k, v in load("separation-e24-wave.json").items() if k.startswith("mask_unet|all e24 wave1|")]
        return _mean_std([r["sdr"]["mean"] for r in runs], 2)
    if task == "pitch":
        return load("pitch.json")["pitch_cnn"]["timgm6mb"]["raw_pitch_accuracy"]
    rows = [r for r in load("notes-real.json") if r["model"] == "cnn" and r["test_source"] == "lmms"]
    return _mean_std(rows[0]["instrument"])


@pytest.mark.parametrize("task", sorted(TERMS))
def test_card_leads_with_scores_across_folds_or_seeds_and_discloses_selection(task):
    text = (PRETRAINED / task / "CARD.md").read_text()
    sections = text.split("\n## ")[1:]
    first = sections[0]
    assert first.startswith("Scores across folds or seeds (read these first)"), first[:80]
    assert _headline(task) in first
    assert "**Selection.**" in first
    assert any(s.startswith("Held-out") for s in sections[1:])  # the single split of the weights comes after
