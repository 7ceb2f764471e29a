"""What every command shares: the store, the chapter, the learner, and clean errors."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import click

from harness.chapter import Chapter, ManifestError, load_chapter
from harness.learners import DEFAULT_LEARNER, LearnerNameError, create_folders, validate_name
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
        """The learner a command acts for: --learner, else $HARNESS_LEARNER, else the only one.

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
            return name
        if len(known) == 1:
            return known[0]
        if not known and create_default:
            self.store.add_learner(DEFAULT_LEARNER)
            create_folders(DEFAULT_LEARNER, self.chapter)
            click.echo(f"(created the default learner '{DEFAULT_LEARNER}')", err=True)
            return DEFAULT_LEARNER
        raise click.ClickException(
            f"{len(known)} learners exist ({', '.join(known)}); pick one with --learner NAME "
            "or set HARNESS_LEARNER"
        )


def user_error(exc: BaseException) -> click.ClickException:
    text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
    return click.ClickException(str(text))
