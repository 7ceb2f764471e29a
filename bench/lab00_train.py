"""Lab 00 bench: how fast does the NumPy ViT learn the grammar icons?

    PYTHONPATH=. .venv/bin/python bench/lab00_train.py --target verb --budget 60
    PYTHONPATH=. .venv/bin/python bench/lab00_train.py --target form --budget 300

Targets: verb top-1 >= 80% on held-out icons within 30 s of training and >= 95% within
60 s; full form (verb, tense and person all right) >= 95% within 300 s. Icon generation is
timed separately and not counted as training. The curve's accuracy is on the validation
icons ("heldout", seed); the final score is on 2000 icons from another seed, like the checks.
"""

from __future__ import annotations

import argparse
import json
import time

from labs.x2_multimodal.lab00 import tiny_vit, vit
from labs.x2_multimodal.lab00.data import icon_dataset

TEST_SEED = 777


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", choices=["verb", "form"], default="verb")
    ap.add_argument("--budget", type=float, default=60.0, help="training seconds")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a tiny_vit.DEFAULT_CONFIG entry, e.g. --set patch=8",
    )
    ap.add_argument("--json", default=None, help="also write the curve and summary here")
    args = ap.parse_args()

    overrides = {}
    for item in args.set:
        key, _, value = item.partition("=")
        overrides[key] = type(tiny_vit.DEFAULT_CONFIG[key] or 0.0)(value)
    model_cfg, train_cfg, merged = tiny_vit.make_configs({"target": args.target, **overrides})

    t0 = time.perf_counter()
    train_x, train_y = icon_dataset(train_cfg.n_train, args.seed, "train")
    val_x, val_y = icon_dataset(train_cfg.n_eval, args.seed, "heldout")
    test_x, test_y = icon_dataset(2000, TEST_SEED, "heldout")
    gen_s = time.perf_counter() - t0
    print(f"icons: {train_cfg.n_train} train + {train_cfg.n_eval} val + 2000 test in {gen_s:.1f} s")
    print(f"config: {json.dumps(merged)}")

    def show(row: dict) -> None:
        print(
            f"step {row['step']:5d}  {row['elapsed_s']:6.1f} s  loss {row['loss']:.3f}  "
            f"val acc {row['eval_acc']:.3f}  lr {row['lr']:.2e}",
            flush=True,
        )

    params, history = vit.train(
        model_cfg, train_cfg, train_x, train_y, val_x, val_y,
        seed=args.seed, time_budget_s=args.budget, progress=show,
    )  # fmt: skip
    test_acc = vit.accuracy(model_cfg, vit.predict(model_cfg, params, test_x), test_y)

    def first_time(threshold: float) -> float | None:
        return next((r["elapsed_s"] for r in history if r["eval_acc"] >= threshold), None)

    summary = {
        "target": args.target,
        "budget_s": args.budget,
        "steps": history[-1]["step"],
        "step_ms": 1e3 * history[-1]["elapsed_s"] / max(history[-1]["step"], 1),
        "final_val_acc": history[-1]["eval_acc"],
        "test_acc": test_acc,
        "first_val_80_s": first_time(0.80),
        "first_val_95_s": first_time(0.95),
        "icon_generation_s": gen_s,
    }
    print(json.dumps(summary, indent=1))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"summary": summary, "config": merged, "history": history}, f, indent=1)


if __name__ == "__main__":
    main()
