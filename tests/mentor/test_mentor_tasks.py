"""Per-task progress for a whole cohort agrees with harness.progress, learner by learner."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from harness.cohort import tasks
from harness.progress import chapter_progress
from harness.store import CheckResult, Store

TASKS = ["patchify", "layernorm", "attention"]

result = st.tuples(
    st.sampled_from(TASKS + [None]),
    st.sampled_from(["pass", "fail", "error"]),
    st.sampled_from(["", None, "max abs error 0.3"]),
)
check = st.tuples(
    st.sampled_from(["lab-00", "lab-01"]),
    st.sampled_from([None, "patchify", "attention"]),  # the run's scope
    st.sampled_from(["pass", "fail", "timeout", "crashed", "cancelled"]),
    st.sampled_from(["learner", "reference"]),
    st.sampled_from(["", None, "the file does not import"]),
    st.lists(result, max_size=4),
)


# The first failing check's message is the task's, even when it is empty.
FIRST_MESSAGE = [[("lab-00", None, "fail", "learner", "run", [
    ("patchify", "fail", None), ("patchify", "fail", "second"), ("layernorm", "fail", ""),
    ("layernorm", "error", "later")])]]  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cohort=st.lists(st.lists(check, max_size=8), min_size=1, max_size=3))
@example(cohort=FIRST_MESSAGE)
def test_cohort_progress_equals_chapter_progress(chapter, cohort):
    store = Store.memory()
    names = [f"l{i}" for i in range(len(cohort))]
    for name, checks in zip(names, cohort, strict=True):
        store.add_learner(name)
        for lab, scope, status, impl, message, results in checks:
            store.record_check_run(
                learner=name,
                lab_id=lab,
                impl=impl,
                task=scope,
                status=status,
                message=message,
                results=[CheckResult(f"t{i}", t, s, m) for i, (t, s, m) in enumerate(results)],
            )
    got = tasks.read(store, chapter).progress
    assert list(got) == names
    for name in names:
        assert got[name] == chapter_progress(store, chapter, name)
    store.close()
