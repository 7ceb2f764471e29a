"""Lab 01 ablations: text towers and a one-sided loss, a fixed number of steps per variant.

    PYTHONPATH=. .venv/bin/python bench/lab01_ablations.py --steps 400

Same image tower, data, learning rate and seed for every row; one thing changes per row.
Scores retrieval on 600 held-out icons against all 298 texts, in both directions.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

VARIANTS = {
    "reference: transformer, mean pool, tok N(0,1)": {},
    "tok init N(0, 0.02^2) (ViT's)": {"token_init_std": 0.02},
    "cls pool (text)": {"text_pool": "cls"},
    "two text blocks": {"text_depth": 2},
    "bag of tokens": {"text_encoder": "bag"},
    "image->text loss only": {"one_sided": True},
    "image tower pools a class token": {"image_pool": "cls"},
    "image class token + tok N(0, 0.02^2)": {"image_pool": "cls", "token_init_std": 0.02},
}


def image_to_text_only(logits):
    """Half of InfoNCE: each image's cross-entropy over the texts; no text->image term."""
    import numpy as np

    b = len(logits)
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    grad = np.exp(logp) - np.eye(b, dtype=logits.dtype)
    return float(-logp[np.arange(b), np.arange(b)].mean()), grad / b


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default="", help="run only variants whose name contains this")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

    import dataclasses
    import math
    import time

    import numpy as np

    from labs.x2_multimodal.lab01 import clip_lab, retrieval
    from labs.x2_multimodal.lab01.data import distinct_texts, make_icon_set
    from labs.x2_multimodal.lab01.model import ClipConfig, default_image_config

    held_out = make_icon_set(600, seed=args.seed + 99, split="heldout")
    texts = distinct_texts()
    symmetric = clip_lab.info_nce
    print(
        f"| variant ({args.steps} steps) | final loss | i2t R@1 | i2t R@5 | t2i R@1 | t2i R@5 "
        "| CPU s |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, overrides in VARIANTS.items():
        if args.only not in name:
            continue
        overrides = dict(overrides)
        clip_lab.info_nce = image_to_text_only if overrides.pop("one_sided", False) else symmetric
        image_pool = overrides.pop("image_pool", "mean")
        overrides["image"] = dataclasses.replace(default_image_config(), pool=image_pool)
        cpu = time.process_time()
        model = clip_lab.train(
            seed=args.seed,
            time_budget_s=math.inf,
            max_steps=args.steps,
            config=ClipConfig(**overrides),
        )
        cpu = time.process_time() - cpu
        m = retrieval.retrieval_metrics(
            clip_lab.embed_images(model, held_out.images),
            clip_lab.embed_texts(model, texts),
            held_out.text_ids,
        )
        loss = float(np.mean(model.history.losses[-30:]))
        print(
            f"| {name} | {loss:.3f} | {m['i2t_R@1']:.3f} | {m['i2t_R@5']:.3f} | "
            f"{m['t2i_R@1']:.3f} | {m['t2i_R@5']:.3f} | {cpu:.0f} |",
            flush=True,
        )
    clip_lab.info_nce = symmetric


if __name__ == "__main__":
    main()
