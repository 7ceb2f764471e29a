"""`harness watch LAB [--task T]`: re-check the current task each time you save your file."""

from __future__ import annotations

import shutil
import sys
import threading
from typing import Any

import click

from harness.chapter import Lab
from harness.cli import main
from harness.cli.check import (
    STATUS_COLOURS,
    LiveLine,
    capture_lab,
    supports_progress,
    task_order,
)
from harness.cli.common import Context, paint
from harness.learners import lab_dir
from harness.progress import lab_progress
from harness.watch import file_changes, next_task_after, side_by_side, task_source, unified


def _check_task(ctx: Context, lab: Lab, learner: str, task: str) -> Any:
    from harness.grading.checks import run_checks

    live = LiveLine()
    extra = {"on_progress": live} if supports_progress(run_checks) else {}
    graded = capture_lab(ctx, lab, learner)
    outcome = run_checks(ctx.chapter, lab.id, learner=learner, task=task, store=ctx.store, **extra)
    live.close()
    if graded and getattr(outcome, "run_id", None) is not None:  # for a mentor's regrade
        from harness.cohort.snapshots import record

        record(ctx.store, outcome.run_id, graded)
    return outcome


def _report(outcome: Any, lab: Lab) -> None:
    for r in sorted(outcome.results, key=task_order(lab)):
        word = {"pass": "PASS", "fail": "FAIL"}.get(r.status, r.status.upper())
        click.echo(f"  {paint(f'{word:<5}', fg=STATUS_COLOURS.get(r.status))} {r.name}")
        if r.status != "pass" and r.message:
            for line in r.message.splitlines()[:12]:
                click.echo(f"        {line}")
    if outcome.status not in ("pass", "fail"):
        click.echo(paint(f"{outcome.status}: {outcome.message}", fg="yellow"))
        if outcome.output_tail:
            click.echo(outcome.output_tail)


def show_solution(ctx: Context, lab: Lab, task: str, path: Any) -> None:
    mine = task_source(ctx.chapter, lab.id, task, reference=False, path=path)
    reference = task_source(ctx.chapter, lab.id, task, reference=True)
    width = shutil.get_terminal_size((80, 24)).columns
    if width < 120:
        click.echo(unified(mine, reference, mine_name="yours", reference_name="reference"))
        return
    half = (width - 3) // 2
    click.echo(f"{'yours':<{half}} | reference")
    for row in side_by_side(mine, reference):
        left = (row.mine or "")[:half]
        right = (row.theirs or "")[:half]
        mark = "|" if row.tag == "equal" else "*"
        click.echo(f"{left:<{half}} {mark} {right}")


@main.command()
@click.argument("lab_id", metavar="LAB")
@click.option("--task", help="Start with this task (default: the first that does not pass).")
@click.option("--learner", "name", help="Learner (default: the only one, or the last one used).")
@click.option("--poll", is_flag=True, help="Poll the file instead of file-system events.")
@click.option(
    "--solutions/--no-solutions",
    default=None,
    help="After a pass, show the reference solution beside yours (default: ask on a terminal).",
)
@click.option("--exit-on-pass", is_flag=True, help="Stop once the task watched passes.")
@click.pass_obj
def watch(
    ctx: Context,
    lab_id: str,
    task: str | None,
    name: str | None,
    poll: bool,
    solutions: bool | None,
    exit_on_pass: bool,
) -> None:
    """Re-check LAB's current task each time you save your file (ctrl+c stops)."""
    lab = ctx.chapter.lab(lab_id)
    learner = ctx.learner(name)
    path = lab_dir(learner, ctx.chapter, lab.id) / f"{lab.entry}.py"
    if not path.is_file():
        raise click.ClickException(
            f"{path} does not exist; run `harness learner add {learner}` to copy the starters"
        )
    progress = lab_progress(ctx.store, lab, learner)
    if task:
        lab.task(task)
    else:
        nxt = progress.next_task
        task = nxt.task.id if nxt else None
    if task is None:
        click.echo(f"every task of {lab.id} passes: `harness check {lab.id}` records the lab")
        return
    tty = sys.stdout.isatty()
    stop = threading.Event()
    changes = file_changes(path, stop, use_watchfiles=not poll)
    click.echo(f"watching {path} — ctrl+c stops")
    try:
        check_now = True
        while True:
            if check_now:
                title = lab.task(task).title
                click.echo(f"\n── {lab.id} task {task}: {title} " + "─" * 10)
                outcome = _check_task(ctx, lab, learner, task)
                _report(outcome, lab)
                if outcome.status == "pass":
                    progress = lab_progress(ctx.store, lab, learner)
                    passing = {t.task.id for t in progress.tasks if t.status == "pass"}
                    nxt = next_task_after(lab, task, passing | {task})
                    click.echo(
                        paint(f"✓ task {task} passes!", fg="green", bold=True)
                        + "  "
                        + progress.summary()
                    )
                    want = solutions
                    if want is None:
                        want = tty and click.confirm(
                            f"See the reference solution of {task} beside yours?", default=False
                        )
                    if want:
                        show_solution(ctx, lab, task, path)
                    if exit_on_pass or nxt is None:
                        if nxt is None:
                            click.echo(f"every task passes: `harness check {lab.id}` records it")
                        return
                    task = nxt
                    click.echo(f"next: task {task} — {lab.task(task).title}; save to check it")
                else:
                    click.echo(
                        paint(f"✗ task {task}: {outcome.status}", fg="red")
                        + " — fix and save; this re-runs by itself"
                    )
            next(changes)
            check_now = True
    except (KeyboardInterrupt, StopIteration):
        click.echo("\nstopped watching")
    finally:
        stop.set()
