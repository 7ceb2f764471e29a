"""The learning package is data layer (no textual), and variant statistics per parameter."""

from __future__ import annotations

import subprocess
import sys

import pytest

from harness.learning.quiz import Attempt, load_bank
from harness.learning.variants import variant_stats
from harness.paths import QUIZZES_DIR
from harness.store import Store

BANK = load_bank(QUIZZES_DIR / "X2.yaml")


@pytest.mark.parametrize(
    "module",
    [
        "harness.learning.quiz",
        "harness.learning.variants",
        "harness.learning.review",
        "harness.learning.mastery",
        "harness.learning.reflections",
    ],
)
def test_the_learning_package_never_imports_textual(module):
    code = f"import sys, {module}; print('textual' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_variant_statistics_are_kept_per_item_and_per_parameter():
    store = Store.memory()
    store.add_learner("ana")
    rows = []
    for seed in range(12):
        attempt = Attempt.start(store, "ana", BANK, seed=seed, n=20, pass_mark=0.8)
        for p in attempt.questions:
            if p.params is not None:
                right = p.params.get("S", 0) != 224  # pretend 224-pixel variants are missed
                answer = repr(p.question.value) if right else repr(p.question.value + 999)
                attempt.answer(p.position, answer)
                rows.append((p.question.id, p.params, right))
        attempt.finish()
    stats = {(s.question_id, s.param, s.value): s for s in variant_stats(store, BANK)}
    for qid in {q for q, _, _ in rows}:
        mine = [r for r in rows if r[0] == qid]
        item = stats[(qid, "*", "all")]
        assert (item.answered, item.correct) == (len(mine), sum(r[2] for r in mine))
    s224 = [s for (q, p, v), s in stats.items() if p == "S" and v == "224"]
    assert s224 and all(s.correct == 0 for s in s224)
    assert all(s.proportion == 1.0 for (q, p, v), s in stats.items() if p == "S" and v != "224")
