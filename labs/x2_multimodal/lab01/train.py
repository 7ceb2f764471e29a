"""Batches of distinct texts and a training loop with a time budget and a progress callback.

The loop knows nothing about CLIP: it asks `sample` for a batch and `step` for a loss, and stops
at whichever comes first of `max_steps` and `time_budget_s` of wall-clock time (the machine is
shared, so a budget in seconds is what a learner can plan around; the step count is reported).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from labs.x2_multimodal.lab00.blas_threads import blas_threads


@dataclass
class TrainConfig:
    batch_size: int = 128  # distinct texts per batch, so at most the universe's size
    lr: float = 3e-3
    min_lr_ratio: float = 0.05
    warmup_steps: int = 20
    weight_decay: float = 0.05
    n_train: int = 12_000  # icons generated once; batches draw from this pool


def cosine_lr(
    base: float, step: int, warmup_steps: int, fraction: float, min_ratio: float
) -> float:
    """Linear warmup over steps, then cosine decay over the fraction of the budget used."""
    if step < warmup_steps:
        return base * (step + 1) / warmup_steps
    cosine = 0.5 * (1.0 + math.cos(math.pi * min(fraction, 1.0)))
    return base * (min_ratio + (1.0 - min_ratio) * cosine)


@dataclass
class Progress:
    """What the callback sees after every `report_every` steps, and once at the end."""

    step: int
    elapsed_s: float
    loss: float  # mean loss since the previous report
    log_scale: float
    done: bool = False


@dataclass
class History:
    steps: int = 0
    elapsed_s: float = 0.0
    losses: list[float] = field(default_factory=list)  # one per step
    stopped_by: str = ""  # "time_budget", "max_steps" or "target"


class DistinctTextSampler:
    """Draws batches of icons whose texts are pairwise different.

    Why not let duplicates in and give the loss several positives? Two forms can share a text
    ("I read" and "you read" are each a present and a past form), and with plain InfoNCE two
    icons of the same text in one batch would each be pushed *away* from the other copy of
    their own text: a false negative that asks the model to tell identical strings apart, which
    it cannot. A multi-positive loss would fix that but change the gradient the learner
    derives. Sampling distinct texts keeps the textbook loss exact, and with 298 texts and
    batches of at most that many it costs nothing: every text still appears, with each of its
    forms' icons, over the course of training.
    """

    def __init__(self, text_of_icon: np.ndarray, batch_size: int, seed: int):
        text_of_icon = np.asarray(text_of_icon)
        self.texts = np.unique(text_of_icon)
        if batch_size > len(self.texts):
            raise ValueError(
                f"batch_size={batch_size} exceeds the {len(self.texts)} distinct texts in the "
                "training pool; a batch of distinct texts cannot be larger"
            )
        self.batch_size = batch_size
        self.groups = {int(t): np.flatnonzero(text_of_icon == t) for t in self.texts}
        self.rng = np.random.default_rng(seed)

    def __call__(self) -> np.ndarray:
        """Indices (batch_size,) into the pool, one icon per text, no text twice."""
        texts = self.rng.choice(self.texts, size=self.batch_size, replace=False)
        return np.array([self.rng.choice(self.groups[int(t)]) for t in texts])


def fit(
    step: Callable[[np.ndarray, float], tuple[float, float]],
    sample: Callable[[], np.ndarray],
    time_budget_s: float,
    max_steps: int | None = None,
    progress: Callable[[Progress], None] | None = None,
    report_every: int = 50,
    threads: int | None = 1,
    stop: Callable[[], bool] | None = None,
    check_every: int = 25,  # a recall on 300 icons costs about one step: asking often is cheap
) -> History:
    """Run `step(sample(), fraction)` until the budget runs out, or `stop()` (asked every
    `check_every` steps) says the model is good enough.

    `fraction` is how much of the budget is used (elapsed time or steps, whichever is further
    along) so a learning-rate schedule can follow it; `step` returns (loss, log_scale).
    BLAS runs on `threads` threads meanwhile (see lab00/blas_threads.py for why one is the default).
    """
    with blas_threads(threads):
        return _fit(
            step, sample, time_budget_s, max_steps, progress, report_every, stop, check_every
        )


def _fit(
    step, sample, time_budget_s, max_steps, progress, report_every, stop=None, check_every=25
) -> History:
    history = History()
    start = time.perf_counter()
    since_report: list[float] = []
    log_scale = float("nan")
    while True:
        elapsed = time.perf_counter() - start
        if max_steps is not None and history.steps >= max_steps:
            history.stopped_by = "max_steps"
            break
        if elapsed >= time_budget_s:
            history.stopped_by = "time_budget"
            break
        fraction = elapsed / time_budget_s
        if max_steps:
            fraction = max(fraction, history.steps / max_steps)
        loss, log_scale = step(sample(), fraction)
        history.losses.append(loss)
        since_report.append(loss)
        history.steps += 1
        if stop is not None and history.steps % check_every == 0 and stop():
            history.stopped_by = "target"
            break
        if progress is not None and history.steps % report_every == 0:
            progress(Progress(history.steps, elapsed, float(np.mean(since_report)), log_scale))
            since_report = []
    history.elapsed_s = time.perf_counter() - start
    if progress is not None:
        recent = since_report or history.losses[-1:] or [float("nan")]
        last = float(np.mean(recent))
        progress(Progress(history.steps, history.elapsed_s, last, log_scale, done=True))
    return history


def recall_stop(
    model, embed_images, embed_texts, texts: list[str], target: float, seed: int, n: int = 300
) -> Callable[[], bool]:
    """A `stop` for `fit`: true once image->text R@1 on `n` held-out icons of the training
    seed's own (never a check's) reaches `target`. The embed functions are the lab's."""
    from labs.x2_multimodal.lab01.data import make_icon_set

    icons = make_icon_set(n, seed=seed + 2, split="heldout")

    def reached() -> bool:
        sims = embed_images(model, icons.images) @ embed_texts(model, texts).T  # (n, T)
        return float(np.mean(np.argmax(sims, axis=1) == icons.text_ids)) >= target

    return reached
