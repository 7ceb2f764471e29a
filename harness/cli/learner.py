"""`harness learner add|list`."""

from __future__ import annotations

import click

from harness.cli import main
from harness.cli.common import Context, echo_json, json_option
from harness.learners import (
    chapter_dir,
    create_folders,
    last_learner,
    remember_learner,
    validate_name,
)


@main.group()
def learner() -> None:
    """Add and list learners."""


@learner.command("add")
@click.argument("name")
@click.pass_obj
def learner_add(ctx: Context, name: str) -> None:
    """Create learner NAME, their folder and their copies of the starter stubs."""
    validate_name(name)
    created = ctx.store.add_learner(name)
    copied = create_folders(name, ctx.chapter)
    where = chapter_dir(name, ctx.chapter)
    remember_learner(ctx.db_path, name)  # the learner just added is who you work as next
    click.echo(f"{'added' if created else 'already there:'} {name} -> {where}")
    for path in copied:
        click.echo(f"  starter {path.relative_to(where)}")


@learner.command("list")
@json_option
@click.pass_obj
def learner_list(ctx: Context, as_json: bool) -> None:
    """List the learners in the database."""
    names = ctx.store.learners()
    if as_json:
        last = last_learner(ctx.db_path)
        echo_json(
            {
                "learners": [
                    {"name": n, "folder": str(chapter_dir(n, ctx.chapter)), "last_used": n == last}
                    for n in names
                ]
            }
        )
        return
    if not names:
        click.echo("no learners yet; add one with `harness learner add NAME`")
    for name in names:
        click.echo(name)
