"""Lab 00: a tiny Vision Transformer in NumPy, forward and backward by hand.

Work through the tasks in order; each has its own checks:

    harness check lab-00 --task patchify     # then layernorm, attention, block, train

Rules of the game
- NumPy only. No torch, no autograd: every backward is yours.
- Every function must work in float32 (training) and float64 (the checks use float64 and
  compare your gradients with finite differences of your own forward).
- A `cache` is anything your forward wants to hand to its backward (a tuple of arrays is
  fine); the checks pass it back unchanged.
- Weights are (fan_in, fan_out): a linear layer is `x @ W + b`.

Helpers you may use (they are not tasks): `AdamW` (decoupled weight decay), the icon data
set, a softmax cross-entropy with its gradient, and GELU (tanh approximation).
"""

from __future__ import annotations

import numpy as np

from labs.x2_multimodal.lab00.data import HEADS, icon_dataset  # noqa: F401
from labs.x2_multimodal.lab00.given import (  # noqa: F401
    gelu_backward,
    gelu_forward,
    softmax_cross_entropy,
)
from labs.x2_multimodal.lab00.optim import AdamW  # noqa: F401

# ----------------------------------------------------------------------- task: patchify


def patchify(images: np.ndarray, patch: int) -> np.ndarray:
    """Cut images into non-overlapping `patch` x `patch` squares and flatten each one.

    Args:
        images: (H, W, C) for one image or (B, H, W, C) for a batch; H and W divisible by patch.
        patch: P, the side of a square patch.

    Returns:
        (N, P*P*C) or (B, N, P*P*C) with N = (H/P) * (W/P). Patches are in raster order
        (left to right, then top to bottom); inside a patch the numbers are ordered by
        row, then column, then channel. A (224, 224, 3) image with P=16 gives (196, 768).

    Use one reshape, one `np.einsum` that only permutes axes, and one more reshape:
    no Python loops.
    """
    # TODO(lab-00, task patchify): reshape to (B, H/P, P, W/P, P, C), permute with einsum, flatten.
    raise NotImplementedError


# ----------------------------------------------------------------------- task: layernorm


def layernorm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5):
    """LayerNorm over the last axis.

    Args:
        x: (..., D). gamma, beta: (D,).
        eps: added to the (biased) variance before the square root.

    Returns:
        (y, cache) with y (..., D) = (x - mean) / sqrt(var + eps) * gamma + beta.
    """
    # TODO(lab-00, task layernorm): the forward; keep what the backward needs in `cache`.
    raise NotImplementedError


