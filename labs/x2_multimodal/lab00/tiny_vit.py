"""Lab 00's task surface (reference): a tiny ViT on grammar icons, in NumPy.

The DoD checks call these functions, and only these, through the harness's worker process;
the learner's `lab-00/tiny_vit.py` has the same names and signatures. Arrays, scalars,
strings and dicts/lists/tuples of those go in and come out; a `cache` is whatever the
forward needs for its backward and may be opaque.

Tasks (one pytest marker each):
    patchify   - patchify(images, patch)
    layernorm  - layernorm(x, gamma, beta), layernorm_backward(dy, cache)
    attention  - attention(x, params, n_heads, key_mask), attention_backward(dy, cache);
                 attention_stages(...) is optional, for the diagnosis only
    block      - block(x, params, n_heads, key_mask), block_backward(dy, cache)
    train      - train(config, seed, time_budget_s), predict(params, images)
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import numpy as np

from labs.x2_multimodal.lab00 import nn, vit
from labs.x2_multimodal.lab00.blas_threads import blas_threads
from labs.x2_multimodal.lab00.data import HEADS, icon_dataset

# ----------------------------------------------------------------------- task: patchify


def patchify(images: np.ndarray, patch: int) -> np.ndarray:
    """(H, W, C) -> (N, P*P*C) or (B, H, W, C) -> (B, N, P*P*C), patches in raster order."""
    return nn.patchify(images, patch)


# ----------------------------------------------------------------------- task: layernorm


def layernorm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5):
    """LayerNorm over the last axis: returns (y like x, cache)."""
    return nn.layernorm_forward(x, gamma, beta, eps)


def layernorm_backward(dy: np.ndarray, cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Returns (dx, dgamma (D,), dbeta (D,))."""
    return nn.layernorm_backward(dy, cache)


# ----------------------------------------------------------------------- task: attention


def attention(x: np.ndarray, params: dict, n_heads: int, key_mask: np.ndarray | None = None):
    """Multi-head self-attention. x (B, N, D); params {"wqkv" (D, 3D), "bqkv" (3D,),
    "wo" (D, D), "bo" (D,)}; key_mask (B, N) bool or None. Returns (y (B, N, D), cache)."""
    return nn.attention_forward(
        x, params["wqkv"], params["bqkv"], params["wo"], params["bo"], n_heads, key_mask
    )


def attention_backward(dy: np.ndarray, cache) -> tuple[np.ndarray, dict]:
    """Returns (dx (B, N, D), {"wqkv", "bqkv", "wo", "bo"} gradients)."""
    return nn.attention_backward(dy, cache)


