"""`harness learner add|list`."""

from __future__ import annotations

import click

from harness.cli import main
from harness.cli.common import Context
from harness.learners import chapter_dir, create_folders, validate_name


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
    click.echo(f"{'added' if created else 'already there:'} {name} -> {where}")
    for path in copied:
        click.echo(f"  starter {path.relative_to(where)}")


@learner.command("list")
@click.pass_obj
def learner_list(ctx: Context) -> None:
    """List the learners in the database."""
    names = ctx.store.learners()
    if not names:
        click.echo("no learners yet; add one with `harness learner add NAME`")
    for name in names:
        click.echo(name)
