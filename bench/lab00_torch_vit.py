"""The lab 00 ViT written in PyTorch, parameter for parameter, for the step-time bench and
for the tests that check the NumPy model's gradients against autograd.

`TorchViT(cfg, params)` copies a NumPy params dict (same keys, same (fan_in, fan_out)
layout); `grads_as_numpy()` returns gradients under the same keys.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from labs.x2_multimodal.lab00.vit import ViTConfig


class TorchViT(torch.nn.Module):
    def __init__(self, cfg: ViTConfig, params: dict, dtype=torch.float32) -> None:
        super().__init__()
        self.cfg = cfg
        self.p = torch.nn.ParameterDict(
            {
                k.replace(".", "__"): torch.nn.Parameter(torch.tensor(v, dtype=dtype))
                for k, v in params.items()
            }
        )

    def __getitem__(self, key: str) -> torch.Tensor:
        return self.p[key.replace(".", "__")]

    def block(self, x: torch.Tensor, i: int) -> torch.Tensor:
        p = lambda k: self[f"block{i}.{k}"]  # noqa: E731
        B, T, D = x.shape
        H = self.cfg.n_heads
        z = F.layer_norm(x, (D,), p("ln1_g"), p("ln1_b"), eps=1e-5)
        q, k, v = (z @ p("attn_wqkv") + p("attn_bqkv")).reshape(B, T, 3, H, D // H).unbind(2)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))  # (B, H, T, dh)
        heads = F.scaled_dot_product_attention(q, k, v)
        x = x + heads.transpose(1, 2).reshape(B, T, D) @ p("attn_wo") + p("attn_bo")
        z = F.layer_norm(x, (D,), p("ln2_g"), p("ln2_b"), eps=1e-5)
        m = F.gelu(z @ p("mlp_w1") + p("mlp_b1"), approximate="tanh")
        return x + m @ p("mlp_w2") + p("mlp_b2")

    def forward(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        cfg = self.cfg
        B, P = images.shape[0], cfg.patch
        g = cfg.image_size // P
        x = images.reshape(B, g, P, g, P, cfg.channels).permute(0, 1, 3, 2, 4, 5)
        patches = (x.reshape(B, g * g, P * P * cfg.channels) - cfg.pixel_mean) / cfg.pixel_std
        tok = patches @ self["patch_w"] + self["patch_b"]
        if cfg.pool == "cls":
            tok = torch.cat([self["cls"].expand(B, 1, cfg.dim), tok], dim=1)
        x = tok + self["pos"]
        for i in range(cfg.depth):
            x = self.block(x, i)
        pooled = x[:, 0] if cfg.pool == "cls" else x.mean(dim=1)
        z = F.layer_norm(pooled, (cfg.dim,), self["norm_g"], self["norm_b"], eps=1e-5)
        return {name: z @ self[f"head_{name}_w"] + self[f"head_{name}_b"] for name, _ in cfg.heads}

    def loss(self, images: torch.Tensor, labels: dict[str, torch.Tensor]) -> torch.Tensor:
        logits = self(images)
        return sum(F.cross_entropy(logits[name], labels[name]) for name, _ in self.cfg.heads)

    def grads_as_numpy(self) -> dict:
        return {k.replace("__", "."): v.grad.detach().numpy() for k, v in self.p.items()}
