"""MISTAKE: train ignores config['max_steps']

task: train
caught_by: test_train_honours_max_steps_and_repeats_itself
gate: fast
why: `harness run --steps` and `harness reproduce` set max_steps to make a run repeatable;
  training until the time budget ends makes every run different and slow.
hint: stop after config['max_steps'] optimizer steps when the key is there.
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab00.mistakes.alt_explicit_heads import *  # noqa: F403 (base)

# === task: train


def _more_steps(step, max_steps, start, time_budget_s):
    return time.perf_counter() - start < time_budget_s - 15
