"""AdamW against torch.optim.AdamW, step for step."""

from __future__ import annotations

import numpy as np
import pytest

from labs.x2_multimodal.lab00.optim import AdamW

torch = pytest.importorskip("torch")


def test_adamw_matches_torch_with_decoupled_decay():
    rng = np.random.default_rng(0)
    params = {"w": rng.standard_normal((4, 3)), "b": rng.standard_normal(3)}
    tw, tb = (torch.tensor(params[k].copy(), requires_grad=True) for k in ("w", "b"))
    ours = AdamW(params, lr=0.05, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.1)
    theirs = torch.optim.AdamW(
        [{"params": [tw], "weight_decay": 0.1}, {"params": [tb], "weight_decay": 0.0}],
        lr=0.05, betas=(0.9, 0.98), eps=1e-6,
    )  # fmt: skip
    for _ in range(10):
        grads = {"w": rng.standard_normal((4, 3)), "b": rng.standard_normal(3)}
        tw.grad, tb.grad = torch.tensor(grads["w"]), torch.tensor(grads["b"])
        ours.step(grads)
        theirs.step()
        np.testing.assert_allclose(params["w"], tw.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(params["b"], tb.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_adamw_decay_only_shrinks_when_gradient_is_zero():
    params = {"w": np.full((2, 2), 2.0), "b": np.full(2, 2.0)}
    opt = AdamW(params, lr=0.1, weight_decay=0.5)
    opt.step({"w": np.zeros((2, 2)), "b": np.zeros(2)})
    np.testing.assert_allclose(params["w"], 2.0 * (1 - 0.1 * 0.5))
    np.testing.assert_allclose(params["b"], 2.0)  # biases are not decayed
