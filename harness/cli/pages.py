"""`harness status`, `harness read ITEM`, `harness next`."""

from __future__ import annotations

import click
from rich.console import Console
from rich.markdown import Markdown

from harness.cli import main
from harness.cli.common import Context
from harness.progress import DONE, LOCKED, compute_status, next_step

MARKS = {DONE: "[x]", "unlocked": "[ ]", LOCKED: "[-]"}


@main.command()
@click.option("--learner", "name", help="Learner (default: the only one, or $HARNESS_LEARNER).")
@click.pass_obj
def status(ctx: Context, name: str | None) -> None:
    """Read order with done/unlocked/locked, labs, quiz best and reflections."""
    learner = ctx.learner(name)
    st = compute_status(ctx.store, ctx.chapter, learner)
    ch = ctx.chapter
    click.echo(f"{ch.id} — {ch.title}   learner: {learner}   {st.fraction_done:.0%} done")
    click.echo("\nRead order   [x] done  [ ] unlocked  [-] locked")
    for s in st.items:
        why = f"  (after {', '.join(s.waiting_for)})" if s.state == LOCKED else ""
        click.echo(f"  {MARKS[s.state]} {s.item.id:<10} {s.item.title}{why}")
    click.echo("\nLabs")
    for lab in st.labs:
        last = (
            "never checked"
            if lab.last_status is None
            else (f"{lab.last_status} ({lab.passed} passed, {lab.failed} failed) at {lab.at[:16]}")
        )
        click.echo(f"  {lab.lab_id:<10} {last}")
    best = "not attempted" if st.quiz_best is None else f"best {st.quiz_best:.0%}"
    click.echo(
        f"\nQuiz {ch.quiz_id}: {best}, {st.quiz_attempts} attempt(s), pass mark {ch.pass_mark:.0%}"
    )
    click.echo("\nDefinition of Done")
    for entry in st.dod:
        click.echo(f"  {'[x]' if entry.done else '[ ]'} {entry.label}: {entry.detail}")
    if st.feedback:
        click.echo("\nMentor feedback")
        for fb in st.feedback:
            click.echo(f"  {fb['at'][:16]} {fb['mentor']} on {fb['target']}: {fb['text']}")
    command, reason = next_step(st, ch)
    click.echo(f"\nNext: {command}  — {reason}")


@main.command()
@click.argument("item_id", metavar="ITEM")
@click.option("--learner", "name", help="Learner (default: the only one, or $HARNESS_LEARNER).")
@click.option("--no-complete", is_flag=True, help="Show the page without marking it done.")
@click.pass_obj
def read(ctx: Context, item_id: str, name: str | None, no_complete: bool) -> None:
    """Render page ITEM (e.g. theory-01) in the terminal and record it as read."""
    learner = ctx.learner(name)
    item = ctx.chapter.item(item_id)
    st = compute_status(ctx.store, ctx.chapter, learner)
    state = next(s for s in st.items if s.item.id == item.id)
    ctx.store.record_page(learner, item.id, "opened")
    Console().print(Markdown(item.path.read_text(encoding="utf-8")))
    if state.state == LOCKED:
        click.echo(
            f"\n(locked until {', '.join(state.waiting_for)} is done: shown, not marked as read)"
        )
    elif not no_complete:
        ctx.store.record_page(learner, item.id, "completed")
        click.echo(f"\nmarked {item.id} as read")


@main.command("next")
@click.option("--learner", "name", help="Learner (default: the only one, or $HARNESS_LEARNER).")
@click.pass_obj
def next_(ctx: Context, name: str | None) -> None:
    """Say the next thing to do, and why."""
    learner = ctx.learner(name)
    command, reason = next_step(compute_status(ctx.store, ctx.chapter, learner), ctx.chapter)
    click.echo(f"{command}\n  {reason}")
