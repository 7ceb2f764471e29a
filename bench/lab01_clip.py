"""Lab 01 benchmark: train the reference CLIP for a time budget, score it on held-out icons.

    PYTHONPATH=. .venv/bin/python bench/lab01_clip.py --budget 300 --out /tmp/lab01-bench

Prints the metrics as JSON and writes recall.md, similarity.png and nearest_texts.{md,png}
into --out. Targets (bench/RESULTS-lab01.md): image->text R@1 >= 0.95, R@5 >= 0.99,
R@10 = 1.0 within 300 s of training.

Training runs BLAS on one thread (lab00/blas_threads.py says why); the wall-clock budget includes
whatever else the machine is doing, so the step count is printed too.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--budget", type=float, default=300.0, help="training seconds (default 300)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("/tmp/lab01-bench"))
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

    import json
    import time

    from labs.x2_multimodal.lab01 import clip_lab, experiment

    def progress(event: dict) -> None:
        if event["done"] or event["step"] % 250 == 0:
            print(
                f"step {event['step']:5d}  {event['elapsed_s']:6.1f} s  loss {event['loss']:.4f}  "
                f"scale {event['logit_scale']:.1f}",
                flush=True,
            )

    start = time.perf_counter()
    result = experiment.run(args.out, args.seed, clip_lab, progress, time_budget_s=args.budget)
    result["config"]["wall_s_total"] = round(time.perf_counter() - start, 1)
    print(json.dumps(result, indent=1))
    print(f"outputs in {args.out}")


if __name__ == "__main__":
    main()
