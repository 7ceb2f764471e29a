"""What every command shares: the store, the chapter, the learner, clean errors, `--json`
and colour that respects NO_COLOR and pipes."""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from harness.chapter import Chapter, ManifestError, load_chapter
from harness.learners import (
    DEFAULT_LEARNER,
    LearnerNameError,
    create_folders,
    last_learner,
    remember_learner,
    validate_name,
)
from harness.store import Store, StoreError

# Errors a user can cause and fix; shown as one clear line, never a traceback.
USER_ERRORS = (ManifestError, StoreError, LearnerNameError, KeyError, ValueError, OSError)


@dataclass
class Context:
    db_path: Path
    _store: Store | None = None
    _chapter: Chapter | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.db_path)
        return self._store

    @property
    def chapter(self) -> Chapter:
        if self._chapter is None:
            self._chapter = load_chapter()
        return self._chapter

    def learner(self, name: str | None, *, create_default: bool = True) -> str:
        """The learner a command acts for: --learner, else $HARNESS_LEARNER, else the only
        one, else the one last used with this database.

        With no learners at all, the default learner is created so a first run just works.
        """
        name = name or os.environ.get("HARNESS_LEARNER")
        known = self.store.learners()
        if name:
            validate_name(name)
            if name not in known:
                raise click.ClickException(
                    f"unknown learner '{name}'; known: {', '.join(known) or 'none yet'} "
                    f"(add one with `harness learner add {name}`)"
                )
            remember_learner(self.db_path, name)
            return name
        if len(known) == 1:
            return known[0]
        if not known and create_default:
            self.store.add_learner(DEFAULT_LEARNER)
            create_folders(DEFAULT_LEARNER, self.chapter)
            click.echo(f"(created the default learner '{DEFAULT_LEARNER}')", err=True)
            return DEFAULT_LEARNER
        last = last_learner(self.db_path)
        if last in known:
            return last
        raise click.ClickException(
            f"{len(known)} learners exist ({', '.join(known)}); pick one with --learner NAME "
            "or set HARNESS_LEARNER (the one you pick is then the default)"
        )


def user_error(exc: BaseException) -> click.ClickException:
    text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
    return click.ClickException(str(text))


def error_text(exc: BaseException) -> str:
    if isinstance(exc, click.ClickException):
        return exc.format_message()
    return user_error(exc).format_message()


def json_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add `--json` to a read command: its answer becomes one JSON document on stdout, and so
    does any error ({"error": "..."}, exit status 1), so scripts never parse prose."""

    @functools.wraps(func)
    def wrapper(*args: Any, as_json: bool = False, **kwargs: Any) -> Any:
        try:
            return func(*args, as_json=as_json, **kwargs)
        except (click.ClickException, sqlite3.Error, *USER_ERRORS) as exc:
            if not as_json:
                raise
            click.echo(json.dumps({"error": error_text(exc)}))
            raise SystemExit(1) from None

    return click.option(
        "--json", "as_json", is_flag=True, help="Print one JSON document (errors too)."
    )(wrapper)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def use_colour(stream: Any = None) -> bool:
    """Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def paint(text: str, **style: Any) -> str:
    """`click.style` when colour is wanted, the plain text otherwise."""
    return click.style(text, **style) if use_colour() else text
