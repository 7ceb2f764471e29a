"""Misbehaving learner code through the real path: `run_checks` with a store on a tmp file.

Each learner file in `learner_files/` is installed as learner ana's `toy.py` for the toy lab
(`toylab/`), whose checks give each call 3 s. Whatever the file does, the harness survives,
the run is recorded, and nothing counts as a pass that should not.
"""

from __future__ import annotations

import json
import time

import pytest

from harness.grading import isolation
from harness.grading.checks import run_checks
from harness.grading.runs import run_lab
from harness.store import Store


def check(chapter, store):
    outcome = run_checks(chapter, "lab-00", learner="ana", store=store)
    run = store.last_check_run("ana", "lab-00")
    assert run is not None and run["id"] == outcome.run_id, "every run is recorded"
    return outcome, run, store.check_results(outcome.run_id)


# file, kind in results.json, words the recorded message must hold
FAULTS = [
    ("loop", "timeout", ["timed out", "no answer within 3 s"]),
    ("alloc_10gb", "memory", ["ran out of memory", "memory cap"]),
    ("os_exit", "crashed", ["crashed", "exited with code 3", "about to leave"]),
    ("segfault", "crashed", ["crashed", "SIGSEGV", "about to read address 0"]),
    ("sys_exit0", "raised", ["sys.exit(0)"]),
    ("syntax_error", "import", ["could not import", "SyntaxError", "line 4"]),
    ("nan", None, ["NaN", "non-finite"]),
]


@pytest.mark.parametrize("name, kind, words", FAULTS, ids=[f[0] for f in FAULTS])
def test_a_misbehaving_learner_fails_with_a_plain_message(
    chapter, store, learner, name, kind, words
):
    learner(name)
    started = time.monotonic()
    outcome, run, rows = check(chapter, store)
    assert time.monotonic() - started < 40, "the harness stayed responsive"
    assert outcome.status == run["status"] == "fail"
    assert run["passed"] == 0 and {r["status"] for r in rows} == {"fail"}
    for word in words:
        assert word in rows[0]["message"], rows[0]["message"]
    results = json.loads(outcome.results_json.read_text())
    assert results["status"] == "fail"
    kinds = [t["kind"] for t in results["tests"]]
    assert kinds[0] == kind
    if kind == "timeout":  # one timeout per task: the task's other checks are not run
        assert set(kinds[1:]) <= {"not_run"} and "one timeout per task" in rows[1]["message"]
        assert time.monotonic() - started < 15, "the second check did not wait for a timeout"
    else:
        assert set(kinds) == {kind}


def test_a_fork_that_outlives_its_call_is_ended(chapter, store, learner, lingering):
    learner("fork_orphan")
    outcome, run, _ = check(chapter, store)
    assert outcome.status == "pass"  # a fork past the audit hook is not wrong; lingering is
    assert not lingering()


def test_starting_a_process_from_python_is_refused_while_graded(chapter, store, learner, lingering):
    learner("fork_python")
    outcome, run, rows = check(chapter, store)
    assert outcome.status == "fail"
    assert "may not start processes while it is graded" in rows[0]["message"]
    assert not lingering()


def test_a_worker_that_dies_while_its_fork_holds_the_pipe_is_a_crash_not_a_hang(
    chapter, store, learner, lingering
):
    learner("fork_then_exit")
    outcome, run, rows = check(chapter, store)
    assert outcome.status == "fail"
    # noticed when the worker died, not when the 3 s call limit ran out
    assert "crashed" in rows[0]["message"] and "timed out" not in rows[0]["message"]
    assert not lingering()


def test_50_mb_of_printing_is_capped_and_the_result_recorded(chapter, store, learner):
    learner("print_50mb")
    outcome, run, rows = check(chapter, store)
    assert outcome.status == run["status"] == "pass"
    assert len(run["output_tail"] or "") < 10_000
    assert outcome.results_json.stat().st_size < 100_000


def test_learner_code_that_kills_the_grader_cannot_pass_and_leaves_nothing(
    chapter, store, learner, lingering
):
    learner("kill_grader")
    outcome, run, rows = check(chapter, store)
    if isolation.detect().sandboxed:  # its parent in the sandbox is bwrap's init: it survives
        assert outcome.status == run["status"] == "fail" and "timed out" in rows[0]["message"]
    else:
        assert outcome.status == run["status"] == "crashed"
        assert "SIGKILL" in outcome.message
    assert not lingering(), "the orphaned worker ended itself"


def test_learner_code_that_interrupts_the_grader_cannot_pass(chapter, store, learner):
    learner("interrupt_grader")
    outcome, run, _ = check(chapter, store)
    assert run["status"] != "pass"


def test_cli_check_of_a_segfaulting_learner_says_so_plainly(cli, toy_env, chapter, store, learner):
    learner("segfault")
    store.close()
    proc = cli("check", "lab-00", "--learner", "ana")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "FAIL" in proc.stdout and "SIGSEGV" in proc.stdout
    assert "segmentation fault" in proc.stdout
    run = Store(toy_env["HARNESS_DB"]).last_check_run("ana", "lab-00")
    assert run["status"] == "fail" and run["failed"] == 2


def test_harness_run_of_a_hanging_experiment_ends_as_timeout(chapter, store, learner, tmp_path):
    learner("hang_train")
    started = time.monotonic()
    outcome = run_lab(
        chapter, "lab-00", learner="ana", store=store, timeout_s=3, root=tmp_path / "experiments"
    )
    assert time.monotonic() - started < 15
    assert outcome.status == "timeout"
    assert "time limit" in outcome.message
    assert store.last_run("ana", "lab-00")["status"] == "timeout"
    manifest = (outcome.run_dir / "manifest.yaml").read_text()
    assert "status: timeout" in manifest
