"""`harness check LAB [--reference | --learner NAME] [--task ID]`."""

from __future__ import annotations

import click

from harness.cli import main
from harness.cli.common import Context

STATUS_WORDS = {"pass": "PASS", "fail": "FAIL", "error": "ERROR"}


@main.command()
@click.argument("lab_id", metavar="LAB")
@click.option("--reference", is_flag=True, help="Check the reference implementation.")
@click.option(
    "--learner",
    "name",
    help="Check this learner's code (default: the only one); with --reference, the learner "
    "whose history records the reference run.",
)
@click.option("--task", help="Run only the checks of one task (see the lab's tasks).")
@click.option("--verbose", "-v", is_flag=True, help="Stream pytest's output while it runs.")
@click.pass_obj
def check(
    ctx: Context, lab_id: str, reference: bool, name: str | None, task: str | None, verbose: bool
) -> None:
    """Run LAB's Definition-of-Done checks (e.g. lab-00) and record the result."""
    from harness.grading.checks import run_checks

    lab = ctx.chapter.lab(lab_id)
    if task:
        lab.task(task)
    learner = None if reference and not name else ctx.learner(name)
    who = "the reference" if reference else f"{learner}'s code"
    click.echo(f"checking {lab.id} against {who}" + (f" (task {task})" if task else "") + " …")
    outcome = run_checks(
        ctx.chapter,
        lab.id,
        learner=learner,
        reference=reference,
        task=task,
        store=ctx.store,
        on_output=click.echo if verbose else None,
    )
    for r in outcome.results:
        click.echo(
            f"  {STATUS_WORDS.get(r.status, r.status):<5} [{r.task}] {r.name} "
            f"({r.duration_s:.1f} s)"
        )
        if r.status != "pass" and r.message:
            for line in r.message.splitlines()[:6]:
                click.echo(f"        {line}")
    click.echo(
        f"{outcome.status.upper()}: {outcome.message} — {outcome.passed} passed, "
        f"{outcome.failed} failed in {outcome.duration_s:.1f} s; "
        f"results in {outcome.results_json}"
    )
    if outcome.status not in ("pass", "fail") and outcome.output_tail:
        click.echo("last output:\n" + outcome.output_tail)
    if outcome.status != "pass":
        raise SystemExit(1)
