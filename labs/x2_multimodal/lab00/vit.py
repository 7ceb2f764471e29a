"""A tiny Vision Transformer in NumPy, trained on grammar icons.

Dosovitskiy et al., "An Image is Worth 16x16 Words: Transformers for Image Recognition at
Scale" (ICLR 2021): cut the image into patches, embed each linearly, add learned position
embeddings, prepend a [CLS] token (or mean-pool instead), run pre-LN transformer blocks and
classify from the pooled token after a final LayerNorm (eq. 1-4).

The model is a flat dict of arrays (`"patch_w"`, `"block0.attn_wqkv"`, `"head_verb_w"`, ...)
so the optimiser, the gradient checks and `np.savez` all see the same thing. One classifier
head per label: `heads=(("verb", 20),)` for lab 00's first target, or verb/tense/person for
the full verb form (a form counts as right only when all three heads are).

Shapes: B images, H = W = image_size, P patch side, N = (H/P)^2 patches, T = N (+1 with CLS)
tokens, D width, K classes of a head.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from labs.x2_multimodal.lab00 import nn
from labs.x2_multimodal.lab00.blas_threads import blas_threads
from labs.x2_multimodal.lab00.optim import AdamW


@dataclass
class ViTConfig:
    image_size: int = 32
    patch: int = 8
    channels: int = 1
    dim: int = 64
    depth: int = 4
    n_heads: int = 4
    mlp_ratio: int = 2
    pool: str = "mean"  # "cls" or "mean"
    heads: tuple[tuple[str, int], ...] = (("verb", 20),)
    # Icons are mostly dark background: centring and scaling the pixels (fixed constants,
    # measured once on training icons) lets the first steps learn shapes, not the offset.
    pixel_mean: float = 0.2
    pixel_std: float = 0.33

    def __post_init__(self) -> None:
        if self.image_size % self.patch:
            raise ValueError(f"image_size {self.image_size} is not divisible by patch {self.patch}")
        if self.dim % self.n_heads:
            raise ValueError(f"dim {self.dim} is not divisible by n_heads {self.n_heads}")
        if self.pool not in ("cls", "mean"):
            raise ValueError(f"pool must be 'cls' or 'mean', got {self.pool!r}")
        self.heads = tuple((str(name), int(k)) for name, k in self.heads)

    @property
    def n_patches(self) -> int:
        return (self.image_size // self.patch) ** 2

    @property
    def n_tokens(self) -> int:
        return self.n_patches + (self.pool == "cls")


@dataclass
class TrainConfig:
    batch_size: int = 64
    lr: float = 2e-3
    min_lr_ratio: float = 0.05  # cosine decays to lr * this
    warmup_steps: int = 20
    weight_decay: float = 0.05
    max_steps: int = 100_000  # the time budget usually ends training first
    eval_every: int = 50
    n_train: int = 10_000
    n_eval: int = 1_000
    blas_threads: int | None = 1  # see blas_threads.py: small GEMMs, shared CPUs
    extra: dict = field(default_factory=dict)  # free-form notes carried into the metrics


# --------------------------------------------------------------------------- parameters


def init_params(cfg: ViTConfig, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    D, F = cfg.dim, cfg.patch * cfg.patch * cfg.channels
    f32 = np.float32
    params = {
        # a 1/sqrt(fan_in) patch embedding keeps token norms ~1 whatever the patch size
        "patch_w": (rng.standard_normal((F, D)) / math.sqrt(F)).astype(f32),
        "patch_b": np.zeros(D, f32),
        "pos": (rng.standard_normal((cfg.n_tokens, D)) * 0.02).astype(f32),
        "norm_g": np.ones(D, f32),
        "norm_b": np.zeros(D, f32),
    }
    if cfg.pool == "cls":
        params["cls"] = (rng.standard_normal(D) * 0.02).astype(f32)
    for i in range(cfg.depth):
        for key, value in nn.init_block_params(rng, D, cfg.mlp_ratio).items():
            params[f"block{i}.{key}"] = value
    for name, k in cfg.heads:
        # zero heads start every class at equal probability: loss starts at log K exactly
        params[f"head_{name}_w"] = np.zeros((D, k), f32)
        params[f"head_{name}_b"] = np.zeros(k, f32)
    return params


def block_params(params: dict[str, np.ndarray], i: int) -> dict[str, np.ndarray]:
    prefix = f"block{i}."
    return {k[len(prefix) :]: v for k, v in params.items() if k.startswith(prefix)}


# --------------------------------------------------------------------------- model


def embed_forward(cfg: ViTConfig, params, images: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Images (B, H, W) or (B, H, W, C) -> tokens (B, T, D)."""
    if images.ndim == 3:
        images = images[..., None]  # (B, H, W, 1)
    patches = nn.patchify(images.astype(params["patch_w"].dtype, copy=False), cfg.patch)
    patches = (patches - cfg.pixel_mean) * (1.0 / cfg.pixel_std)  # (B, N, P*P*C)
    tok, lin_cache = nn.linear_forward(patches, params["patch_w"], params["patch_b"])  # (B, N, D)
    if cfg.pool == "cls":
        cls = np.broadcast_to(params["cls"], (tok.shape[0], 1, cfg.dim))  # (B, 1, D)
        tok = np.concatenate([cls, tok], axis=1)  # (B, T, D)
    return tok + params["pos"], (lin_cache,)


