"""Copy similarity: a stub scores nothing, a renamed copy is still a copy, threads are safe."""

from __future__ import annotations

import ast
from concurrent.futures import ThreadPoolExecutor

from harness.chapter import load_chapter
from harness.grading.similarity import SIMILARITY_FLAG, task_similarity

LAB = load_chapter().lab("lab-00")


def test_an_untouched_starter_gets_no_score():
    assert task_similarity(LAB, LAB.starter_dir / "tiny_vit.py") == {}


def test_renaming_every_variable_does_not_hide_a_copy(tmp_path):
    nn = (LAB.package_dir / "nn.py").read_text()
    forward = next(
        n
        for n in ast.parse(nn).body
        if isinstance(n, ast.FunctionDef) and n.name == "layernorm_forward"
    )
    renamed = ast.unparse(forward).replace("layernorm_forward", "layernorm")
    for old, new in (("mu", "centre"), ("var", "spread"), ("xhat", "normed"), ("inv", "scale")):
        renamed = renamed.replace(old, new)
    learner = tmp_path / "tiny_vit.py"
    learner.write_text("import numpy as np\n\n\n" + renamed + "\n")
    assert task_similarity(LAB, learner, ["layernorm"])["layernorm"] >= SIMILARITY_FLAG


def test_scores_computed_in_many_threads_at_once_agree():
    """CPython 3.11's ast module is not thread-safe; checks run in threads (TUI, gate)."""
    with ThreadPoolExecutor(8) as pool:
        scores = list(pool.map(lambda _: task_similarity(LAB, LAB.reference_path), range(40)))
    assert all(s == scores[0] for s in scores) and scores[0]