def layernorm_backward(dy: np.ndarray, cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of LayerNorm.

    Args:
        dy: (..., D), d loss / d y. cache: what `layernorm` returned.

    Returns:
        (dx (..., D), dgamma (D,), dbeta (D,)); dgamma and dbeta sum over every leading axis.
    """
    # TODO(lab-00, task layernorm): derive dx through the mean and the variance.
    raise NotImplementedError


# ----------------------------------------------------------------------- task: attention


def attention(x: np.ndarray, params: dict, n_heads: int, key_mask: np.ndarray | None = None):
    """Bidirectional multi-head self-attention.

    Args:
        x: (B, N, D) tokens.
        params: "wqkv" (D, 3D) and "bqkv" (3D,): one projection whose output columns are
            [Q | K | V], each D wide and split into `n_heads` heads of D / n_heads columns
            (head h owns columns h*dh:(h+1)*dh of Q, of K and of V);
            "wo" (D, D) and "bo" (D,): the output projection after merging heads.
        n_heads: H, with D divisible by H.
        key_mask: None, or (B, N) bool with True where a token may be attended *to*.
            A masked key gets zero attention weight from every query.

    Returns:
        (y (B, N, D), cache), y = concat_h(softmax(Q_h K_h^T / sqrt(dh)) V_h) @ wo + bo.

    Keep heads as an array axis (B, H, N, dh): no Python loop over heads or tokens.
    """
    # TODO(lab-00, task attention): project, split heads, scaled scores, mask, softmax, mix, merge.
    raise NotImplementedError


def attention_backward(dy: np.ndarray, cache) -> tuple[np.ndarray, dict]:
    """Gradients of `attention`.

    Returns:
        (dx (B, N, D), {"wqkv", "bqkv", "wo", "bo"}) with each gradient shaped like its parameter.
    """
    # TODO(lab-00, task attention): reverse each step; softmax's backward is p * (dp - sum(dp * p)).
    raise NotImplementedError


def attention_stages(
    x: np.ndarray, params: dict, n_heads: int, key_mask: np.ndarray | None = None
) -> dict:
    """Optional (no check grades it): your attention's intermediate arrays, by name.

    Return {"qkv": (B, N, 3D) x @ wqkv + bqkv, "scores": (B, H, N, N) Q_h K_h^T,
    "scaled": scores / sqrt(dh), "masked": scaled with masked keys at -inf (scaled itself
    when key_mask is None), "weights": (B, H, N, N) the softmax, "weighted": (B, H, N, dh)
    weights @ V_h, "merged": (B, N, D) the heads side by side, "output": (B, N, D) merged @ wo
    + bo}. If you write it, a failing attention check shows the relative error of each stage
    against the reference and names the first stage that departs. The easiest way: have
    `attention` build its result (and cache) from attention_stages(...).
    """
    raise NotImplementedError


# ----------------------------------------------------------------------- task: block


def block(x: np.ndarray, params: dict, n_heads: int, key_mask: np.ndarray | None = None):
    """A pre-LN transformer block:

        h = x + attention(layernorm(x; ln1_g, ln1_b))
        y = h + GELU(layernorm(h; ln2_g, ln2_b) @ mlp_w1 + mlp_b1) @ mlp_w2 + mlp_b2

    Args:
        x: (B, N, D).
        params: "ln1_g", "ln1_b", "ln2_g", "ln2_b" (D,); "attn_wqkv" (D, 3D), "attn_bqkv" (3D,),
            "attn_wo" (D, D), "attn_bo" (D,) as in `attention`; "mlp_w1" (D, F), "mlp_b1" (F,),
            "mlp_w2" (F, D), "mlp_b2" (D,). GELU is the tanh approximation.
        n_heads, key_mask: as in `attention`.

    Returns:
        (y (B, N, D), cache).
    """
    # TODO(lab-00, task block): compose your layernorm and attention with the MLP and two residuals.
    raise NotImplementedError


def block_backward(dy: np.ndarray, cache) -> tuple[np.ndarray, dict]:
    """Gradients of `block`.

    Returns:
        (dx (B, N, D), grads) with exactly the keys of the block's params.
        A residual passes its incoming gradient through unchanged *and* into its branch.
    """
    # TODO(lab-00, task block): backward through the MLP half, then the attention half.
    raise NotImplementedError


# ----------------------------------------------------------------------- task: train


def train(config: dict, seed: int, time_budget_s: float) -> dict:
    """Train a ViT classifier on grammar icons and return what `predict` needs.

    Args:
        config: {"target": "verb"} (one head over the 20 verbs) or {"target": "form"} (three
            heads: verb 20, tense 5, person 3). It may also hold "stop_at_accuracy": stop once
            your own validation accuracy reaches it, and "max_steps": stop after that many
            optimizer steps (`harness run --steps` and `harness reproduce` use it). Ignore
            keys you do not use.
        seed: seeds your initialisation and your data: use `icon_dataset(n, seed, "train")`
            for training and `icon_dataset(n, seed, "heldout")` to watch progress. The
            checks score you on "heldout" icons drawn with a seed of their own.
        time_budget_s: return within this many seconds of wall clock (data generation included).

    Returns:
        Anything `predict` accepts; a dict of NumPy arrays (and small dicts of numbers) crosses
        the harness's process boundary best.

    The model (Dosovitskiy et al. 2021): patchify the (32, 32) icons (add a channel axis)
    into 8x8 patches, centre the pixels ((x - 0.2) / 0.33 helps: icons are mostly dark), embed
    each patch with a linear layer, add learned position embeddings, run 4 of *your* blocks,
    mean-pool the tokens (or read a learned [CLS] token), LayerNorm, one linear head per
    label, softmax cross-entropy. The backward is yours too; update with `AdamW`. Width 64,
    4 heads, MLP width 128, batches of 64 and a learning rate of 2e-3 with a short warmup
    pass 80% verb accuracy after about 200 steps.
    """
    # TODO(lab-00, task train): build params, loop over minibatches until the budget ends.
    raise NotImplementedError


def predict(params: dict, images: np.ndarray) -> dict:
    """Classify icons.

    Args:
        params: what `train` returned. images: (B, 32, 32) float in [0, 1].

    Returns:
        {"verb": (B,) int class indices}, plus "tense" and "person" for target "form".
    """
    # TODO(lab-00, task train): forward pass in batches, argmax of each head's logits.
    raise NotImplementedError
