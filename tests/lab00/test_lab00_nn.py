"""Lab 00's NumPy ops: every backward against finite differences (float64) and torch autograd."""

from __future__ import annotations

import math

import numpy as np
import pytest
from gradcheck import error_vs_largest, numeric_grad, relative_error
from hypothesis import given, settings
from hypothesis import strategies as st

from labs.x2_multimodal.lab00 import nn

torch = pytest.importorskip("torch")
F = torch.nn.functional

FD_TOL = 1e-5  # finite differences, float64
TORCH_TOL = 1e-4  # torch autograd, relative to the largest gradient


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def f64(*shape, seed=0, scale=1.0) -> np.ndarray:
    return rng(seed).standard_normal(shape) * scale


def check_fd(loss, analytic: dict[str, np.ndarray], wrt: dict[str, np.ndarray]) -> None:
    for name, array in wrt.items():
        err = relative_error(analytic[name], numeric_grad(loss, array))
        assert err < FD_TOL, f"d/d{name}: relative error {err:.2e} >= {FD_TOL:.0e}"


def check_torch(analytic: dict[str, np.ndarray], tensors: dict[str, "torch.Tensor"]) -> None:
    for name, t in tensors.items():
        err = error_vs_largest(analytic[name], t.grad.numpy())
        assert err < TORCH_TOL, f"d/d{name} vs torch: {err:.2e} of the largest gradient"


def as_torch(arrays: dict[str, np.ndarray]) -> dict[str, "torch.Tensor"]:
    return {k: torch.tensor(v, requires_grad=True) for k, v in arrays.items()}


# --------------------------------------------------------------------------- patchify


