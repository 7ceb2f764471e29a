"""`harness quiz` end to end through the real entry point, on a temporary database."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from quiz_helpers import bad_inputs, right_input, wrong_input

from harness.cli import main
from harness.learning.quiz import DEFAULT_N, draw
from harness.store import Store

HARNESS = shutil.which("harness", path=str(Path(sys.executable).parent)) or "harness"


@pytest.fixture
def env(tmp_path, monkeypatch):
    values = {
        "HARNESS_DB": str(tmp_path / "progress.db"),
        "HARNESS_LEARNERS": str(tmp_path / "learners"),
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("HARNESS_LEARNER", raising=False)
    Store(values["HARNESS_DB"]).add_learner("ana")
    return values


def _run(args, text=""):
    return CliRunner().invoke(main, args, input=text, catch_exceptions=False)


def _rows(env):
    store = Store(env["HARNESS_DB"])
    attempts = store.quiz_attempts("ana")
    return store, attempts


def test_help_text_names_the_options():
    result = _run(["quiz", "--help"])
    assert result.exit_code == 0
    for word in ("QUIZ_ID", "--learner", "--seed", "--questions", "Ctrl-C", "abandoned"):
        assert word in result.output


def test_unknown_quiz_id(env):
    result = CliRunner().invoke(main, ["quiz", "X9"])
    assert result.exit_code == 1
    assert "unknown quiz 'X9'; known: X2" in result.output


def test_a_full_passing_attempt_with_bad_input_asked_again(env, bank):
    drawn = draw(bank, seed=7, n=DEFAULT_N)
    lines = []
    for p in drawn:
        if p.position == 0:
            lines += bad_inputs(p)  # all refused, asked again
        lines.append(right_input(p) if p.position < 17 else wrong_input(p))
    result = _run(["quiz", "X2", "--seed", "7"], "\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    assert "seed 7" in result.output and "Score 17/20 = 85%" in result.output
    assert "PASSED (practice: does not count)" in result.output
    assert "To review:" in result.output
    assert "reread:" in result.output and "harness read theory-" in result.output
    store, attempts = _rows(env)
    assert [(a["status"], a["passed"], a["practice"]) for a in attempts] == [("finished", 1, 1)]
    assert len(store.quiz_answers(attempts[0]["id"])) == DEFAULT_N  # refusals not stored


def test_a_failing_attempt_lists_every_miss(env, bank):
    drawn = draw(bank, seed=2, n=9)
    text = "\n".join(wrong_input(p) for p in drawn) + "\n"
    result = _run(["quiz", "X2", "--seed", "2", "-n", "9"], text)
    assert result.exit_code == 0 and "Score 0/9 = 0%" in result.output
    assert "not passed yet" in result.output and result.output.count("(harness read") == 9
    assert "By outcome" in result.output and "held back" in result.output


def test_end_of_input_keeps_the_attempt_as_abandoned(env, bank):
    drawn = draw(bank, seed=4, n=DEFAULT_N)
    text = "\n".join(right_input(p) for p in drawn[:3]) + "\n"  # then EOF, like Ctrl-D
    result = _run(["quiz", "X2", "--seed", "4"], text)
    assert result.exit_code == 130
    assert "abandoned; 3 answer(s) kept" in result.output
    store, attempts = _rows(env)
    assert attempts[0]["status"] == "abandoned"
    assert len(store.quiz_answers(attempts[0]["id"])) == 3


def test_ctrl_c_keeps_the_attempt_as_abandoned(env, bank, monkeypatch):
    drawn = draw(bank, seed=4, n=DEFAULT_N)
    answers = iter([right_input(p) for p in drawn[:2]])

    def prompt(*args, **kwargs):
        try:
            return next(answers)
        except StopIteration:
            raise KeyboardInterrupt from None

    monkeypatch.setattr(click, "prompt", prompt)
    result = _run(["quiz", "X2", "--seed", "4"])
    assert result.exit_code == 130 and "abandoned; 2 answer(s) kept" in result.output
    store, attempts = _rows(env)
    assert attempts[0]["status"] == "abandoned"
    assert [a["correct"] for a in store.quiz_answers(attempts[0]["id"])] == [1, 1]


def test_the_installed_command_on_a_closed_stdin(env):
    proc = subprocess.run(
        [HARNESS, "quiz", "X2", "--seed", "1"],
        input="",
        text=True,
        capture_output=True,
        env=dict(os.environ, **env),
        timeout=60,
    )
    assert proc.returncode == 130, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "abandoned; 0 answer(s) kept" in proc.stdout


def test_too_few_questions_is_refused_before_anything_is_stored(env):
    result = CliRunner().invoke(main, ["quiz", "X2", "-n", "3"])
    assert result.exit_code == 1 and "needs between 9 questions" in result.output
    assert _rows(env)[1] == []
