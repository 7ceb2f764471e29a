"""`harness check LAB [--reference | --learner NAME] [--task ID] [--last] [--json]`."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from typing import Any

import click

from harness.chapter import Lab
from harness.cli import main
from harness.cli.common import Context, echo_json, json_option, paint
from harness.progress import lab_progress, last_check_run

STATUS_WORDS = {"pass": "PASS", "fail": "FAIL", "error": "ERROR"}
STATUS_COLOURS = {"pass": "green", "fail": "red"}


def task_order(lab: Lab) -> Callable[[Any], int]:
    """Sort key putting results in the lab's task order (the order a learner works in);
    `sorted` is stable, so inside a task the checks keep the order they ran in."""
    index = {t.id: i for i, t in enumerate(lab.tasks)}

    def key(result: Any) -> int:
        task = result["task"] if isinstance(result, dict) else result.task
        return index.get(task or "", len(index))

    return key


def supports_progress(run_checks: Callable[..., Any]) -> bool:
    return "on_progress" in inspect.signature(run_checks).parameters


class LiveLine:
    """`[3/12] 4.1s  test_patch_values`: one line rewritten in place on a terminal; on a pipe,
    one plain line per finished check, so logs stay readable."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream or sys.stdout
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.width = 0

    def __call__(self, event: Any) -> None:
        where = f"[{event.index}/{event.total}] {event.elapsed_s:5.1f}s"
        if event.status is None:
            if self.tty:
                self._rewrite(f"{where}  {event.name} …")
            return
        word = STATUS_WORDS.get(event.status, event.status.upper())
        self._rewrite("")
        click.echo(
            f"  {paint(f'{word:<5}', fg=STATUS_COLOURS.get(event.status))} {where}  "
            f"[{event.task or '—'}] {event.name}"
        )

    def _rewrite(self, text: str) -> None:
        if not self.tty:
            return
        text = text[: max(10, _columns() - 1)]
        self.stream.write("\r" + text.ljust(self.width) + ("\r" if not text else ""))
        self.stream.flush()
        self.width = len(text)

    def close(self) -> None:
        self._rewrite("")


def _columns() -> int:
    import shutil

    return shutil.get_terminal_size((80, 24)).columns


def outcome_document(outcome: Any, lab: Lab) -> dict:
    return {
        "lab": outcome.lab_id,
        "impl": outcome.impl,
        "task": outcome.task,
        "status": outcome.status,
        "message": outcome.message,
        "passed": outcome.passed,
        "failed": outcome.failed,
        "duration_s": round(outcome.duration_s, 3),
        "isolation": getattr(outcome, "isolation", None),
        "results_json": str(outcome.results_json) if outcome.results_json else None,
        "tests": [
            {
                "name": r.name,
                "task": r.task,
                "status": r.status,
                "message": r.message,
                "duration_s": r.duration_s,
            }
            for r in sorted(outcome.results, key=task_order(lab))
        ],
    }


def show_last(ctx: Context, lab: Lab, learner: str, as_json: bool) -> None:
    """The learner's last recorded check of LAB and each task's latest result, without running."""
    run = last_check_run(ctx.store, learner, lab.id, full_only=False)
    progress = lab_progress(ctx.store, lab, learner)
    results = sorted(ctx.store.check_results(run["id"]), key=task_order(lab)) if run else []
    if as_json:
        echo_json(
            {
                "lab": lab.id,
                "learner": learner,
                "last_check": None
                if run is None
                else {
                    "task": run["task"],
                    "status": run["status"],
                    "message": run["message"],
                    "passed": run["passed"],
                    "failed": run["failed"],
                    "at": run["started_at"],
                    "tests": [
                        {k: r[k] for k in ("name", "task", "status", "message", "duration_s")}
                        for r in results
                    ],
                },
                "tasks": [
                    {"id": t.task.id, "status": t.status, "at": t.at} for t in progress.tasks
                ],
                "summary": progress.summary(),
            }
        )
        return
    if run is None:
        click.echo(f"{learner} has not checked {lab.id} yet: harness check {lab.id}")
    else:
        scope = f"task {run['task']}" if run["task"] else "all tasks"
        click.echo(f"last check of {lab.id} ({scope}) at {run['started_at'][:16]}: {run['status']}")
        for r in results:
            click.echo(
                f"  {STATUS_WORDS.get(r['status'], r['status']):<5} [{r['task']}] {r['name']}"
            )
    click.echo(progress.summary())


