"""`harness mentor [overview|timeline|questions|feedback|report|dashboard]`."""

from __future__ import annotations

import os
import webbrowser
from pathlib import Path

import click

from harness.chapter import Chapter
from harness.cli import main
from harness.cli.common import Context, echo_json, json_option
from harness.cohort import views as mentor_mod


@main.group(invoke_without_command=True)
@click.pass_context
def mentor(click_ctx: click.Context) -> None:
    """Review the cohort: overview (the default), timelines, questions, feedback, reports,
    the dashboard (one HTML file), and regrade (verify learners' graded code here)."""
    if click_ctx.invoked_subcommand is None:
        click_ctx.invoke(overview)


@mentor.command()
@json_option
@click.pass_obj
def overview(ctx: Context, as_json: bool) -> None:
    """Every learner: read order, labs (tasks, last check, key metric), quiz, reflections,
    activity."""
    rows = mentor_mod.overview(ctx.store, ctx.chapter, with_tasks=True)
    if as_json:
        click.echo(mentor_mod.report_json(rows, ctx.chapter), nl=False)
        return
    if not rows:
        click.echo(
            "no learners yet; add one with `harness learner add NAME` or bring one in "
            "with `harness import FILE`"
        )
        return
    _print_table(
        mentor_mod.table_columns(ctx.chapter),
        [mentor_mod.table_cells(r, ctx.chapter) for r in rows],
    )
    _print_verification(ctx)
    click.echo(
        f"\n{len(rows)} learner(s). Labs: tasks passing/total, the last full check, then "
        "the last run's key metric; reflections: words per prompt (Nw)."
    )


@mentor.command()
@click.argument("name")
@click.option("--limit", type=click.IntRange(min=1), help="Only the last N events.")
@json_option
@click.pass_obj
def timeline(ctx: Context, name: str, limit: int | None, as_json: bool) -> None:
    """Learner NAME's events, oldest first."""
    events = mentor_mod.timeline(ctx.store, name)
    if limit:
        events = events[-limit:]
    if as_json:
        echo_json({"learner": name, "events": events})
        return
    for ev in events:
        click.echo(f"{ev['at'][:19]}  {ev['kind']:<18} {mentor_mod.describe_event(ev)}")
    if not events:
        click.echo(f"no events for {name}")


@mentor.command()
@json_option
@click.pass_obj
def questions(ctx: Context, as_json: bool) -> None:
    """Per-question statistics of the chapter's quiz."""
    rep = mentor_mod.question_report(ctx.store, ctx.chapter)
    if as_json:
        echo_json({"quiz": ctx.chapter.quiz_id, "note": rep.note, "questions": rep.rows})
        return
    click.echo(f"Quiz {ctx.chapter.quiz_id}: {rep.note}")
    if not rep.rows:
        click.echo("no answers recorded yet")
        return
    _print_table(rep.columns, [[_cell(r.get(c)) for c in rep.columns] for r in rep.rows])


def _targets(chapter: Chapter) -> list[str]:
    return [lab.id for lab in chapter.labs] + [f"reflection:{p.id}" for p in chapter.reflections]


@mentor.command()
@click.argument("name")
@click.option(
    "--on",
    "target",
    required=True,
    help="What the feedback is about: a lab (lab-00) or reflection:<prompt-id>.",
)
@click.option("--text", required=True, help="The feedback itself.")
@click.option(
    "--mentor",
    "mentor_name",
    envvar="HARNESS_MENTOR",
    default="mentor",
    show_default=True,
    help="Who writes it (env HARNESS_MENTOR).",
)
@click.pass_obj
def feedback(ctx: Context, name: str, target: str, text: str, mentor_name: str) -> None:
    """Write feedback for learner NAME; they see it in `harness status` and the TUI."""
    known = _targets(ctx.chapter)
    if target not in known:
        raise click.BadParameter(
            f"unknown target {target!r}; known: {', '.join(known)}", param_hint="--on"
        )
    ctx.store.add_feedback(name, mentor_name, target, text)
    click.echo(f"feedback for {name} on {target} saved (by {mentor_name})")


@mentor.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(mentor_mod.REPORT_FORMATS),
    default="md",
    show_default=True,
    help="Report format.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE instead of standard output.",
)
@click.pass_obj
def report(ctx: Context, fmt: str, out: Path | None) -> None:
    """The cohort overview as a Markdown, CSV or JSON report; html is the dashboard."""
    text = mentor_mod.report(ctx.store, ctx.chapter, fmt)
    if out is None:
        click.echo(text, nl=False)
        return
    _write(out, text)
    click.echo(f"wrote {fmt} report to {out}")


