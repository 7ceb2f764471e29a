"""Lab 00's task surface: the reference entry, the starter stubs and the experiment."""

from __future__ import annotations

import inspect
import subprocess
import sys

import numpy as np
import pytest

from labs.x2_multimodal.lab00 import experiment, tiny_vit
from labs.x2_multimodal.lab00.data import icon_dataset
from labs.x2_multimodal.lab00.starter import tiny_vit as starter

TASK_FUNCTIONS = (
    "patchify", "layernorm", "layernorm_backward", "attention", "attention_backward",
    "block", "block_backward", "train", "predict",
)  # fmt: skip
OPTIONAL_FUNCTIONS = ("attention_stages",)  # for the diagnosis only; no check grades them


def test_lab_code_never_imports_torch_or_textual():
    """torch is for the tests and the bench only; the lab runs on NumPy alone."""
    code = (
        "import sys\n"
        "from labs.x2_multimodal.lab00 import nn, optim, vit, tiny_vit, experiment\n"
        "from labs.x2_multimodal.lab00.starter import tiny_vit as s\n"
        "bad = [m for m in ('torch', 'textual') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("name", TASK_FUNCTIONS + OPTIONAL_FUNCTIONS)
def test_starter_matches_reference_signatures(name):
    ref_sig = inspect.signature(getattr(tiny_vit, name))
    stub_sig = inspect.signature(getattr(starter, name))
    ref_params = [p for p in ref_sig.parameters.values() if p.name != "progress"]
    assert [p.name for p in stub_sig.parameters.values()] == [p.name for p in ref_params]
    assert getattr(starter, name).__doc__, f"starter.{name} needs a docstring stating the contract"


def test_starter_stubs_raise_not_implemented():
    x = np.zeros((2, 4, 8))
    calls = {
        "patchify": (np.zeros((8, 8, 1)), 4), "layernorm": (x, np.ones(8), np.zeros(8)),
        "layernorm_backward": (x, None), "attention": (x, {}, 2), "attention_backward": (x, None),
        "block": (x, {}, 2), "block_backward": (x, None), "train": ({}, 0, 1.0),
        "predict": ({}, np.zeros((1, 32, 32))), "attention_stages": (x, {}, 2),
    }  # fmt: skip
    for name, args in calls.items():
        with pytest.raises(NotImplementedError):
            getattr(starter, name)(*args)


@pytest.mark.parametrize("masked", [False, True])
def test_attention_stages_end_in_attention_and_follow_the_equations(masked):
    """The reference's optional stages (diagnosis.attention_divergence compares a learner's
    with these): each stage by its own definition, the last one attention's output."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 8))
    p = {"wqkv": rng.normal(0, 0.4, (8, 24)), "bqkv": rng.normal(0, 0.1, 24),
         "wo": rng.normal(0, 0.4, (8, 8)), "bo": rng.normal(0, 0.1, 8)}  # fmt: skip
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], bool) if masked else None
    s = tiny_vit.attention_stages(x, p, 2, mask)
    assert list(s) == ["qkv", "scores", "scaled", "masked", "weights", "weighted", "merged",
                       "output"]  # fmt: skip
    np.testing.assert_allclose(s["output"], tiny_vit.attention(x, p, 2, mask)[0], atol=1e-12)
    assert s["scores"].shape == (2, 2, 5, 5) and s["weighted"].shape == (2, 2, 5, 4)
    q, k = s["qkv"][1, :, 4:8], s["qkv"][1, :, 12:16]  # item 1, head 1: columns of Q and K
    np.testing.assert_allclose(s["scores"][1, 1], q @ k.T, atol=1e-12)
    np.testing.assert_allclose(s["scaled"], s["scores"] / 2.0, atol=1e-12)
    np.testing.assert_allclose(s["weights"].sum(-1), 1.0, atol=1e-12)
    if masked:  # item 1's last two keys
        assert np.isneginf(s["masked"][1, ..., 3:]).all() and (s["weights"][1, ..., 3:] == 0).all()
    np.testing.assert_allclose(s["merged"][1, :, 4:8], s["weighted"][1, 1], atol=1e-12)


def test_icon_sets_are_drawn_once_and_handed_out_as_copies():
    """The checks train three times with one seed: the second draw is the cache's copy."""
    first, labels = icon_dataset(50, 123, "train")
    first[:] = -1.0
    labels["verb"][:] = -1
    again, labels_again = icon_dataset(50, 123, "train")
    assert again.min() >= 0.0 and labels_again["verb"].min() >= 0


def test_every_task_has_a_todo_line():
    source = inspect.getsource(starter)
    for task in ("patchify", "layernorm", "attention", "block", "train"):
        assert f"# TODO(lab-00, task {task}):" in source


def test_config_errors_name_the_key_and_the_choices():
    with pytest.raises(ValueError, match=r"unknown config key\(s\) \['depht'\]; known: "):
        tiny_vit.make_configs({"depht": 3})
    with pytest.raises(ValueError, match="'target' must be one of"):
        tiny_vit.make_configs({"target": "tense"})


def test_train_returns_within_budget_and_predict_shapes():
    """A 3-second run: not trained, but the plumbing (budget, dict out, predict dict) holds."""
    config = {"target": "form", "n_train": 200, "n_val": 100}
    params = tiny_vit.train(config, seed=0, time_budget_s=3.0)
    assert set(params) == {"config", "weights"}
    images, _ = icon_dataset(7, 5, "heldout")
    pred = tiny_vit.predict(params, images)
    assert set(pred) == {"verb", "tense", "person"}
    assert all(v.shape == (7,) for v in pred.values())


@pytest.mark.slow
def test_reference_beats_80_percent_verb_accuracy_within_60_seconds():
    params = tiny_vit.train({"target": "verb", "stop_at_accuracy": 0.9}, seed=1, time_budget_s=60.0)
    images, labels = icon_dataset(1000, 4242, "heldout")
    acc = float(np.mean(tiny_vit.predict(params, images)["verb"] == labels["verb"]))
    assert acc > 0.80, f"verb top-1 {acc:.1%} on held-out icons"


@pytest.mark.slow
def test_experiment_writes_plots_and_a_step_count_makes_it_repeatable(tmp_path):
    rows = []
    first = experiment.run(tmp_path / "a", 0, tiny_vit, rows.append, steps=120)
    for name in first["config"]["plots"]:
        assert (tmp_path / "a" / name).stat().st_size > 1000
    assert rows and rows[-1]["step"] == first["config"]["steps"] == 120
    assert 0.0 <= first["metrics"]["test_acc"] <= 1.0
    assert first["metrics"]["test_acc"] == first["metrics"]["test_acc_verb"]
    again = experiment.run(tmp_path / "b", 0, tiny_vit, lambda row: None, steps=120)
    assert again["metrics"] == first["metrics"]
    assert again["dataset_hash"] == first["dataset_hash"]
