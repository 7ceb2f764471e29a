"""Lab 00 experiment: train the entry module's ViT, score it on unseen icons, draw two plots.

`harness run` imports the entry module (the reference `tiny_vit` or a learner's copy) and
calls `run(out_dir, seed, entry, progress)`; it writes manifest.yaml and metrics.json around
what this returns. Only the entry's `train` and `predict` are used, so the same experiment
measures either implementation, and the score comes from icons this module draws itself.
"""

from __future__ import annotations

import hashlib
import inspect
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from labs.x2_multimodal import grammar  # noqa: E402
from labs.x2_multimodal.lab00.data import HEADS, icon_dataset  # noqa: E402

TEST_SEED_OFFSET = 1_000_003  # test icons never share a seed with the training run's own
N_TEST = 2000
CURVE_PNG = "training-curve.png"
CONFUSION_PNG = "confusion-verb.png"


def run(
    out_dir: Path,
    seed: int,
    entry: ModuleType,
    progress: Callable[[dict], None],
    target: str = "verb",
    budget_s: float = 60.0,
    steps: int | None = None,
) -> dict:
    """Train for `budget_s` seconds (or exactly `steps` steps), then score on N_TEST held-out
    icons. With `steps` the learning-rate schedule follows the step count, not the clock, so
    the same seed and step count give the same model: that is what `harness reproduce` uses.

    `progress` receives each evaluation row the entry's `train` reports ({"step", "loss",
    "eval_acc", "elapsed_s", ...}); a `train` without a `progress` parameter reports nothing
    and the curve plot says so. Returns {"metrics", "config", "dataset_hash"}.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    curve: list[dict] = []

    def on_row(row: dict) -> None:
        row = {k: float(v) if isinstance(v, (int, float, np.number)) else v for k, v in row.items()}
        curve.append(row)
        # the total lets a progress bar fill: steps when counting steps, else seconds
        progress(
            {**row, "total_steps": steps} if steps is not None else {**row, "budget_s": budget_s}
        )

    kwargs = {"progress": on_row} if "progress" in inspect.signature(entry.train).parameters else {}
    start = time.perf_counter()
    config = {"target": target}
    if steps is not None:
        config["max_steps"] = int(steps)
    limit = f"{steps} steps" if steps is not None else f"budget {budget_s:g} s"
    params = entry.train(config, seed, 1e9 if steps is not None else budget_s, **kwargs)
    train_s = time.perf_counter() - start

    images, labels = icon_dataset(N_TEST, seed + TEST_SEED_OFFSET, "heldout")
    pred = entry.predict(params, images)
    heads = [name for name, _ in HEADS[target]]
    per_head = {name: float(np.mean(np.asarray(pred[name]) == labels[name])) for name in heads}
    all_right = np.ones(N_TEST, bool)
    for name in heads:
        all_right &= np.asarray(pred[name]) == labels[name]
    confusion = confusion_matrix(labels["verb"], np.asarray(pred["verb"]), grammar.N_VERBS)

    plot_curve(curve, out_dir / CURVE_PNG, target, limit)
    plot_confusion(confusion, out_dir / CONFUSION_PNG, per_head["verb"])
    trained_steps = int(curve[-1]["step"]) if curve else steps
    metrics = {
        "test_acc": float(all_right.mean()),
        **{f"test_acc_{name}": acc for name, acc in per_head.items()},
        "final_val_acc": curve[-1]["eval_acc"] if curve else None,
        "most_confused_verbs": most_confused(confusion, 3),
    }
    config = {
        "target": target,
        "budget_s": None if steps is not None else budget_s,
        "steps": trained_steps,
        "train_wall_s": round(train_s, 2),
        "test_icons": N_TEST,
        "test_seed": seed + TEST_SEED_OFFSET,
        "plots": [CURVE_PNG, CONFUSION_PNG],
    }
    return {"metrics": metrics, "config": config, "dataset_hash": test_set_hash(images, labels)}


def test_set_hash(images: np.ndarray, labels: dict[str, np.ndarray]) -> str:
    """sha256 of the scored icons and their labels: the same seed must give the same set."""
    digest = hashlib.sha256(np.ascontiguousarray(images).tobytes())
    for name in sorted(labels):
        digest.update(np.ascontiguousarray(labels[name]).tobytes())
    return digest.hexdigest()


def confusion_matrix(truth: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    """(k, k) counts; rows are true classes, columns predictions."""
    m = np.zeros((k, k), np.int64)
    np.add.at(m, (truth, pred), 1)
    return m


def most_confused(confusion: np.ndarray, n: int) -> list[dict]:
    off = confusion.copy()
    np.fill_diagonal(off, 0)
    pairs = np.argsort(off, axis=None)[::-1][:n]
    out = []
    for flat in pairs:
        t, p = np.unravel_index(flat, off.shape)
        if off[t, p]:
            out.append(
                {"true": grammar.VERBS[t], "predicted": grammar.VERBS[p], "count": int(off[t, p])}
            )
    return out


def plot_curve(curve: list[dict], path: Path, target: str, limit: str) -> None:
    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=120)
    if curve:
        t = [r["elapsed_s"] for r in curve]
        acc_line = ax.plot(t, [r["eval_acc"] for r in curve], "o-", ms=3, color="tab:blue",
                           label="validation accuracy")  # fmt: skip
        ax.set_ylim(0, 1)
        ax.set_xlim(left=0)  # the gap before the first point is icon generation and setup
        ax2 = ax.twinx()
        loss_line = ax2.plot(t, [r["loss"] for r in curve], "s-", ms=3, color="tab:orange",
                             alpha=0.7, label="training loss")  # fmt: skip
        ax2.set_ylabel("loss")
        lines = acc_line + loss_line
        ax.legend(lines, [line.get_label() for line in lines], loc="center right", fontsize=8)
    else:
        ax.text(0.5, 0.5, "train() reported no progress rows", ha="center", va="center",
                transform=ax.transAxes)  # fmt: skip
    ax.set_xlabel("seconds")
    ax.set_ylabel("accuracy")
    ax.set_title(f"tiny ViT, target {target!r}, {limit}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_confusion(confusion: np.ndarray, path: Path, accuracy: float) -> None:
    rates = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(6.4, 5.6), dpi=120)
    im = ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(grammar.VERBS)), grammar.VERBS, rotation=90, fontsize=7)
    ax.set_yticks(range(len(grammar.VERBS)), grammar.VERBS, fontsize=7)
    ax.set_xlabel("predicted verb")
    ax.set_ylabel("true verb")
    ax.set_title(f"verb confusion on held-out icons (top-1 {accuracy:.1%})", fontsize=10)
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