@mentor.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("mentor-dashboard.html"),
    show_default=True,
    help="Where to write the HTML file.",
)
@click.option("--open", "open_it", is_flag=True, help="Open the file in the default browser.")
@click.pass_obj
def dashboard(ctx: Context, out: Path, open_it: bool) -> None:
    """The cohort as one self-contained HTML page: progress matrix, stuck tasks, quiz
    statistics, per-learner timelines and reflections. No server, no network."""
    from harness.cohort import dashboard as dash

    board = dash.build(ctx.store, ctx.chapter)
    _write(out, dash.render(board))
    click.echo(
        f"wrote the dashboard of {len(board.rows)} learner(s) to {out} "
        f"({out.stat().st_size / 1e6:.2f} MB)"
    )
    if open_it and not webbrowser.open(out.resolve().as_uri()):
        click.echo(f"no browser found; open {out.resolve().as_uri()} yourself")


def _write(out: Path, text: str) -> None:
    tmp = out.with_name(out.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)


def _cell(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _print_table(head: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip())
    for row in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _print_verification(ctx: Context) -> None:
    """Each lab's last full check: verified on this machine, or only self-reported; flags a
    self-reported pass that no regrade confirmed and every mismatch, then flagged pairs."""
    from harness.cohort.regrade import verdicts
    from harness.cohort.tamper import findings

    with ctx.store._lock:
        bypassed = findings(ctx.store.conn)
    for line in bypassed:
        click.echo(f"TAMPER: {line}")
    rows = verdicts(ctx.store)
    if not rows:
        return
    click.echo("\nVerification (last full check; `harness mentor regrade` verifies):")
    for (learner, lab_id), v in sorted(rows.items()):
        flag = "  MISMATCH" if v["mismatch"] else ("  FLAG" if v["flag"] else "")
        click.echo(
            f"  {learner:<20} {lab_id}: self-reported {v['self_reported']}, {v['shown']}{flag}"
        )
    pairs = ctx.store.conn.execute(
        "SELECT lab_id, task, learner_a, learner_b, similarity FROM cohort_similarity "
        "ORDER BY similarity DESC"
    ).fetchall()
    for lab_id, task, a, b, score in pairs:
        click.echo(f"  similar code: {a} and {b}, {lab_id} {task}: {score:.2f}")


@mentor.command()
@click.argument("bundles", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--learner", "names", multiple=True, help="Regrade this learner (repeatable).")
@click.option("--all", "everyone", is_flag=True, help="Regrade every learner with kept code.")
@click.option(
    "--workers", type=click.IntRange(min=1), default=1, show_default=True,
    help="Local processes grading at once.",
)  # fmt: skip
@click.option(
    "--scheduler",
    help="Grade on a Dask cluster (tcp://HOST:PORT; pip install -e '.[cluster]').",
)
@click.option("--task", help="Regrade only this task of each lab (faster).")
@click.option(
    "--mentor", "mentor_name", envvar="HARNESS_MENTOR", default=None,
    help="Who regrades (env HARNESS_MENTOR; default: your user name).",
)  # fmt: skip
@click.pass_obj
def regrade(
    ctx: Context,
    bundles: tuple[Path, ...],
    names: tuple[str, ...],
    everyone: bool,
    workers: int,
    scheduler: str | None,
    task: str | None,
    mentor_name: str | None,
) -> None:
    """Re-run each lab's checks on the code learners' check runs graded (from BUNDLEs,
    imported first, or --learner / --all), here, in the sandbox, with fresh held-out seeds;
    record the verified results beside the self-reported ones."""
    from harness.cohort import records
    from harness.cohort import regrade as rg

    if not (bundles or names or everyone):
        raise click.UsageError("name what to regrade: BUNDLE files, --learner NAME or --all")
    learners = set(names)
    for path in bundles:
        try:
            result = records.import_bundle(ctx.store, ctx.chapter, records.read_bundle(path))
        except records.BundleError as exc:
            raise click.ClickException(f"{path}: refused: {exc}") from None
        learners.add(result.learner)
        for note in result.notes:
            click.echo(f"  {note}")
    for name in learners:
        ctx.store._require_learner(name)
    jobs = rg.pending(ctx.store, ctx.chapter, learners=None if everyone else learners, task=task)
    if not jobs:
        click.echo("nothing to regrade: no check run with kept code for those learners")
        return
    where = f"Dask at {scheduler}" if scheduler else f"{workers} local worker(s)"
    click.echo(f"regrading {len(jobs)} lab run(s) on {where} …")

    def show(job: rg.Job, result: dict) -> None:
        click.echo(
            f"  {job.learner:<20} {job.lab_id}{' ' + job.task if job.task else ''}: "
            f"verified: {result['status']} ({result['message']}; isolation "
            f"{result['isolation']}, seed {result['heldout_seed']})"
        )

    try:
        rg.regrade(
            ctx.store, ctx.chapter, jobs, workers=workers, scheduler=scheduler,
            mentor=mentor_name, on_result=show,
        )  # fmt: skip
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    flagged = rg.cohort_similarity(ctx.store, ctx.chapter)
    for pair in flagged:
        click.echo(
            f"  similar code: {pair['learner_a']} and {pair['learner_b']}, {pair['lab_id']} "
            f"{pair['task']}: {pair['similarity']:.2f}"
        )
    _print_verification(ctx)