def attention_stages(
    x: np.ndarray, params: dict, n_heads: int, key_mask: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Optional (no check grades it): attention's intermediate arrays, by name, so a failing
    attention check can name the first stage that departs (diagnosis.attention_divergence).

    Written step by step for reading, not speed; "output" equals `attention(...)[0]`.
    """
    B, N, D = x.shape
    dh = D // n_heads
    qkv = x @ params["wqkv"] + params["bqkv"]  # (B, N, 3D)
    q, k, v = qkv.reshape(B, N, 3, n_heads, dh).transpose(2, 0, 3, 1, 4)  # 3 x (B, H, N, dh)
    scores = q @ k.transpose(0, 1, 3, 2)  # (B, H, N, N)
    scaled = scores / np.sqrt(dh).astype(scores.dtype)
    masked = scaled
    if key_mask is not None:
        masked = np.where(key_mask[:, None, None, :], scaled, -np.inf)
    shifted = masked - masked.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    weights = e / e.sum(axis=-1, keepdims=True)  # (B, H, N, N)
    weighted = weights @ v  # (B, H, N, dh)
    merged = weighted.transpose(0, 2, 1, 3).reshape(B, N, D)  # (B, N, D)
    output = merged @ params["wo"] + params["bo"]
    return {
        "qkv": qkv, "scores": scores, "scaled": scaled, "masked": masked, "weights": weights,
        "weighted": weighted, "merged": merged, "output": output,
    }  # fmt: skip


# ----------------------------------------------------------------------- task: block


def block(x: np.ndarray, params: dict, n_heads: int, key_mask: np.ndarray | None = None):
    """Pre-LN transformer block; params keyed as in `nn.BLOCK_PARAM_KEYS`. Returns (y, cache)."""
    return nn.block_forward(x, params, n_heads, key_mask)


def block_backward(dy: np.ndarray, cache) -> tuple[np.ndarray, dict]:
    """Returns (dx (B, N, D), grads keyed like the block's params)."""
    return nn.block_backward(dy, cache)


# ----------------------------------------------------------------------- task: train

# Defaults reached the bench targets (bench/RESULTS-lab00.md); any key may be overridden.
DEFAULT_CONFIG = {
    "target": "verb",  # "verb" (one head) or "form" (verb, tense and person heads)
    "dim": 64,
    "depth": 4,
    "n_heads": 4,
    "patch": 8,
    "mlp_ratio": 2,
    "pool": "mean",
    "batch_size": 64,
    "lr": 2e-3,
    "weight_decay": 0.05,
    "n_train": 10_000,
    "n_val": 1_000,
    "stop_at_accuracy": None,  # stop early once validation accuracy reaches this
    "max_steps": 100_000,  # a step count makes a run repeatable; the time budget does not
}


def make_configs(config: dict) -> tuple[vit.ViTConfig, vit.TrainConfig, dict]:
    """Check a config dict against DEFAULT_CONFIG; returns (ViTConfig, TrainConfig, merged dict)."""
    unknown = sorted(set(config) - set(DEFAULT_CONFIG))
    if unknown:
        raise ValueError(f"unknown config key(s) {unknown}; known: {sorted(DEFAULT_CONFIG)}")
    merged = {**DEFAULT_CONFIG, **config}
    if merged["target"] not in HEADS:
        raise ValueError(
            f"config 'target' must be one of {sorted(HEADS)}, got {merged['target']!r}"
        )
    model = vit.ViTConfig(
        patch=int(merged["patch"]), dim=int(merged["dim"]), depth=int(merged["depth"]),
        n_heads=int(merged["n_heads"]), mlp_ratio=int(merged["mlp_ratio"]),
        pool=str(merged["pool"]), heads=HEADS[merged["target"]],
    )  # fmt: skip
    training = vit.TrainConfig(
        batch_size=int(merged["batch_size"]), lr=float(merged["lr"]),
        weight_decay=float(merged["weight_decay"]), n_train=int(merged["n_train"]),
        n_eval=int(merged["n_val"]), max_steps=int(merged["max_steps"]),
    )  # fmt: skip
    return model, training, merged


class _StopEarly(Exception):
    pass


def train(
    config: dict,
    seed: int,
    time_budget_s: float,
    progress: Callable[[dict], None] | None = None,
) -> dict:
    """Train a ViT on freshly generated icons within `time_budget_s` seconds of wall clock
    (icon generation included). Returns {"config": merged config dict, "weights": {name: array}}.

    `progress(row)` gets {"step", "loss", "eval_acc", "elapsed_s", "lr"} after every
    evaluation on ("heldout", seed) icons; the checks score on another seed.
    """
    start = time.perf_counter()
    model_cfg, train_cfg, merged = make_configs(config)
    train_images, train_labels = icon_dataset(train_cfg.n_train, seed, "train")
    val_images, val_labels = icon_dataset(train_cfg.n_eval, seed, "heldout")
    stop_at = merged["stop_at_accuracy"]

    def on_eval(row: dict) -> None:
        row = {**row, "elapsed_s": time.perf_counter() - start}
        if progress is not None:
            progress(row)
        if stop_at is not None and row["eval_acc"] >= stop_at:
            raise _StopEarly

    budget_left = time_budget_s - (time.perf_counter() - start)
    state: dict = {}
    try:
        params, _ = vit.train(
            model_cfg, train_cfg, train_images, train_labels, val_images, val_labels,
            seed=seed, time_budget_s=budget_left, progress=on_eval, state=state,
            final_report=progress is not None,
        )  # fmt: skip
    except _StopEarly:
        params = state["params"]
    return {"config": merged, "weights": params}


def _model_config(params: dict) -> vit.ViTConfig:
    return make_configs(params["config"])[0]


def predict(params: dict, images: np.ndarray) -> dict[str, np.ndarray]:
    """Images (B, 32, 32) in [0, 1] -> {"verb": (B,) int}, plus "tense", "person" for "form"."""
    cfg = _model_config(params)
    with blas_threads(1):  # as in training: small GEMMs on shared cores (blas_threads.py)
        return vit.predict(cfg, params["weights"], np.asarray(images, dtype=np.float32))


def describe(params: dict) -> dict:
    """The model's config and parameter count, for experiment reports."""
    cfg = _model_config(params)
    n = sum(int(np.prod(v.shape)) for v in params["weights"].values())
    return {"model": dataclasses.asdict(cfg), "n_params": n}
