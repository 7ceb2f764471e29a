"""The whole NumPy ViT: gradients by finite differences and against the PyTorch twin."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from gradcheck import error_vs_largest, numeric_grad, relative_error

from labs.x2_multimodal.lab00 import vit

torch = pytest.importorskip("torch")

BENCH = Path(__file__).resolve().parents[2] / "bench"


def torch_twin():
    spec = importlib.util.spec_from_file_location("lab00_torch_vit", BENCH / "lab00_torch_vit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.TorchViT


def tiny(pool: str) -> vit.ViTConfig:
    return vit.ViTConfig(
        image_size=8, patch=4, dim=8, depth=2, n_heads=2, mlp_ratio=2, pool=pool,
        heads=(("verb", 5), ("tense", 3)),
    )  # fmt: skip


def float64_params(cfg: vit.ViTConfig, seed: int = 0) -> dict[str, np.ndarray]:
    """Init params in float64 with the zero heads and identity norms perturbed."""
    rng = np.random.default_rng(seed + 7)
    params = {k: v.astype(np.float64) for k, v in vit.init_params(cfg, seed).items()}
    for k, v in params.items():
        params[k] = v + rng.standard_normal(v.shape) * (0.3 if k.startswith("head") else 0.05)
    return params


def batch(cfg: vit.ViTConfig, B: int = 3, seed: int = 1):
    rng = np.random.default_rng(seed)
    images = rng.random((B, cfg.image_size, cfg.image_size))
    labels = {name: rng.integers(0, k, B) for name, k in cfg.heads}
    return images, labels


@pytest.mark.parametrize("pool", ["cls", "mean"])
def test_vit_gradients_by_finite_differences(pool):
    cfg = tiny(pool)
    params = float64_params(cfg)
    images, labels = batch(cfg)
    _, grads, _ = vit.loss_and_grads(cfg, params, images, labels)
    assert set(grads) == set(params)

    def loss():
        return vit.loss_and_grads(cfg, params, images, labels)[0]

    # h = 3e-5, not 1e-6: the loss is ~2.7 and sums many terms, so at 1e-6 rounding noise
    # (~1e-16 * 2.7 / h) rivals the smallest gradient entries; 3e-5 balances it against h^2
    for name in params:
        err = relative_error(grads[name], numeric_grad(loss, params[name], h=3e-5))
        assert err < 1e-5, f"d loss / d {name}: relative error {err:.2e}"


@pytest.mark.parametrize("pool", ["cls", "mean"])
def test_vit_matches_torch_twin(pool):
    cfg = tiny(pool)
    params = float64_params(cfg, seed=3)
    images, labels = batch(cfg, B=4, seed=4)
    loss, grads, logits = vit.loss_and_grads(cfg, params, images, labels)

    model = torch_twin()(cfg, params, dtype=torch.float64)
    t_loss = model.loss(
        torch.tensor(images)[..., None], {k: torch.tensor(v) for k, v in labels.items()}
    )
    t_loss.backward()
    assert abs(loss - t_loss.item()) < 1e-10
    for name, g in model.grads_as_numpy().items():
        err = error_vs_largest(grads[name], g)
        assert err < 1e-4, f"d loss / d {name} vs torch: {err:.2e} of the largest gradient"


def test_predict_and_accuracy():
    cfg = tiny("cls")
    params = float64_params(cfg)
    images, _ = batch(cfg, B=7)
    pred = vit.predict(cfg, params, images, batch_size=3)
    logits, _ = vit.forward(cfg, params, images)
    for name, _ in cfg.heads:
        np.testing.assert_array_equal(pred[name], logits[name].argmax(-1))
    labels = {k: v.copy() for k, v in pred.items()}
    assert vit.accuracy(cfg, pred, labels) == 1.0
    labels["tense"][0] = (labels["tense"][0] + 1) % 3  # one head wrong on one image
    assert vit.accuracy(cfg, pred, labels) == pytest.approx(6 / 7)


def test_config_rejects_bad_shapes():
    with pytest.raises(ValueError, match="not divisible by patch 5"):
        vit.ViTConfig(image_size=32, patch=5)
    with pytest.raises(ValueError, match="pool must be"):
        vit.ViTConfig(pool="max")
