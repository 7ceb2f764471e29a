"""The CLIP objective: finite differences in float64 and torch autograd as an oracle."""

from __future__ import annotations

import math

import numpy as np
import pytest
from gradcheck import numeric_grad

from labs.x2_multimodal.lab01 import contrastive as c


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300))


def full_loss(img, txt, log_scale):
    logits, cache = c.clip_logits(img, txt, log_scale)
    loss, d_logits = c.info_nce(logits)
    return loss, c.clip_logits_backward(d_logits, cache)


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    return rng.normal(size=(6, 5)), rng.normal(size=(6, 5))


def test_info_nce_of_uniform_logits_is_log_b():
    loss, grad = c.info_nce(np.zeros((8, 8)))
    assert loss == pytest.approx(math.log(8))
    # Uniform logits: each row and column pushes the diagonal up by the same amount.
    assert np.allclose(np.diag(grad), 2 * (1 / 8 - 1) / 16)


def test_info_nce_rejects_non_square_logits():
    with pytest.raises(ValueError, match=r"\(4, 3\)"):
        c.info_nce(np.zeros((4, 3)))


def test_info_nce_gradient_matches_finite_differences():
    logits = np.random.default_rng(1).normal(size=(7, 7)) * 3
    _, analytic = c.info_nce(logits)
    numeric = numeric_grad(lambda: c.info_nce(logits)[0], logits)
    assert rel_err(analytic, numeric) < 1e-5


def test_info_nce_is_symmetric_under_transpose():
    logits = np.random.default_rng(2).normal(size=(5, 5))
    loss, grad = c.info_nce(logits)
    loss_t, grad_t = c.info_nce(logits.T.copy())
    assert loss == pytest.approx(loss_t)
    assert np.allclose(grad, grad_t.T)


@pytest.mark.parametrize(
    "log_scale", [c.INIT_LOG_SCALE, 0.3, c.MAX_LOG_SCALE - 0.5], ids=["initial", "low", "high"]
)
def test_full_objective_gradients_match_finite_differences(batch, log_scale):
    img, txt = batch
    _, (d_img, d_txt, d_log_scale) = full_loss(img, txt, log_scale)
    assert rel_err(d_img, numeric_grad(lambda: full_loss(img, txt, log_scale)[0], img)) < 1e-5
    assert rel_err(d_txt, numeric_grad(lambda: full_loss(img, txt, log_scale)[0], txt)) < 1e-5
    t = np.array([log_scale])
    numeric_t = numeric_grad(lambda: full_loss(img, txt, t[0])[0], t)
    assert rel_err(d_log_scale, numeric_t[0]) < 1e-5


def test_logit_scale_is_clamped_at_100():
    assert c.logit_scale(c.INIT_LOG_SCALE) == pytest.approx(1 / 0.07)
    assert c.logit_scale(10.0) == pytest.approx(100.0)
    assert c.logit_scale_grad(10.0) == 0.0
    # At the clamp the derivative is taken from below, so the scale can still come down.
    assert c.logit_scale_grad(c.MAX_LOG_SCALE) == pytest.approx(100.0)


def test_normalisation_is_scale_invariant(batch):
    img, txt = batch
    a, _ = full_loss(img, txt, 1.0)
    b, _ = full_loss(img * 7.5, txt * 0.01, 1.0)
    assert a == pytest.approx(b)


@pytest.mark.parametrize(
    "log_scale",
    [c.INIT_LOG_SCALE, c.MAX_LOG_SCALE, 6.0],
    ids=["initial", "at-clamp", "above-clamp"],
)
def test_matches_torch_autograd(log_scale):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F  # noqa: N812

    rng = np.random.default_rng(3)
    img, txt = rng.normal(size=(9, 4)), rng.normal(size=(9, 4))
    loss, (d_img, d_txt, d_log_scale) = full_loss(img, txt, log_scale)

    ti = torch.tensor(img, requires_grad=True)
    tt = torch.tensor(txt, requires_grad=True)
    ts = torch.tensor(log_scale, dtype=torch.float64, requires_grad=True)
    logits = ts.clamp(max=math.log(100)).exp() * F.normalize(ti, dim=-1) @ F.normalize(tt, dim=-1).T
    labels = torch.arange(9)
    tloss = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)) / 2
    tloss.backward()

    assert loss == pytest.approx(tloss.item(), rel=1e-12)
    assert np.allclose(d_img, ti.grad.numpy(), rtol=1e-9, atol=1e-12)
    assert np.allclose(d_txt, tt.grad.numpy(), rtol=1e-9, atol=1e-12)
    assert d_log_scale == pytest.approx(ts.grad.item(), rel=1e-9, abs=1e-12)