@main.command()
@click.argument("lab_id", metavar="LAB")
@click.option("--reference", is_flag=True, help="Check the reference implementation.")
@click.option(
    "--learner",
    "name",
    help="Check this learner's code (default: the only one, or the last one used); with "
    "--reference, the learner whose history records the reference run.",
)
@click.option("--task", help="Run only the checks of one task (see the lab's tasks).")
@click.option("--verbose", "-v", is_flag=True, help="Stream pytest's output while it runs.")
@click.option("--last", is_flag=True, help="Show the last recorded check instead of running one.")
@json_option
@click.pass_obj
def check(
    ctx: Context,
    lab_id: str,
    reference: bool,
    name: str | None,
    task: str | None,
    verbose: bool,
    last: bool,
    as_json: bool,
) -> None:
    """Run LAB's Definition-of-Done checks (e.g. lab-00) and record the result."""
    lab = ctx.chapter.lab(lab_id)
    if task:
        lab.task(task)
    learner = None if reference and not name else ctx.learner(name)
    if last:
        if learner is None:
            raise click.UsageError("--last shows a learner's record; drop --reference")
        show_last(ctx, lab, learner, as_json)
        return
    from harness.grading.checks import run_checks

    who = "the reference" if reference else f"{learner}'s code"
    say = (lambda text: click.echo(text, err=True)) if as_json else click.echo
    say(f"checking {lab.id} against {who}" + (f" (task {task})" if task else "") + " …")
    if not reference and learner:
        say(f"  your file: {lab_file(ctx, lab, learner)}")
    live = LiveLine(sys.stderr if as_json else None)
    extra: dict[str, Any] = {}
    if supports_progress(run_checks) and not verbose and not as_json:
        extra["on_progress"] = live
    graded = None if reference or not learner else capture_lab(ctx, lab, learner)
    outcome = run_checks(
        ctx.chapter,
        lab.id,
        learner=learner,
        reference=reference,
        task=task,
        store=ctx.store,
        on_output=say if verbose else None,
        **extra,
    )
    if graded and outcome.run_id is not None:  # what was graded, for a mentor's regrade
        from harness.cohort.snapshots import record

        record(ctx.store, outcome.run_id, graded)
    live.close()
    if as_json:
        echo_json(outcome_document(outcome, lab))
        if outcome.status != "pass":
            raise SystemExit(1)
        return
    if "on_progress" not in extra:  # nothing was printed per check while it ran
        for r in sorted(outcome.results, key=task_order(lab)):
            word = STATUS_WORDS.get(r.status, r.status)
            click.echo(
                f"  {paint(f'{word:<5}', fg=STATUS_COLOURS.get(r.status))} [{r.task}] {r.name} "
                f"({r.duration_s:.1f} s)"
            )
    failing = [r for r in sorted(outcome.results, key=task_order(lab)) if r.status != "pass"]
    for r in failing:
        if r.message:
            click.echo(f"  {r.name}:")
            lines = r.message.splitlines()
            # the diagnosis (diagnosis.py) comes after the message: keep it even when cut
            cut = next((n for n, line in enumerate(lines) if line.startswith("diagnosis:")), None)
            shown = lines[:6] if cut is None or cut < 6 else lines[:4] + lines[cut : cut + 3]
            for line in shown:
                click.echo(f"        {line}")
    word = paint(outcome.status.upper(), fg=STATUS_COLOURS.get(outcome.status, "yellow"), bold=True)
    click.echo(
        f"{word}: {outcome.message} — {outcome.passed} passed, "
        f"{outcome.failed} failed in {outcome.duration_s:.1f} s; "
        f"results in {outcome.results_json}"
    )
    if outcome.status not in ("pass", "fail") and outcome.output_tail:
        click.echo("last output:\n" + outcome.output_tail)
    if learner and not reference:
        click.echo(lab_progress(ctx.store, lab, learner).summary())
    if outcome.status != "pass":
        raise SystemExit(1)


def capture_lab(ctx: Context, lab: Lab, learner: str) -> dict[str, bytes]:
    from harness.cohort.snapshots import capture
    from harness.grading.checks import target_dir

    return capture(target_dir(ctx.chapter, lab.id, learner, False))


def lab_file(ctx: Context, lab: Lab, learner: str) -> str:
    from harness.learners import lab_dir

    return str(lab_dir(learner, ctx.chapter, lab.id) / f"{lab.entry}.py")
