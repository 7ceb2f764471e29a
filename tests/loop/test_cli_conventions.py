"""CLI conventions from issue 15: `--json` on the read commands (errors too), the last learner
used as the default, NO_COLOR and pipes, whole command summaries, honest quiz counts."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from harness.cli import main
from harness.store import CheckResult, Store


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_LEARNERS", str(tmp_path / "learners"))
    monkeypatch.setenv("HARNESS_DB", str(tmp_path / "progress.db"))
    monkeypatch.delenv("HARNESS_LEARNER", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)

    def run(*args: str, code: int = 0, **kwargs):
        result = CliRunner().invoke(main, list(args), **kwargs)
        assert result.exit_code == code, result.output
        return result

    run.db = tmp_path / "progress.db"
    return run


def test_status_and_next_speak_json(cli):
    cli("learner", "add", "ana")
    cli("read", "theory-00")
    doc = json.loads(cli("status", "--json").output)
    assert doc["learner"] == "ana"
    assert doc["read_order"][0] == {
        "id": "theory-00",
        "kind": "theory",
        "state": "done",
        "waiting_for": [],
    }
    lab00 = next(lab for lab in doc["labs"] if lab["id"] == "lab-00")
    assert lab00["tasks_done"] == 0 and lab00["tasks_total"] == 5
    assert lab00["next_task"] == "patchify"
    nxt = json.loads(cli("next", "--json").output)
    assert nxt["command"] == "harness read theory-01" == doc["next"]["command"]


def test_learner_list_speaks_json(cli):
    cli("learner", "add", "ana")
    cli("learner", "add", "bo")
    doc = json.loads(cli("learner", "list", "--json").output)
    assert [(x["name"], x["last_used"]) for x in doc["learners"]] == [
        ("ana", False),
        ("bo", True),
    ]


def test_errors_are_json_when_json_was_asked(cli):
    cli("learner", "add", "ana")
    result = cli("status", "--json", "--learner", "zoe", code=1)
    assert json.loads(result.output) == {
        "error": "unknown learner 'zoe'; known: ana (add one with `harness learner add zoe`)"
    }
    result = cli("check", "lab-9", "--last", "--json", code=1)
    assert "unknown lab 'lab-9'" in json.loads(result.output)["error"]


def test_two_learners_use_the_last_one_picked(cli):
    """Friction: `harness status`/`next` failed once there were two learners."""
    cli("learner", "add", "ana")
    cli("learner", "add", "bo")
    assert "learner: bo" in cli("status").output  # the one just added
    cli("next", "--learner", "ana")
    assert "learner: ana" in cli("status").output
    cli.db.with_name("progress.db.last-learner").unlink()
    assert "pick one with --learner NAME" in cli("status", code=1).output


def test_check_last_shows_tasks_in_the_labs_order_as_json(cli):
    cli("learner", "add", "ana")
    store = Store(cli.db)
    store.record_check_run(
        learner="ana",
        lab_id="lab-00",
        impl="learner",
        task=None,
        status="fail",
        results=[
            CheckResult("test_a_train", "train", "fail", "acc 0.1"),
            CheckResult("test_z_patch", "patchify", "pass"),
        ],
    )
    store.close()
    doc = json.loads(cli("check", "lab-00", "--last", "--json").output)
    assert [t["task"] for t in doc["last_check"]["tests"]] == ["patchify", "train"]
    assert doc["summary"] == "lab-00: 1/5 tasks, next: layernorm"
    text = cli("check", "lab-00", "--last").output
    assert text.index("test_z_patch") < text.index("test_a_train")


def test_abandoned_quiz_attempts_are_not_called_attempts(cli):
    """Bug 7: `Quiz X2: not attempted, 2 attempt(s)` after two abandoned attempts."""
    cli("learner", "add", "ana")
    store = Store(cli.db)
    for seed in (1, 2):
        attempt = store.start_quiz_attempt("ana", "X2", seed, 10)
        store.finish_quiz_attempt(attempt, None, None, status="abandoned")
    store.close()
    out = cli("status").output
    assert "Quiz X2: no finished attempt yet, 2 abandoned; pass mark 80%" in out
    assert "not attempted, 2 attempt(s)" not in out


def test_top_level_help_keeps_whole_summaries():
    """Bug 10: `harness --help` cut the quiz line at `(e.g.`."""
    out = CliRunner().invoke(main, ["--help"], terminal_width=100).output
    quiz_line = next(line for line in out.splitlines() if line.strip().startswith("quiz "))
    assert "(e.g. X2)" in quiz_line and not quiz_line.rstrip().endswith("(e.g.")
    commands = out[out.index("Commands:") :]
    assert "..." not in commands


def test_no_colour_on_a_pipe_or_with_no_color(cli, monkeypatch):
    cli("learner", "add", "ana")
    store = Store(cli.db)
    store.record_check_run(
        learner="ana",
        lab_id="lab-00",
        impl="learner",
        task="patchify",
        status="pass",
        results=[CheckResult("test_patch", "patchify", "pass")],
    )
    store.close()
    from harness.cli import common

    monkeypatch.setattr(common, "use_colour", lambda stream=None: True)
    assert "\x1b[" in cli("status", color=True).output  # a terminal gets colour ...
    monkeypatch.undo()
    monkeypatch.setenv("HARNESS_LEARNERS", str(cli.db.parent / "learners"))
    monkeypatch.setenv("HARNESS_DB", str(cli.db))
    assert "\x1b[" not in cli("status", color=True).output  # ... a pipe does not
    monkeypatch.setenv("NO_COLOR", "1")
    assert not common.use_colour()


def test_shell_completion_works_as_the_readme_says():
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    from harness.paths import REPO_ROOT

    assert "_HARNESS_COMPLETE=bash_source harness" in (REPO_ROOT / "README.md").read_text()
    harness = shutil.which("harness", path=str(Path(sys.executable).parent)) or "harness"
    env = dict(os.environ, _HARNESS_COMPLETE="bash_source")
    out = subprocess.run([harness], env=env, capture_output=True, text=True, timeout=60)
    assert "complete -o nosort -F" in out.stdout and "_harness_completion" in out.stdout


def fake_runner(monkeypatch):
    import harness.grading.checks as checks

    def run_checks(
        chapter, lab_id, *, learner=None, task=None, store=None, on_progress=None, **kwargs
    ):
        results = [
            CheckResult("test_train_acc", "train", "fail", "top-1 0.41 < 0.80"),
            CheckResult("test_patch_shapes", "patchify", "pass", "", 0.4),
        ]
        if on_progress is not None:
            for i, r in enumerate(reversed(results), start=1):
                on_progress(checks.CheckProgress(i, 2, r.name, r.task, None, i * 0.2))
                on_progress(checks.CheckProgress(i, 2, r.name, r.task, r.status, i * 0.3))
        run_id = store.record_check_run(
            learner=learner,
            lab_id=lab_id,
            impl="learner",
            task=task,
            status="fail",
            results=results,
        )
        return checks.CheckOutcome(
            lab_id, "learner", task, "fail", results, "1 failed", "", 0.7, None, run_id
        )

    monkeypatch.setattr(checks, "run_checks", run_checks)


def test_check_prints_each_test_as_it_ends(cli, monkeypatch):
    """Friction: a check said nothing for minutes. On a pipe: one line per finished test."""
    cli("learner", "add", "ana")
    fake_runner(monkeypatch)
    out = cli("check", "lab-00", code=1).output
    assert "PASS  [1/2]   0.3s  [patchify] test_patch_shapes" in out
    assert "FAIL  [2/2]   0.6s  [train] test_train_acc" in out
    assert "top-1 0.41 < 0.80" in out
    assert "lab-00: 1/5 tasks, next: layernorm" in out
    assert "your file:" in out and "tiny_vit.py" in out


def test_check_json_is_one_document_in_task_order(cli, monkeypatch):
    cli("learner", "add", "ana")
    fake_runner(monkeypatch)
    result = cli("check", "lab-00", "--json", code=1)
    doc = json.loads(result.stdout)
    assert doc["status"] == "fail" and doc["passed"] == 1
    assert [t["task"] for t in doc["tests"]] == ["patchify", "train"]
