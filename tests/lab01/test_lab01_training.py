"""Sampler, schedule, training loop, the entry module's contract, and the data mapping."""

from __future__ import annotations

import inspect
import math
import subprocess
import sys

import numpy as np
import pytest

from harness.paths import REPO_ROOT
from labs.x2_multimodal import grammar
from labs.x2_multimodal.lab00 import vit
from labs.x2_multimodal.lab00.optim import AdamW
from labs.x2_multimodal.lab01 import clip_lab, contrastive
from labs.x2_multimodal.lab01.data import distinct_texts, form_to_text, texts_of_verb, verb_prompts
from labs.x2_multimodal.lab01.model import ClipConfig, ClipModel
from labs.x2_multimodal.lab01.starter import clip_lab as starter
from labs.x2_multimodal.lab01.train import DistinctTextSampler, cosine_lr, fit


def test_coinciding_forms_share_one_text_id():
    texts = distinct_texts()
    assert len(texts) == 298
    ids = form_to_text()
    for text, forms in grammar.coinciding_texts().items():
        assert {int(ids[f.index]) for f in forms} == {texts.index(text)}
    assert [texts[i] for i in ids[:3]] == grammar.texts()[:3]


def test_verb_prompts_and_texts_are_in_the_universe():
    texts = set(distinct_texts())
    assert set(verb_prompts()) <= texts
    assert len(texts_of_verb(grammar.VERBS.index("read"))) == 13  # "I read", "you read" twice
    assert len(texts_of_verb(0)) == 15


def test_sampler_never_repeats_a_text_in_a_batch():
    text_of_icon = form_to_text()[np.arange(3000) % 300]
    sampler = DistinctTextSampler(text_of_icon, batch_size=298, seed=0)
    for _ in range(5):
        batch = sampler()
        assert len(set(text_of_icon[batch].tolist())) == 298


def test_sampler_rejects_a_batch_larger_than_the_texts():
    with pytest.raises(ValueError, match="batch_size=299 exceeds the 298 distinct texts"):
        DistinctTextSampler(form_to_text(), batch_size=299, seed=0)


def test_cosine_lr_warms_up_then_decays_to_the_floor():
    assert cosine_lr(1.0, 0, 10, 0.0, 0.1) == pytest.approx(0.1)
    assert cosine_lr(1.0, 9, 10, 0.0, 0.1) == pytest.approx(1.0)
    assert cosine_lr(1.0, 50, 10, 0.5, 0.1) == pytest.approx(0.55)
    assert cosine_lr(1.0, 50, 10, 2.0, 0.1) == pytest.approx(0.1)


def test_fit_stops_at_max_steps_and_reports_progress():
    seen, fractions = [], []

    def step(batch, fraction):
        fractions.append(fraction)
        return float(batch[0]), 2.0

    history = fit(
        step,
        lambda: np.array([1.0]),
        time_budget_s=math.inf,
        max_steps=7,
        progress=seen.append,
        report_every=3,
    )
    assert history.steps == 7 and history.stopped_by == "max_steps"
    assert [p.step for p in seen] == [3, 6, 7] and seen[-1].done
    assert fractions == pytest.approx([k / 7 for k in range(7)])


def test_fit_stops_at_the_time_budget():
    history = fit(lambda b, f: (0.0, 0.0), lambda: np.zeros(1), time_budget_s=0.05)
    assert history.stopped_by == "time_budget" and history.steps > 0
    assert 0.05 <= history.elapsed_s < 1.0


def test_train_step_clamps_the_logit_scale_at_100():
    cfg = ClipConfig(
        embed_dim=8,
        image=vit.ViTConfig(image_size=8, patch=4, dim=8, depth=1, n_heads=2),
        text_dim=8,
        text_heads=2,
    )
    texts = ["she eats", "I eat", "you eat"]
    vocab = clip_lab.build_vocab(texts)
    model = ClipModel(cfg, vocab, max_len=3)
    opt = AdamW(model.params, lr=1e-3)
    ids, mask = clip_lab.tokenize(texts, vocab)
    images = np.random.default_rng(0).random((3, 8, 8)).astype(np.float32)
    model.params["log_scale"][:] = 7.0  # as if an update had overshot the clamp
    loss = clip_lab.train_step(model, opt, images, ids, mask, lr=1e-3)
    assert math.isfinite(loss)
    assert model.log_scale == pytest.approx(contrastive.MAX_LOG_SCALE, rel=1e-6)


def test_starter_has_the_reference_functions_and_signatures():
    public = [
        n
        for n, f in inspect.getmembers(clip_lab, inspect.isfunction)
        if f.__module__ == clip_lab.__name__ and not n.startswith("_")
    ]
    assert public
    for name in public:
        assert hasattr(starter, name), f"starter lacks {name}"
        assert inspect.signature(getattr(starter, name)) == inspect.signature(
            getattr(clip_lab, name)
        ), name


@pytest.mark.parametrize("name, args", [
    ("build_vocab", (["she eats"],)), ("tokenize", (["she eats"], ["<pad>", "<cls>"])),
    ("logit_scale", (1.0,)), ("scaled_cosine_logits", (np.ones((2, 2)), np.ones((2, 2)), 1.0)),
    ("scaled_cosine_logits_backward", (np.ones((2, 2)), np.ones((2, 2)), 1.0, np.ones((2, 2)))),
    ("info_nce", (np.zeros((2, 2)),)),
    ("retrieval_metrics", (np.ones((2, 2)), np.ones((2, 2)), [0, 1])),
    ("train_step", (None, None, None, None, None, 1.0)),
])  # fmt: skip
def test_starter_task_functions_are_stubs(name, args):
    with pytest.raises(NotImplementedError):
        getattr(starter, name)(*args)


def test_lab_code_is_numpy_only():
    code = (
        "import sys; import labs.x2_multimodal.lab01.clip_lab, labs.x2_multimodal.lab01.experiment;"
        "bad = [m for m in ('torch', 'textual') if m in sys.modules];"
        "print(bad); sys.exit(bool(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO_ROOT
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_blas_threads_sets_and_restores_the_thread_count():
    from labs.x2_multimodal.lab00.blas_threads import blas_threads, bundled_openblas

    found = bundled_openblas()
    # NumPy's PyPI wheels (what `make test` installs) bundle OpenBLAS; a build against another
    # BLAS has no setter to call, and blas_threads is documented as a no-op there.
    assert found is not None, "NumPy's bundled OpenBLAS was not found; training would be slow"
    get, _ = found
    before = get()
    with blas_threads(1):
        assert get() == 1
    assert get() == before


def test_fit_stops_once_the_target_is_reached_and_says_so():
    from labs.x2_multimodal.lab01.train import fit

    asked = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) == 2

    history = fit(lambda batch, fraction: (1.0, 0.0), lambda: None, 60.0, stop=stop, check_every=5)
    assert history.stopped_by == "target" and history.steps == 10 and len(asked) == 2


def test_the_training_pool_is_drawn_once_per_process_and_read_only():
    """The checks train twice from one seed in a worker: the second train reuses the pool, and
    no training run can write into the pool the next one reads."""
    from labs.x2_multimodal.lab01.data import training_icons

    pool = training_icons(300, seed=3)
    assert training_icons(300, seed=3) is pool and training_icons(n=300, seed=3) is pool
    assert not pool.images.flags.writeable and not pool.text_ids.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        pool.images[0, 0, 0] = 1.0
    assert training_icons(300, seed=4) is not pool