def patchify_loop(image: np.ndarray, p: int) -> np.ndarray:
    """The definition, written as plainly as possible."""
    H, W, C = image.shape
    rows = []
    for i in range(H // p):
        for j in range(W // p):
            patch = []
            for r in range(p):
                for c in range(p):
                    for ch in range(C):
                        patch.append(image[i * p + r, j * p + c, ch])
            rows.append(patch)
    return np.array(rows)


def test_patchify_vit_base_shape_matches_plain_loop():
    image = f64(224, 224, 3)
    got = nn.patchify(image, 16)
    assert got.shape == (196, 768)
    np.testing.assert_array_equal(got, patchify_loop(image, 16))


def test_patchify_batched_equals_per_image():
    images = f64(3, 32, 32, 1, seed=1)
    got = nn.patchify(images, 4)
    assert got.shape == (3, 64, 16)
    for b in range(3):
        np.testing.assert_array_equal(got[b], patchify_loop(images[b], 4))


def test_patchify_rejects_indivisible_size():
    with pytest.raises(ValueError, match="not divisible by patch 5"):
        nn.patchify(np.zeros((32, 32, 1)), 5)


@settings(max_examples=25, deadline=None)
@given(
    b=st.integers(1, 3), gh=st.integers(1, 4), gw=st.integers(1, 4),
    p=st.integers(1, 5), c=st.integers(1, 3),
)  # fmt: skip
def test_unpatchify_inverts_patchify(b, gh, gw, p, c):
    images = f64(b, gh * p, gw * p, c, seed=b + gh + p)
    back = nn.unpatchify(nn.patchify(images, p), p, gh * p, gw * p)
    np.testing.assert_array_equal(back, images)


# --------------------------------------------------------------------------- single ops


def test_linear_backward():
    x, w, b, r = f64(2, 3, 4), f64(4, 5, seed=1), f64(5, seed=2), f64(2, 3, 5, seed=3)
    y, cache = nn.linear_forward(x, w, b)
    dx, dw, db = nn.linear_backward(r, cache)

    def loss():
        return float(np.sum(nn.linear_forward(x, w, b)[0] * r))

    check_fd(loss, {"x": dx, "w": dw, "b": db}, {"x": x, "w": w, "b": b})
    t = as_torch({"x": x, "w": w, "b": b})
    (F.linear(t["x"], t["w"].T, t["b"]) * torch.tensor(r)).sum().backward()
    np.testing.assert_allclose(y, F.linear(t["x"], t["w"].T, t["b"]).detach().numpy(), atol=1e-12)
    check_torch({"x": dx, "w": dw, "b": db}, t)


def test_layernorm_backward():
    x, g, b = f64(2, 3, 6, scale=3.0), 1 + f64(6, seed=1), f64(6, seed=2)
    r = f64(2, 3, 6, seed=3)
    y, cache = nn.layernorm_forward(x, g, b)
    dx, dg, db = nn.layernorm_backward(r, cache)

    def loss():
        return float(np.sum(nn.layernorm_forward(x, g, b)[0] * r))

    check_fd(loss, {"x": dx, "g": dg, "b": db}, {"x": x, "g": g, "b": b})
    t = as_torch({"x": x, "g": g, "b": b})
    ty = F.layer_norm(t["x"], (6,), t["g"], t["b"], eps=1e-5)
    np.testing.assert_allclose(y, ty.detach().numpy(), atol=1e-10)
    (ty * torch.tensor(r)).sum().backward()
    check_torch({"x": dx, "g": dg, "b": db}, t)


def test_gelu_is_the_tanh_approximation_and_its_backward():
    x, r = f64(4, 7, scale=2.0), f64(4, 7, seed=1)
    y, cache = nn.gelu_forward(x)
    dx = nn.gelu_backward(r, cache)
    check_fd(lambda: float(np.sum(nn.gelu_forward(x)[0] * r)), {"x": dx}, {"x": x})
    t = as_torch({"x": x})
    ty = F.gelu(t["x"], approximate="tanh")
    np.testing.assert_allclose(y, ty.detach().numpy(), atol=1e-12)
    (ty * torch.tensor(r)).sum().backward()
    check_torch({"x": dx}, t)


def test_softmax_backward():
    x, r = f64(3, 5, scale=2.0), f64(3, 5, seed=1)
    p, cache = nn.softmax_forward(x)
    dx = nn.softmax_backward(r, cache)
    check_fd(lambda: float(np.sum(nn.softmax_forward(x)[0] * r)), {"x": dx}, {"x": x})
    t = as_torch({"x": x})
    tp = F.softmax(t["x"], dim=-1)
    np.testing.assert_allclose(p, tp.detach().numpy(), atol=1e-12)
    (tp * torch.tensor(r)).sum().backward()
    check_torch({"x": dx}, t)


def test_softmax_cross_entropy():
    logits, labels = f64(6, 4), np.array([0, 3, 1, 1, 2, 0])
    loss, dlogits = nn.softmax_cross_entropy(logits, labels)
    check_fd(lambda: nn.softmax_cross_entropy(logits, labels)[0], {"z": dlogits}, {"z": logits})
    t = as_torch({"z": logits})
    tl = F.cross_entropy(t["z"], torch.tensor(labels))
    assert math.isclose(loss, tl.item(), rel_tol=1e-12)
    tl.backward()
    check_torch({"z": dlogits}, t)


# --------------------------------------------------------------------------- attention and block


def attention_inputs(B=2, N=5, D=8, seed=0) -> dict[str, np.ndarray]:
    return {
        "x": f64(B, N, D, seed=seed),
        "wqkv": f64(D, 3 * D, seed=seed + 1, scale=0.5),
        "bqkv": f64(3 * D, seed=seed + 2, scale=0.1),
        "wo": f64(D, D, seed=seed + 3, scale=0.5),
        "bo": f64(D, seed=seed + 4, scale=0.1),
    }


def torch_attention(t, n_heads, key_mask=None):
    """The same MHSA from torch primitives (scaled_dot_product_attention does the core)."""
    x = t["x"]
    B, N, D = x.shape
    q, k, v = F.linear(x, t["wqkv"].T, t["bqkv"]).reshape(B, N, 3, n_heads, -1).unbind(2)
    q, k, v = (z.transpose(1, 2) for z in (q, k, v))  # (B, H, N, dh)
    mask = None if key_mask is None else torch.tensor(key_mask)[:, None, None, :]
    heads = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    return F.linear(heads.transpose(1, 2).reshape(B, N, D), t["wo"].T, t["bo"])


@pytest.mark.parametrize("masked", [False, True], ids=["no-mask", "key-mask"])
def test_attention_backward(masked):
    a = attention_inputs()
    key_mask = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], bool) if masked else None
    r = f64(2, 5, 8, seed=9)

    def fwd():
        return nn.attention_forward(a["x"], a["wqkv"], a["bqkv"], a["wo"], a["bo"], 2, key_mask)[0]

    y, cache = nn.attention_forward(a["x"], a["wqkv"], a["bqkv"], a["wo"], a["bo"], 2, key_mask)
    dx, g = nn.attention_backward(r, cache)
    analytic = {"x": dx, **g}
    check_fd(lambda: float(np.sum(fwd() * r)), analytic, a)

    t = as_torch(a)
    ty = torch_attention(t, 2, key_mask)
    np.testing.assert_allclose(y, ty.detach().numpy(), atol=1e-10)
    (ty * torch.tensor(r)).sum().backward()
    check_torch(analytic, t)


def test_key_mask_hides_padded_tokens():
    """Changing a masked token changes no unmasked output row."""
    a = attention_inputs(B=1, N=6)
    key_mask = np.array([[1, 1, 1, 1, 0, 0]], bool)
    args = (a["wqkv"], a["bqkv"], a["wo"], a["bo"], 2, key_mask)
    y1, _ = nn.attention_forward(a["x"], *args)
    x2 = a["x"].copy()
    x2[0, 4:] += 10.0
    y2, _ = nn.attention_forward(x2, *args)
    np.testing.assert_allclose(y1[0, :4], y2[0, :4], atol=1e-12)


