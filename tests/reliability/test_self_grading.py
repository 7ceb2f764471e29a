"""A learner cannot grade themselves: the checks run from the installed harness, and the
learner's code runs in a worker process whose monkeypatching stays in that process."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from harness.grading.checks import run_checks

LEARNER_FILES = Path(__file__).with_name("learner_files")
PASSING_INI = """[pytest]
addopts = -p no:harness.grading.plugin
python_files = nothing_matches_*.py
"""


def test_conftest_pytest_ini_monkeypatching_and_a_fake_results_json_change_nothing(
    chapter, store, learner, tmp_path
):
    # The learner's toy.py returns x + 1, and at import time replaces numpy.allclose,
    # numpy.testing.assert_allclose and harness.grading.checking.expect_close/expect_shape, and
    # writes a passing results.json beside itself.
    folder = learner("monkeypatch")
    # A conftest.py that turns every failure into a pass, and a pytest.ini that would drop
    # the harness plugin: in the lab folder, the chapter folder and the learners root.
    for where in (folder, folder.parent, tmp_path / "learners"):
        shutil.copyfile(LEARNER_FILES / "conftest_for_learner.py", where / "conftest.py")
        (where / "pytest.ini").write_text(PASSING_INI)

    outcome = run_checks(chapter, "lab-00", learner="ana", store=store)

    assert outcome.status == "fail", outcome.message
    run = store.last_check_run("ana", "lab-00")
    assert run["status"] == "fail" and run["passed"] == 0 and run["failed"] == 2
    messages = [r["message"] for r in store.check_results(run["id"])]
    assert all("values differ" in m for m in messages), messages
    results = json.loads((folder / "results.json").read_text())
    assert results["status"] == "fail" and len(results["tests"]) == 2


def test_re_exporting_the_reference_does_not_pass(chapter, store, learner):
    learner("reexport_reference")
    outcome = run_checks(chapter, "lab-00", learner="ana", store=store)
    assert outcome.status == "fail" and outcome.passed == 0, outcome.message
    assert all("is not written in your file" in r.message for r in outcome.results)
