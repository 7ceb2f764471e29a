"""Every CLI command has --help text and appears in the README (as sqlite-utils does)."""

import click
import pytest
from click.testing import CliRunner

from harness.cli import main
from harness.paths import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def all_commands(group: click.Group = main, prefix: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        path = prefix + (name,)
        yield path, command
        if isinstance(command, click.Group):
            yield from all_commands(command, path)


COMMANDS = list(all_commands())


def test_the_cli_has_the_commands_the_issues_ask_for():
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {
        "learner add",
        "learner list",
        "status",
        "read",
        "next",
        "check",
        "run",
        "reproduce",
        "data icons",
    } <= names


@pytest.mark.parametrize("path, command", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_has_help_and_is_in_the_readme(path, command):
    assert (command.help or "").strip(), f"harness {' '.join(path)} has no help text"
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert f"harness {' '.join(path)}" in README, (
        f"README does not mention harness {' '.join(path)}"
    )
