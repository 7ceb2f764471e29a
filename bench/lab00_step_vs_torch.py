"""Lab 00 bench: one training step (forward, backward, AdamW) of the NumPy ViT vs the same
model in PyTorch on CPU, same batch, same parameters, measured alternately in one run.

    PYTHONPATH=. .venv/bin/python bench/lab00_step_vs_torch.py [--rounds 20] [--batch 64]
    PYTHONPATH=. .venv/bin/python bench/lab00_step_vs_torch.py --torch-threads 1
    PYTHONPATH=. .venv/bin/python bench/lab00_step_vs_torch.py --numpy-threads 0  # BLAS default

Target: NumPy step time <= 1.2x PyTorch's. The machine is shared, so only the ratio within
one run means anything; the script prints the median of per-round ratios.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lab00_torch_vit import TorchViT  # noqa: E402

from labs.x2_multimodal.lab00 import vit  # noqa: E402
from labs.x2_multimodal.lab00.blas_threads import blas_threads  # noqa: E402
from labs.x2_multimodal.lab00.optim import AdamW  # noqa: E402

CONFIGS = {
    "verb": vit.ViTConfig(heads=(("verb", 20),)),
    "form": vit.ViTConfig(heads=(("verb", 20), ("tense", 5), ("person", 3))),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", choices=sorted(CONFIGS), default="verb")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--patch", type=int, default=None, help="override the config's patch size")
    ap.add_argument("--dim", type=int, default=None, help="override the config's width")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--steps", type=int, default=5, help="steps per timed round")
    ap.add_argument(
        "--numpy-threads",
        type=int,
        default=1,
        help="OpenBLAS threads for the NumPy step (1, as vit.train uses; 0 = leave)",
    )
    ap.add_argument(
        "--torch-threads",
        type=int,
        default=None,
        help="torch.set_num_threads (default: torch's own choice)",
    )
    args = ap.parse_args()
    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)

    cfg = CONFIGS[args.config]
    overrides = {k: v for k, v in (("patch", args.patch), ("dim", args.dim)) if v is not None}
    cfg = dataclasses.replace(cfg, **overrides)
    rng = np.random.default_rng(0)
    images = rng.random((args.batch, 32, 32), dtype=np.float32)
    labels = {name: rng.integers(0, k, args.batch) for name, k in cfg.heads}

    params = vit.init_params(cfg, seed=0)
    for k, v in params.items():  # non-zero heads so every backward path does real work
        if k.startswith("head_"):
            v[...] = rng.standard_normal(v.shape) * 0.02
    opt = AdamW(params, lr=1e-3, weight_decay=0.05)

    model = TorchViT(cfg, params)
    decay = [p for k, p in model.p.items() if p.ndim >= 2]
    no_decay = [p for k, p in model.p.items() if p.ndim < 2]
    t_opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}],
        lr=1e-3,
    )
    t_images = torch.from_numpy(images)[..., None]
    t_labels = {k: torch.from_numpy(v) for k, v in labels.items()}

    def numpy_step() -> None:
        with blas_threads(args.numpy_threads or None):
            _, grads, _ = vit.loss_and_grads(cfg, params, images, labels)
            opt.step(grads)

    def torch_step() -> None:
        t_opt.zero_grad(set_to_none=True)
        model.loss(t_images, t_labels).backward()
        t_opt.step()

    def timed(step) -> float:
        t0 = time.perf_counter()
        for _ in range(args.steps):
            step()
        return (time.perf_counter() - t0) / args.steps

    for _ in range(3):  # warm up allocators and BLAS thread pools
        numpy_step()
        torch_step()
    ratios, np_times, torch_times = [], [], []
    for r in range(args.rounds):
        # alternate which goes first so neither always inherits a warm cache
        if r % 2:
            t_torch, t_np = timed(torch_step), timed(numpy_step)
        else:
            t_np, t_torch = timed(numpy_step), timed(torch_step)
        np_times.append(t_np)
        torch_times.append(t_torch)
        ratios.append(t_np / t_torch)

    ms = lambda xs: f"{1e3 * statistics.median(xs):.1f} ms"  # noqa: E731
    print(
        f"config={args.config} batch={args.batch} patch={cfg.patch} dim={cfg.dim} "
        f"depth={cfg.depth} heads={cfg.n_heads} mlp_ratio={cfg.mlp_ratio} tokens={cfg.n_tokens}"
    )
    blas = args.numpy_threads or os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(
        f"torch threads={torch.get_num_threads()}  numpy BLAS threads={blas}  "
        f"rounds={args.rounds} x {args.steps} steps"
    )
    print(f"numpy step median {ms(np_times)}   torch step median {ms(torch_times)}")
    print(
        f"ratio numpy/torch: median {statistics.median(ratios):.2f} "
        f"(min {min(ratios):.2f}, max {max(ratios):.2f})  target <= 1.20"
    )


if __name__ == "__main__":
    main()
