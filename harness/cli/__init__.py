"""The `harness` command line: a thin client over the store, chapter, checks and quiz.

Each command group lives in its own module and registers itself on `main`.
"""

from __future__ import annotations

import importlib
import inspect
import sqlite3
import sys
from pathlib import Path

import click

from harness.cli.common import USER_ERRORS, Context, user_error
from harness.paths import default_db_path


def summary_line(command: click.Command) -> str:
    """A command's first paragraph, whole: click's own short help stops at the first '.',
    which cuts 'Take quiz QUIZ_ID (e.g. X2)' at '(e.g.'."""
    if command.short_help:
        return command.short_help
    text = inspect.cleandoc(command.help or "")
    return " ".join(text.split("\n\n")[0].split())


class _Group(click.Group):
    """Turns the errors a user can cause into one clear line instead of a traceback, and lists
    its commands with their whole summary, wrapped rather than cut."""

    group_class = type  # subgroups (`harness learner`, `harness mentor`) behave the same

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, summary_line(command)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.ClickException:
            raise
        except BrokenPipeError:  # `harness ... | head` closed the pipe: not an error
            sys.stderr.close()
            raise SystemExit(0) from None
        except sqlite3.OperationalError as exc:
            raise click.ClickException(
                f"the progress database is busy or locked ({exc}); another harness process "
                "may hold it: try again in a moment"
            ) from None
        except sqlite3.DatabaseError as exc:
            db = ctx.obj.db_path if isinstance(ctx.obj, Context) else "the database"
            raise click.ClickException(
                f"{db} is damaged ({exc}). Run `harness doctor`, then move it aside "
                f"(mv {db} {db}.broken) and restore a backup ({db}.bak-*)"
            ) from None
        except USER_ERRORS as exc:
            raise user_error(exc) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="HARNESS_DB",
    help="Progress database (default learners/progress.db; env HARNESS_DB).",
)
@click.version_option(package_name="x2-harness")
@click.pass_context
def main(ctx: click.Context, db: Path | None) -> None:
    """Chapter X2 — Multi-modal Models: read, build, check, quiz and reflect, offline."""
    ctx.obj = Context(db or default_db_path())


# Each command and the module that registers it. A module is imported when one of its
# commands is asked for (or when help lists them all), so `harness tui` starts without
# importing the quiz, review, mentor and records machinery (NumPy, FSRS, signing).
COMMANDS: dict[str, str] = {
    "check": "check",
    "data": "data",
    "doctor": "doctor",
    "export": "records",
    "hint": "hint",
    "import": "records",
    "learner": "learner",
    "mentor": "mentor",
    "next": "pages",
    "quiz": "quiz",
    "read": "pages",
    "reproduce": "run",
    "review": "review",
    "run": "run",
    "status": "pages",
    "tui": "tui",
    "watch": "watch",
}


def load_all_commands() -> click.Group:
    """Register every command on `main` (for tests and tools that walk `main.commands`)."""
    for module in sorted(set(COMMANDS.values())):
        importlib.import_module(f"harness.cli.{module}")
    return main


def _list_commands(ctx: click.Context) -> list[str]:
    return sorted(set(COMMANDS) | set(main.commands))


def _get_command(ctx: click.Context, name: str) -> click.Command | None:
    if name not in main.commands and name in COMMANDS:
        importlib.import_module(f"harness.cli.{COMMANDS[name]}")
    return main.commands.get(name)


# Only the top-level group is lazy; its subgroups (`harness learner`, ...) hold their own.
main.list_commands = _list_commands  # type: ignore[method-assign]
main.get_command = _get_command  # type: ignore[method-assign]
