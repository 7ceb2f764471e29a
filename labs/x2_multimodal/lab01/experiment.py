"""Lab 01's experiment: train a CLIP, then score it on held-out icons and draw what it learned.

`harness run lab-01` calls `run(out_dir, seed, entry, progress, steps=None)` with `entry` the
reference `clip_lab` or a learner's copy; everything it needs from the entry is the task
surface (`train`, `embed_images`, `embed_texts`). Writes into out_dir:

  recall.md          image->text and text->image Recall@1/5/10 and median rank, zero-shot verbs
  similarity.png     cosine similarities of held-out icons against their texts
  nearest_texts.md   the five nearest texts of a few held-out icons
  nearest_texts.png  the same icons with their top three texts
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np

from labs.x2_multimodal.lab01 import retrieval
from labs.x2_multimodal.lab01.data import (
    IconSet,
    distinct_texts,
    make_icon_set,
    texts_of_verb,
    verb_names,
    verb_prompts,
)
from labs.x2_multimodal.lab01.train import Progress

EVAL_SEED_OFFSET = 1_000_003  # held-out icons never share a seed with the training pool
N_EVAL = 1500
DEFAULT_BUDGET_S = 300.0


def _progress_adapter(
    progress: Callable[[dict], None] | None, limit: dict
) -> Callable[[Progress], None] | None:
    """Progress rows for `harness run`; `limit` is {"total_steps": n} or {"budget_s": s}."""
    if progress is None:
        return None
    return lambda p: progress(
        {
            "step": p.step,
            "elapsed_s": p.elapsed_s,
            "loss": p.loss,
            "logit_scale": math.exp(p.log_scale),
            "done": p.done,
            **limit,
        }  # fmt: skip
    )


def evaluate(entry: ModuleType, model, held_out: IconSet) -> tuple[dict, np.ndarray, np.ndarray]:
    """Retrieval and zero-shot metrics; returns (metrics, image embeddings, text embeddings)."""
    texts = distinct_texts()
    img = np.asarray(entry.embed_images(model, held_out.images), dtype=np.float64)
    txt = np.asarray(entry.embed_texts(model, texts), dtype=np.float64)
    metrics = retrieval.retrieval_metrics(img, txt, held_out.text_ids)
    metrics["n_texts"] = len(texts)
    metrics["n_held_out_icons"] = len(held_out.images)
    # Zero-shot verb classification, CLIP section 3.1: a prompt per class, nearest prompt wins.
    single = np.asarray(entry.embed_texts(model, verb_prompts()), dtype=np.float64)  # (20, E)
    metrics["zero_shot_verb_acc_one_prompt"], _ = retrieval.zero_shot_accuracy(
        img, single, held_out.verbs
    )
    # Prompt ensembling (CLIP section 3.1.4): average the unit embeddings of all of a verb's texts.
    ensemble = np.stack([txt[[texts.index(t) for t in texts_of_verb(v)]].mean(axis=0)
                         for v in range(len(verb_names()))])  # fmt: skip
    metrics["zero_shot_verb_acc_ensemble"], _ = retrieval.zero_shot_accuracy(
        img, ensemble, held_out.verbs
    )
    return metrics, img, txt


def temperature_table(
    img: np.ndarray, txt: np.ndarray, text_ids: np.ndarray, scales: list[float]
) -> list[dict]:
    """What the logit scale does to a trained model's image->text softmax over all texts.

    The ranking is the same at every scale (argmax ignores a positive factor); what changes is
    how much probability the true text gets and how much the runner-up texts keep, which is
    what decides how hard the loss pushes on the nearest negatives during training.
    """
    cos = img @ txt.T  # (N, T)
    rows = []
    for scale in scales:
        z = scale * cos
        z = z - z.max(axis=1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)  # (N, T)
        p_true = p[np.arange(len(p)), text_ids]
        entropy = -np.sum(p * np.log(np.maximum(p, 1e-300)), axis=1)
        rows.append({"scale": float(scale), "mean_p_true": float(p_true.mean()),
                     "loss": float(-np.log(np.maximum(p_true, 1e-300)).mean()),
                     "perplexity": float(np.exp(entropy).mean())})  # fmt: skip
    return rows


def write_recall_table(path: Path, metrics: dict, notes: dict, temperature: list[dict]) -> None:
    rows = ["| direction | R@1 | R@5 | R@10 | median rank |", "|---|---|---|---|---|"]
    for d, name in (("i2t", "image → text"), ("t2i", "text → image")):
        rows.append(
            f"| {name} | {metrics[f'{d}_R@1']:.3f} | {metrics[f'{d}_R@5']:.3f} | "
            f"{metrics[f'{d}_R@10']:.3f} | {metrics[f'{d}_median_rank']:.1f} |"
        )
    lines = [
        "# Lab 01 retrieval on held-out icons", "",
        f"{metrics['n_held_out_icons']} held-out icons against all {metrics['n_texts']} distinct "
        "verb-form texts.", "", *rows, "",
        f"Zero-shot verb classification (20 classes): one prompt per verb "
        f"{metrics['zero_shot_verb_acc_one_prompt']:.3f}, prompt ensemble "
        f"{metrics['zero_shot_verb_acc_ensemble']:.3f}.", "",
        "Image → text softmax over all texts at other logit scales (same embeddings, same "
        "ranking):", "",
        "| logit scale | mean p(true text) | cross-entropy | perplexity |", "|---|---|---|---|",
        *(f"| {r['scale']:.1f} | {r['mean_p_true']:.3f} | {r['loss']:.3f} | {r['perplexity']:.1f} |"
          for r in temperature),
        "", *(f"- {k}: {v}" for k, v in notes.items()), "",
    ]  # fmt: skip
    path.write_text("\n".join(lines), encoding="utf-8")


def plot_similarity(
    path: Path, img: np.ndarray, txt: np.ndarray, held_out: IconSet, n: int = 24
) -> None:
    """Heat map of n held-out icons (rows) against their own n texts (columns)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    texts = distinct_texts()
    # one icon for each of the first n texts that have a held-out icon, in text order
    rows, cols = [], []
    for t in range(len(texts)):
        found = np.flatnonzero(held_out.text_ids == t)
        if len(found):
            rows.append(found[0])
            cols.append(t)
        if len(rows) == n:
            break
    sims = img[rows] @ txt[cols].T  # (n, n)
    fig, ax = plt.subplots(figsize=(11, 9))
    im = ax.imshow(sims, cmap="viridis", vmin=-1, vmax=1)
    ax.set_xticks(range(len(cols)), [texts[c] for c in cols], rotation=70, ha="right", fontsize=7)
    ax.set_yticks(range(len(rows)), [f"icon of '{texts[c]}'" for c in cols], fontsize=7)
    ax.set_title("Cosine similarity, held-out icons × texts (diagonal = the true pairs)")
    fig.colorbar(im, ax=ax, shrink=0.8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def nearest_texts(
    img: np.ndarray, txt: np.ndarray, held_out: IconSet, picks: np.ndarray, k: int = 5
) -> list[dict]:
    texts = distinct_texts()
    out = []
    for i in picks:
        sims = txt @ img[i]  # (T,)
        order = np.argsort(-sims)[:k]
        out.append({"icon": int(i), "true_text": texts[held_out.text_ids[i]],
                    "nearest": [(texts[j], float(sims[j])) for j in order]})  # fmt: skip
    return out


def write_nearest(md_path: Path, png_path: Path, rows: list[dict], held_out: IconSet) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lines = ["# Nearest texts of held-out icons", "",
             "| icon | true text | nearest five (cosine) |", "|---|---|---|"]  # fmt: skip
    for r in rows:
        near = "; ".join(
            f"{'**' + t + '**' if t == r['true_text'] else t} ({s:.2f})" for t, s in r["nearest"]
        )
        lines.append(f"| {r['icon']} | {r['true_text']} | {near} |")
    md_path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    fig, axes = plt.subplots(1, len(rows), figsize=(2.4 * len(rows), 3.2))
    for ax, r in zip(np.atleast_1d(axes), rows, strict=True):
        ax.imshow(held_out.images[r["icon"]], cmap="gray")
        ax.set_axis_off()
        label = "\n".join(
            f"{'✓ ' if t == r['true_text'] else ''}{t} {s:.2f}" for t, s in r["nearest"][:3]
        )
        ax.set_title(label, fontsize=7)
    fig.suptitle("Held-out icons and their three nearest texts (✓ = the true text)", fontsize=9)
    fig.tight_layout()
    fig.savefig(png_path, dpi=110)
    plt.close(fig)


def run(
    out_dir: Path,
    seed: int,
    entry: ModuleType,
    progress: Callable[[dict], None] | None = None,
    steps: int | None = None,
    time_budget_s: float = DEFAULT_BUDGET_S,
) -> dict:
    """Train with `entry.train`, evaluate on held-out icons, write the outputs; return the result.

    With `steps` the run trains for exactly that many steps (no time budget), which is what
    `harness reproduce` asks for; otherwise it trains for `time_budget_s` seconds.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    budget = math.inf if steps is not None else time_budget_s
    model = entry.train(
        seed=seed,
        time_budget_s=budget,
        max_steps=steps,
        progress=_progress_adapter(
            progress, {"total_steps": steps} if steps is not None else {"budget_s": budget}
        ),
    )
    history = model.history
    held_out = make_icon_set(N_EVAL, seed=seed + EVAL_SEED_OFFSET, split="heldout")
    metrics, img, txt = evaluate(entry, model, held_out)
    # only what a re-run with the same seed and step count reproduces; seconds go in "config"
    metrics.update(
        train_steps=history.steps,
        final_loss=float(np.mean(history.losses[-50:])),
        logit_scale=math.exp(model.log_scale),
    )
    scales = [1.0, 5.0, 1 / 0.07, math.exp(model.log_scale), 100.0]
    temperature = temperature_table(img, txt, held_out.text_ids, sorted(set(scales)))
    metrics["temperature"] = temperature
    write_recall_table(out_dir / "recall.md", metrics,
                       {"seed": seed, "training steps": history.steps,
                        "training seconds": f"{history.elapsed_s:.0f}",
                        "final logit scale": f"{math.exp(model.log_scale):.1f}"},
                       temperature)  # fmt: skip
    plot_similarity(out_dir / "similarity.png", img, txt, held_out)
    picks = np.random.default_rng(seed).choice(len(held_out.images), size=6, replace=False)
    write_nearest(
        out_dir / "nearest_texts.md",
        out_dir / "nearest_texts.png",
        nearest_texts(img, txt, held_out, picks),
        held_out,
    )
    digest = hashlib.sha256(held_out.images.tobytes()).hexdigest()[:16]
    config = {
        "seed": seed,
        "steps": history.steps,
        "n_eval": N_EVAL,
        "train_seconds": round(history.elapsed_s, 1),
        "stopped_by": history.stopped_by,
    }
    return {"metrics": metrics, "config": config, "dataset_hash": digest}