def forward(
    cfg: ViTConfig, params: dict[str, np.ndarray], images: np.ndarray
) -> tuple[dict[str, np.ndarray], tuple]:
    """Images -> ({head name: logits (B, K)}, cache)."""
    x, embed_cache = embed_forward(cfg, params, images)  # (B, T, D)
    block_caches = []
    for i in range(cfg.depth):
        x, c = nn.block_forward(x, block_params(params, i), cfg.n_heads)
        block_caches.append(c)
    pooled = x[:, 0] if cfg.pool == "cls" else x.mean(axis=1)  # (B, D)
    z, norm_cache = nn.layernorm_forward(pooled, params["norm_g"], params["norm_b"])
    logits, head_caches = {}, {}
    for name, _ in cfg.heads:
        logits[name], head_caches[name] = nn.linear_forward(
            z, params[f"head_{name}_w"], params[f"head_{name}_b"]
        )  # (B, K)
    return logits, (embed_cache, block_caches, norm_cache, head_caches, x.shape)


def backward(cfg: ViTConfig, dlogits: dict[str, np.ndarray], cache: tuple) -> dict[str, np.ndarray]:
    """Gradients of every parameter given d loss / d logits for each head."""
    embed_cache, block_caches, norm_cache, head_caches, x_shape = cache
    grads: dict[str, np.ndarray] = {}
    dz = None
    for name, _ in cfg.heads:
        dzi, grads[f"head_{name}_w"], grads[f"head_{name}_b"] = nn.linear_backward(
            dlogits[name], head_caches[name]
        )
        dz = dzi if dz is None else dz + dzi  # (B, D)
    dpooled, grads["norm_g"], grads["norm_b"] = nn.layernorm_backward(dz, norm_cache)
    B, T, D = x_shape
    if cfg.pool == "cls":
        dx = np.zeros(x_shape, dpooled.dtype)
        dx[:, 0] = dpooled  # only the CLS token was read
    else:
        dx = np.broadcast_to(dpooled[:, None, :] / T, x_shape).copy()  # (B, T, D)
    for i in reversed(range(cfg.depth)):
        dx, g = nn.block_backward(dx, block_caches[i])
        for key, value in g.items():
            grads[f"block{i}.{key}"] = value
    grads["pos"] = dx.sum(axis=0)  # (T, D)
    if cfg.pool == "cls":
        grads["cls"] = dx[:, 0].sum(axis=0)
        dx = dx[:, 1:]
    _, grads["patch_w"], grads["patch_b"] = nn.linear_backward(dx, embed_cache[0])
    return grads


