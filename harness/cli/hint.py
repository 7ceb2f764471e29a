"""`harness hint LAB [--task ID] [--learner NAME] [--all]`: the next graded hint of a task."""

from __future__ import annotations

import click

from harness.cli import main
from harness.cli.common import Context, echo_json, json_option
from harness.learning.hints import LEVELS, HintsError, reveal
from harness.progress import lab_progress


def _default_task(ctx: Context, learner: str, lab) -> str:
    """The first task of the lab that has not passed yet (the one the learner is on)."""
    try:
        progress = lab_progress(ctx.store, lab, learner)
        passed = {state.task.id for state in progress.tasks if state.status == "pass"}
    except Exception:  # noqa: BLE001 - progress is a convenience here, never a blocker
        passed = set()
    return next((t.id for t in lab.tasks if t.id not in passed), lab.tasks[0].id)


@main.command()
@click.argument("lab_id", metavar="LAB")
@click.option("--task", help="The task (default: the first one not passed yet).")
@click.option("--learner", "name", help="Learner (default: the only one, or the last one used).")
@click.option("--all", "show_all", is_flag=True, help="Show the hints revealed so far, no new one.")
@json_option
@click.pass_obj
def hint(
    ctx: Context,
    lab_id: str,
    task: str | None,
    name: str | None,
    show_all: bool,
    as_json: bool = False,
) -> None:
    """Reveal the next hint of a lab task: a nudge, then a pointer, then the page section.

    Each hint is revealed once and recorded (mentors see how many a task took).
    """
    lab = ctx.chapter.lab(lab_id)
    learner = ctx.learner(name)
    task = task or _default_task(ctx, learner, lab)
    try:
        revealed = reveal(ctx.store, learner, lab, task, next_one=not show_all)
    except HintsError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        echo_json({"lab": lab.id, "task": task, "learner": learner, "hints": revealed})
        return
    _print(lab.id, task, revealed)


def _print(lab_id: str, task: str, revealed: list[dict]) -> None:
    if not revealed:
        click.echo(
            f"no hints revealed yet for {lab_id} {task}: harness hint {lab_id} --task {task}"
        )
    for h in revealed:
        click.echo(
            f"hint {h['level']}/{len(LEVELS)} ({h['kind']}) for {lab_id} {task}: {h['text']}"
        )
    if revealed and len(revealed) == len(LEVELS):
        click.echo("(that was the last hint of this task)")
