"""`harness watch`: a failing task's output, then, once the right file is saved, the pass,
the reference solution beside the learner's code, and the next task, without a key."""

from __future__ import annotations

import threading

from click.testing import CliRunner

from harness.cli import main
from harness.store import CheckResult

RIGHT = "import numpy as np\n\n\ndef patchify(images, patch):\n    return 'right'\n"


def test_watch_rechecks_on_save_and_moves_on_after_a_pass(tmp_path, monkeypatch):
    import harness.grading.checks as checks

    learners = tmp_path / "learners"
    monkeypatch.setenv("HARNESS_LEARNERS", str(learners))
    monkeypatch.setenv("HARNESS_DB", str(tmp_path / "progress.db"))
    monkeypatch.delenv("HARNESS_LEARNER", raising=False)
    assert CliRunner().invoke(main, ["learner", "add", "ana"]).exit_code == 0
    path = learners / "ana" / "extension-X2" / "lab-00" / "tiny_vit.py"
    first_check = threading.Event()
    tasks = []

    def run_checks(chapter, lab_id, *, learner=None, task=None, store=None, **kwargs):
        tasks.append(task)
        ok = "'right'" in path.read_text()
        results = [
            CheckResult(
                "test_patch_values",
                "patchify",
                "pass" if ok else "fail",
                "" if ok else "NotImplementedError: patchify",
                0.01,
            )
        ]
        status = "pass" if ok else "fail"
        run_id = store.record_check_run(
            learner=learner,
            lab_id=lab_id,
            impl="learner",
            task=task,
            status=status,
            results=results,
        )
        first_check.set()
        return checks.CheckOutcome(
            lab_id, "learner", task, status, results, "", "", 0.1, None, run_id
        )

    monkeypatch.setattr(checks, "run_checks", run_checks)

    def save_the_right_file():
        assert first_check.wait(30)
        path.write_text(RIGHT)

    writer = threading.Thread(target=save_the_right_file, daemon=True)
    writer.start()
    result = CliRunner().invoke(
        main, ["watch", "lab-00", "--poll", "--solutions", "--exit-on-pass"]
    )
    writer.join(5)
    out = result.output
    assert result.exit_code == 0, out
    assert tasks == ["patchify", "patchify"]  # once at the start, once on the save
    assert "FAIL  test_patch_values" in out and "NotImplementedError: patchify" in out
    assert "✓ task patchify passes!" in out and "lab-00: 1/5 tasks, next: layernorm" in out
    assert "+++ reference" in out and "-    return 'right'" in out  # the solution, as a diff
    assert out.index("FAIL") < out.index("✓ task patchify passes!")
