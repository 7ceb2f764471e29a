"""Every CLI command has --help text and appears in the README (as sqlite-utils does)."""

import click
import pytest
from click.testing import CliRunner

from harness.cli import load_all_commands, main
from harness.paths import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def all_commands(group: click.Group | None = None, prefix: tuple[str, ...] = ()):
    group = group or load_all_commands()  # the top level imports its commands on demand
    for name, command in sorted(group.commands.items()):
        path = prefix + (name,)
        yield path, command
        if isinstance(command, click.Group):
            yield from all_commands(command, path)


COMMANDS = list(all_commands())
COMMANDS_BY_PATH = COMMANDS


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


def test_the_lazy_command_table_names_every_command_and_only_those():
    from harness.cli import COMMANDS

    registered = {path[0] for path, _ in COMMANDS_BY_PATH}
    assert registered == set(COMMANDS), "harness/cli/__init__.py COMMANDS is out of date"


def test_harness_tui_imports_only_its_own_command_module():
    import subprocess
    import sys

    code = (
        "import sys; from harness.cli import main; main.get_command(None, 'tui'); "
        "print(sorted(m for m in sys.modules if m.startswith('harness.cli.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['harness.cli.common', 'harness.cli.tui']", out.stdout