def loss_and_grads(
    cfg: ViTConfig, params, images: np.ndarray, labels: dict[str, np.ndarray]
) -> tuple[float, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Sum over heads of the mean cross-entropy; returns (loss, grads, logits)."""
    logits, cache = forward(cfg, params, images)
    loss, dlogits = 0.0, {}
    for name, _ in cfg.heads:
        head_loss, dlogits[name] = nn.softmax_cross_entropy(logits[name], labels[name])
        loss += head_loss
    return loss, backward(cfg, dlogits, cache), logits


def predict(
    cfg: ViTConfig, params, images: np.ndarray, batch_size: int = 512
) -> dict[str, np.ndarray]:
    """Images -> {head name: predicted class (B,)}, in chunks to bound memory."""
    out: dict[str, list] = {name: [] for name, _ in cfg.heads}
    for start in range(0, len(images), batch_size):
        logits, _ = forward(cfg, params, images[start : start + batch_size])
        for name, _ in cfg.heads:
            out[name].append(logits[name].argmax(axis=-1))
    return {name: np.concatenate(chunks) for name, chunks in out.items()}


def accuracy(cfg: ViTConfig, pred: dict[str, np.ndarray], labels: dict[str, np.ndarray]) -> float:
    """Fraction of images whose every head is right (for one head, plain top-1)."""
    right = np.ones(len(next(iter(pred.values()))), bool)
    for name, _ in cfg.heads:
        right &= pred[name] == labels[name]
    return float(right.mean())


# --------------------------------------------------------------------------- training


def lr_at(tcfg: TrainConfig, step: int, progress: float) -> float:
    """Linear warmup, then cosine decay over the fraction of the budget already used.

    The decay follows elapsed time (or steps, whichever is further along) because a time
    budget, not a step count, is what the lab fixes.
    """
    if step < tcfg.warmup_steps:
        return tcfg.lr * (step + 1) / tcfg.warmup_steps
    cosine = 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))
    return tcfg.lr * (tcfg.min_lr_ratio + (1.0 - tcfg.min_lr_ratio) * cosine)


def train(
    cfg: ViTConfig,
    tcfg: TrainConfig,
    train_images: np.ndarray,
    train_labels: dict[str, np.ndarray],
    eval_images: np.ndarray,
    eval_labels: dict[str, np.ndarray],
    seed: int = 0,
    time_budget_s: float = 30.0,
    progress: Callable[[dict], None] | None = None,
    state: dict | None = None,
    final_report: bool = True,
) -> tuple[dict[str, np.ndarray], list[dict]]:
    """AdamW on shuffled minibatches until the time budget or max_steps runs out.

    Calls `progress({"step", "loss", "eval_acc", "elapsed_s", "lr"})` every `eval_every`
    steps and once at the end; returns (params, the list of those dicts). Evaluation time
    counts against the budget: the clock is the learner's wall clock. `state["params"]` is
    the live params dict, so a caller whose `progress` raises to stop early keeps the model.
    `final_report=False` skips the evaluation after the last step (nobody reads it; the DoD's
    two-step runs would spend most of their time on it).
    """
    params = init_params(cfg, seed)
    if state is not None:
        state["params"] = params
    opt = AdamW(params, lr=tcfg.lr, betas=(0.9, 0.99), weight_decay=tcfg.weight_decay)
    rng = np.random.default_rng(seed + 1)
    n = len(train_images)
    order, cursor = rng.permutation(n), 0
    history: list[dict] = []
    start = time.perf_counter()
    losses: list[float] = []
    step = 0

    def report() -> None:
        acc = accuracy(cfg, predict(cfg, params, eval_images), eval_labels)
        row = {
            "step": step,
            "loss": float(np.mean(losses)) if losses else float("nan"),
            "eval_acc": acc,
            "elapsed_s": time.perf_counter() - start,
            "lr": lr,
        }
        losses.clear()
        history.append(row)
        if progress is not None:
            progress(row)

    with blas_threads(tcfg.blas_threads):
        lr = lr_at(tcfg, 0, 0.0)
        while step < tcfg.max_steps:
            elapsed = time.perf_counter() - start
            if elapsed >= time_budget_s:
                break
            if cursor + tcfg.batch_size > n:
                order, cursor = rng.permutation(n), 0
            idx = order[cursor : cursor + tcfg.batch_size]
            cursor += tcfg.batch_size
            lr = lr_at(tcfg, step, max(elapsed / time_budget_s, step / tcfg.max_steps))
            loss, grads, _ = loss_and_grads(
                cfg, params, train_images[idx], {k: v[idx] for k, v in train_labels.items()}
            )
            opt.step(grads, lr=lr)
            losses.append(loss)
            step += 1
            if step % tcfg.eval_every == 0:
                report()
        if final_report and (not history or history[-1]["step"] != step):
            report()
    return params, history
