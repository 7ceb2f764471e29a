"""`harness tui` through click's CliRunner, with the app's run() replaced by a recorder."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from harness.cli import main
from harness.tui.app import HarnessApp


@pytest.fixture
def launched(monkeypatch, tmp_path):
    """Record the app `harness tui` builds instead of taking over the terminal."""
    apps: list[HarnessApp] = []
    monkeypatch.setattr(HarnessApp, "run", lambda self, *a, **k: apps.append(self))
    monkeypatch.setenv("HARNESS_LEARNERS", str(tmp_path / "learners"))
    monkeypatch.delenv("HARNESS_LEARNER", raising=False)
    return apps


def invoke(tmp_path, *args: str):
    return CliRunner().invoke(main, ["--db", str(tmp_path / "progress.db"), *args])


def test_tui_help_names_the_option(tmp_path):
    result = invoke(tmp_path, "tui", "--help")
    assert result.exit_code == 0
    assert "--learner" in result.output and "TUI" in result.output


def test_first_start_creates_the_default_learner(tmp_path, launched):
    result = invoke(tmp_path, "tui")
    assert result.exit_code == 0, result.output
    assert "created the default learner 'learner'" in result.output
    assert launched[0].learner == "learner"
    assert (tmp_path / "learners" / "learner" / "extension-X2").is_dir()


def test_a_named_learner_must_exist(tmp_path, launched):
    result = invoke(tmp_path, "tui", "--learner", "zed")
    assert result.exit_code != 0
    assert "unknown learner 'zed'" in result.output
    assert launched == []


def test_several_learners_without_a_choice_open_the_picker(tmp_path, launched):
    for name in ("ana", "bo"):
        assert invoke(tmp_path, "learner", "add", name).exit_code == 0
    (tmp_path / "progress.db.last-learner").unlink()  # as if no one had been chosen yet
    assert invoke(tmp_path, "tui").exit_code == 0
    assert launched[-1].learner is None  # the app asks
    assert invoke(tmp_path, "tui", "--learner", "bo").exit_code == 0
    assert launched[-1].learner == "bo"


def test_the_last_learner_used_is_the_default(tmp_path, launched):
    for name in ("ana", "bo"):
        assert invoke(tmp_path, "learner", "add", name).exit_code == 0
    assert invoke(tmp_path, "status", "--learner", "ana").exit_code == 0
    assert invoke(tmp_path, "tui").exit_code == 0
    assert launched[-1].learner == "ana"
    launched[-1].set_learner("bo")  # picked inside the app: remembered for next time
    assert invoke(tmp_path, "tui").exit_code == 0
    assert launched[-1].learner == "bo"


def test_an_app_that_ended_with_an_error_is_a_failing_exit(tmp_path, monkeypatch):
    """Textual sets return_code 1 when the app dies of an exception; the shell must see it."""

    def crashed(self, *args, **kwargs):
        self._return_code = 1

    monkeypatch.setattr(HarnessApp, "run", crashed)
    monkeypatch.setenv("HARNESS_LEARNERS", str(tmp_path / "learners"))
    monkeypatch.delenv("HARNESS_LEARNER", raising=False)
    assert invoke(tmp_path, "tui").exit_code == 1
