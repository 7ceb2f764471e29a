"""A two-tower CLIP in NumPy: lab 00's ViT for icons, a small transformer for verb-form texts.

Radford et al., "Learning Transferable Visual Models From Natural Language Supervision"
(CLIP, 2021): each tower ends in a linear projection to a shared E-wide space; the towers never
see each other, the contrastive loss (contrastive.py) is the only thing tying them together.

- Image tower: `lab00.vit` unchanged, with one "head" of width E that *is* the projection.
- Text tower: token + position embeddings, `lab00.nn` pre-LN blocks with a key-padding mask,
  the `<cls>` state after a final LayerNorm, a linear projection. The "bag" variant replaces
  the blocks by a masked mean of the token embeddings (word order is lost, which costs little
  in this universe but is worth measuring).
- One learnable scalar, the log of the logit scale (the inverse temperature).

All parameters live in one flat dict ("image.patch_w", "text.block0.attn_wqkv", "log_scale")
so AdamW, the gradient checks and `np.savez` see the same thing.

Shapes: B batch, L tokens per text, D tower width, E shared embedding width, V vocabulary.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from labs.x2_multimodal.lab00 import nn, vit
from labs.x2_multimodal.lab01.given import CLS, INIT_LOG_SCALE


def default_image_config() -> vit.ViTConfig:
    # Patch 8 on 32x32 icons gives 16 tokens (as in lab 00): attention costs 16x less than
    # with patch 4's 64 tokens, and the glyphs are large enough not to need the finer grid. Every
    # field is spelled out so a change to lab 00's defaults cannot silently change lab 01.
    return vit.ViTConfig(
        image_size=32, patch=8, channels=1, dim=64, depth=2, n_heads=4, mlp_ratio=2,
        pool="mean", pixel_mean=0.2, pixel_std=0.33,
    )  # fmt: skip


@dataclass
class ClipConfig:
    embed_dim: int = 64
    image: vit.ViTConfig = field(default_factory=default_image_config)
    text_encoder: str = "transformer"  # or "bag"
    text_pool: str = "mean"  # transformer only: "mean" of the valid tokens' states, or "cls"
    text_dim: int = 64
    text_depth: int = 1
    text_heads: int = 4
    text_mlp_ratio: int = 2
    # N(0, 1) word embeddings, torch's nn.Embedding default, rather than ViT's 0.02: small word
    # vectors start out smaller than what the first block adds to them. The gap is small with
    # the mean-pooled image tower and was large with a class-token one (bench/RESULTS-lab01.md).
    token_init_std: float = 1.0
    init_log_scale: float = INIT_LOG_SCALE
    dtype: str = "float32"  # the gradient checks use float64

    def __post_init__(self) -> None:
        if self.text_encoder not in ("transformer", "bag"):
            raise ValueError(
                f"text_encoder must be 'transformer' or 'bag', got {self.text_encoder!r}"
            )
        if self.text_pool not in ("mean", "cls"):
            raise ValueError(f"text_pool must be 'mean' or 'cls', got {self.text_pool!r}")
        if self.text_dim % self.text_heads:
            raise ValueError(
                f"text_dim {self.text_dim} is not divisible by text_heads {self.text_heads}"
            )
        # the ViT's single head is the image projection, so its width is the shared width
        self.image.heads = (("embed", self.embed_dim),)


class ClipModel:
    """Parameters plus the two towers' forward and backward passes; no loss, no optimiser."""

    def __init__(self, cfg: ClipConfig, vocab: list[str], max_len: int, seed: int = 0):
        self.cfg, self.vocab, self.max_len = cfg, list(vocab), max_len
        self.cls_id = self.vocab.index(CLS)
        dtype = np.dtype(cfg.dtype)
        rng = np.random.default_rng(seed + 7)
        image = vit.init_params(cfg.image, seed)
        # vit zero-initialises heads so classifiers start uniform; a zero projection would put
        # every image at the origin, where L2 normalisation is undefined.
        image["head_embed_w"] = rng.standard_normal(image["head_embed_w"].shape) / math.sqrt(
            cfg.image.dim
        )
        D, E = cfg.text_dim, cfg.embed_dim
        text = {
            "tok": rng.standard_normal((len(vocab), D)) * cfg.token_init_std,
            "pos": rng.standard_normal((max_len, D)) * 0.02,
            "norm_g": np.ones(D),
            "norm_b": np.zeros(D),
            "proj_w": rng.standard_normal((D, E)) / math.sqrt(D),
            "proj_b": np.zeros(E),
        }
        if cfg.text_encoder == "transformer":
            for i in range(cfg.text_depth):
                for key, value in nn.init_block_params(rng, D, cfg.text_mlp_ratio).items():
                    text[f"block{i}.{key}"] = value
        self.params: dict[str, np.ndarray] = {}
        for prefix, group in (("image", image), ("text", text)):
            for key, value in group.items():
                self.params[f"{prefix}.{key}"] = np.asarray(value, dtype=dtype)
        self.params["log_scale"] = np.array(
            [cfg.init_log_scale], dtype=dtype
        )  # (1,): never decayed

    # ------------------------------------------------------------------ parameter views

    def group(self, prefix: str) -> dict[str, np.ndarray]:
        """The "image." or "text." parameters with the prefix stripped (same arrays, no copy)."""
        p = prefix + "."
        return {k[len(p) :]: v for k, v in self.params.items() if k.startswith(p)}

    @property
    def log_scale(self) -> float:
        return float(self.params["log_scale"][0])

    # ------------------------------------------------------------------ image tower

    def encode_images(self, images: np.ndarray) -> tuple[np.ndarray, tuple]:
        """Icons (B, H, W) -> unnormalised image features (B, E)."""
        logits, cache = vit.forward(self.cfg.image, self.group("image"), images)
        return logits["embed"], cache

    def encode_images_backward(self, d_features: np.ndarray, cache: tuple) -> dict[str, np.ndarray]:
        grads = vit.backward(self.cfg.image, {"embed": d_features}, cache)
        return {f"image.{k}": v for k, v in grads.items()}

    # ------------------------------------------------------------------ text tower

    def encode_texts(self, ids: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, tuple]:
        """Token ids (B, L) and mask (B, L) -> unnormalised text features (B, E)."""
        cfg, p = self.cfg, self.group("text")
        if not np.all(ids[:, 0] == self.cls_id):
            raise ValueError(
                "every token row must start with <cls>; use tokenize() with this model's vocab"
            )
        L = ids.shape[1]
        x = p["tok"][ids] + p["pos"][:L]  # (B, L, D)
        block_caches = []
        if cfg.text_encoder == "transformer":
            for i in range(cfg.text_depth):
                x, c = nn.block_forward(x, vit.block_params(p, i), cfg.text_heads, key_mask=mask)
                block_caches.append(c)
        if cfg.text_encoder == "transformer" and cfg.text_pool == "cls":
            pooled = x[:, 0]  # (B, D): the <cls> state, which attended to every real token
        else:
            pooled = np.einsum("bl,bld->bd", self._mean_weights(mask, x.dtype), x)  # (B, D)
        z, norm_cache = nn.layernorm_forward(pooled, p["norm_g"], p["norm_b"])
        features, proj_cache = nn.linear_forward(z, p["proj_w"], p["proj_b"])  # (B, E)
        return features, (ids, mask, x.shape, block_caches, norm_cache, proj_cache)

    @staticmethod
    def _mean_weights(mask: np.ndarray, dtype) -> np.ndarray:
        """(B, L) weights of a mean over each row's valid tokens (padding weighs 0)."""
        return (mask / mask.sum(axis=1, keepdims=True)).astype(dtype)

    def encode_texts_backward(self, d_features: np.ndarray, cache: tuple) -> dict[str, np.ndarray]:
        ids, mask, x_shape, block_caches, norm_cache, proj_cache = cache
        g: dict[str, np.ndarray] = {}
        dz, g["proj_w"], g["proj_b"] = nn.linear_backward(d_features, proj_cache)
        dpooled, g["norm_g"], g["norm_b"] = nn.layernorm_backward(dz, norm_cache)
        if self.cfg.text_encoder == "transformer" and self.cfg.text_pool == "cls":
            dx = np.zeros(x_shape, dpooled.dtype)
            dx[:, 0] = dpooled
        else:
            dx = (
                self._mean_weights(mask, dpooled.dtype)[:, :, None] * dpooled[:, None, :]
            )  # (B, L, D)
        for i in reversed(range(len(block_caches))):
            dx, bg = nn.block_backward(dx, block_caches[i])
            g.update({f"block{i}.{k}": v for k, v in bg.items()})
        pos = self.params["text.pos"]
        g["pos"] = np.zeros_like(pos)
        g["pos"][: x_shape[1]] = dx.sum(axis=0)
        g["tok"] = np.zeros_like(self.params["text.tok"])
        np.add.at(g["tok"], ids.reshape(-1), dx.reshape(-1, x_shape[2]))  # scatter-add by token id
        return {f"text.{k}": v for k, v in g.items()}