def test_mlp_and_residual_mlp_backward():
    D, Fh = 6, 12
    p = {
        "x": f64(2, 3, D), "ln_g": 1 + f64(D, seed=1, scale=0.1), "ln_b": f64(D, seed=2, scale=0.1),
        "w1": f64(D, Fh, seed=3, scale=0.4), "b1": f64(Fh, seed=4, scale=0.1),
        "w2": f64(Fh, D, seed=5, scale=0.4), "b2": f64(D, seed=6, scale=0.1),
    }  # fmt: skip
    r = f64(2, 3, D, seed=7)
    names = ("ln_g", "ln_b", "w1", "b1", "w2", "b2")

    def fwd():
        return nn.residual_mlp_forward(p["x"], *(p[n] for n in names))[0]

    y, cache = nn.residual_mlp_forward(p["x"], *(p[n] for n in names))
    dx, g = nn.residual_mlp_backward(r, cache)
    check_fd(lambda: float(np.sum(fwd() * r)), {"x": dx, **g}, p)


def block_params64(D=8, seed=0) -> dict[str, np.ndarray]:
    """A block with non-trivial LayerNorm gains and biases so every path carries gradient."""
    params = nn.init_block_params(rng(seed), D, mlp_ratio=2, dtype=np.float64)
    for i, name in enumerate(nn.BLOCK_PARAM_KEYS):
        noise = f64(*params[name].shape, seed=seed + 100 + i)
        params[name] = (
            params[name] * 20 + noise * 0.1
            if params[name].ndim == 2
            else params[name] + noise * 0.1
        )
    return params


def torch_block(x, t, n_heads, key_mask=None):
    D = x.shape[-1]
    z = F.layer_norm(x, (D,), t["ln1_g"], t["ln1_b"], eps=1e-5)
    attn = {
        "x": z,
        "wqkv": t["attn_wqkv"],
        "bqkv": t["attn_bqkv"],
        "wo": t["attn_wo"],
        "bo": t["attn_bo"],
    }
    h = x + torch_attention(attn, n_heads, key_mask)
    z = F.layer_norm(h, (D,), t["ln2_g"], t["ln2_b"], eps=1e-5)
    m = F.gelu(F.linear(z, t["mlp_w1"].T, t["mlp_b1"]), approximate="tanh")
    return h + F.linear(m, t["mlp_w2"].T, t["mlp_b2"])


@pytest.mark.parametrize("masked", [False, True], ids=["no-mask", "key-mask"])
def test_block_backward(masked):
    params, x, r = block_params64(), f64(2, 5, 8, seed=50), f64(2, 5, 8, seed=51)
    key_mask = np.array([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0]], bool) if masked else None
    y, cache = nn.block_forward(x, params, 2, key_mask)
    dx, grads = nn.block_backward(r, cache)
    assert set(grads) == set(params)
    analytic = {"x": dx, **grads}

    def loss():
        return float(np.sum(nn.block_forward(x, params, 2, key_mask)[0] * r))

    check_fd(loss, analytic, {"x": x, **params})

    t = as_torch({"x": x, **params})
    ty = torch_block(t["x"], t, 2, key_mask)
    np.testing.assert_allclose(y, ty.detach().numpy(), atol=1e-10)
    (ty * torch.tensor(r)).sum().backward()
    check_torch(analytic, t)


def test_block_float32_stays_float32():
    params = nn.init_block_params(rng(), 16)
    x = f64(2, 5, 16).astype(np.float32)
    y, cache = nn.block_forward(x, params, 4, np.ones((2, 5), bool))
    dx, grads = nn.block_backward(np.ones_like(y), cache)
    assert y.dtype == dx.dtype == np.float32
    assert {g.dtype for g in grads.values()} == {np.dtype(np.float32)}


@pytest.mark.parametrize("offset", [0.0, 500.0, -500.0], ids=["plain", "overflow", "underflow"])
def test_softmax_takes_the_stable_path_when_exp_would_overflow_or_underflow(offset):
    """The fast path skips the per-row max; rows near +-500 must fall back, in float32 too."""
    x = (f64(4, 6) * 3 + offset).astype(np.float32)
    x[0] -= 2 * offset  # one row on the other side, so a single global shift cannot serve all
    p, _ = nn.softmax_forward(x)
    assert p.dtype == np.float32 and np.isfinite(p).all()
    expected = F.softmax(torch.tensor(x, dtype=torch.float64), dim=-1).numpy()
    np.testing.assert_allclose(p, expected, rtol=1e-5, atol=1e-7)
