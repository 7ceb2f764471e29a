"""`harness tui`: the learner's whole path through the chapter in one terminal app."""

from __future__ import annotations

import os

import click

from harness.cli import main
from harness.cli.common import Context
from harness.learners import last_learner, remember_learner


@main.command()
@click.option(
    "--learner",
    "name",
    help="Learner (default: the only one, $HARNESS_LEARNER or the last one used; else the "
    "app asks).",
)
@click.pass_obj
def tui(ctx: Context, name: str | None) -> None:
    """Open the TUI: read, run checks and training, take the quiz, write reflections."""
    known = ctx.store.learners()
    chosen = name or os.environ.get("HARNESS_LEARNER") or last_learner(ctx.db_path)
    if len(known) > 1 and chosen not in known:
        learner = None  # several learners and no choice yet: the app opens its picker
    else:
        learner = ctx.learner(name)
    from harness.tui.app import make_app  # textual only loads for this command

    app = make_app(
        store=ctx.store,
        chapter=ctx.chapter,
        learner=learner,
        on_learner=lambda picked: remember_learner(ctx.db_path, picked),
    )
    app.run()
    if app.return_code:  # the app crashed (Textual printed the traceback) or asked to fail
        raise SystemExit(app.return_code)
