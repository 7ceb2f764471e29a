"""MISTAKE: R@k counts ranks < k

task: retrieval
caught_by: test_retrieval_metrics_match_plain_loops
why: ranks are 1-based: R@1 is the share of queries whose answer ranks first (rank <= 1).
hint: R@k = mean(rank <= k).
"""
# ruff: noqa: F405 (np and the base's names come from its import below)

from __future__ import annotations

from labs.x2_multimodal.lab01.mistakes.alt_loops_and_logsumexp import *  # noqa: F403 (base)

# === task: retrieval


def _recalls(name, ranks, ks):
    out = {f"{name}_R@{k}": float((ranks < k).mean()) for k in ks}
    out[f"{name}_median_rank"] = float(np.median(ranks))
    return out
