"""`harness status`, `harness read ITEM`, `harness next`."""

from __future__ import annotations

import click

from harness.cli import main
from harness.cli.common import Context, echo_json, json_option, paint
from harness.progress import DONE, LOCKED, chapter_progress, compute_status, next_step_for

MARKS = {DONE: "[x]", "unlocked": "[ ]", LOCKED: "[-]"}


LEARNER_HELP = "Learner (default: the only one, $HARNESS_LEARNER, or the last one used)."


def quiz_line(quiz_id: str, best: float | None, attempts: list[dict], pass_mark: float) -> str:
    """`Quiz X2: best 70%, 3 finished, 1 abandoned, pass mark 80%`: counts by how each attempt
    ended, so abandoned attempts are never read as attempts that were scored."""
    ended = {"finished": 0, "abandoned": 0, "in_progress": 0}
    for attempt in attempts:
        ended[attempt["status"]] = ended.get(attempt["status"], 0) + 1
    parts = [f"best {best:.0%}" if best is not None else "no finished attempt yet"]
    labels = (("finished", "finished"), ("abandoned", "abandoned"), ("in_progress", "unfinished"))
    parts += [f"{ended[key]} {label}" for key, label in labels if ended.get(key)]
    return f"Quiz {quiz_id}: {', '.join(parts)}; pass mark {pass_mark:.0%}"


def status_document(ctx: Context, learner: str) -> dict:
    """Everything `harness status` shows, as data (the --json answer)."""
    ch = ctx.chapter
    st = compute_status(ctx.store, ch, learner)
    progress = {p.lab_id: p for p in chapter_progress(ctx.store, ch, learner)}
    attempts = [a for a in ctx.store.quiz_attempts(learner, ch.quiz_id) if not a.get("practice")]
    command, reason = next_step_for(ctx.store, ch, learner, st)
    return {
        "chapter": ch.id,
        "learner": learner,
        "fraction_done": st.fraction_done,
        "read_order": [
            {"id": s.item.id, "kind": s.item.kind, "state": s.state, "waiting_for": s.waiting_for}
            for s in st.items
        ],
        "labs": [
            {
                "id": lab.lab_id,
                "last_full_check": lab.last_status,
                "passed": lab.passed,
                "failed": lab.failed,
                "at": lab.at,
                "tasks_done": progress[lab.lab_id].done,
                "tasks_total": progress[lab.lab_id].total,
                "next_task": (
                    progress[lab.lab_id].next_task.task.id
                    if progress[lab.lab_id].next_task
                    else None
                ),
                "tasks": [
                    {
                        "id": t.task.id,
                        "title": t.task.title,
                        "status": t.status,
                        "passed": t.passed,
                        "failed": t.failed,
                        "at": t.at,
                    }
                    for t in progress[lab.lab_id].tasks
                ],
            }
            for lab in st.labs
        ],
        "quiz": {
            "id": ch.quiz_id,
            "best": st.quiz_best,
            "passed": st.quiz_passed,
            "pass_mark": ch.pass_mark,
            "attempts": {
                key: sum(a["status"] == key for a in attempts)
                for key in ("finished", "abandoned", "in_progress")
            },
        },
        "definition_of_done": [
            {"label": e.label, "done": e.done, "detail": e.detail} for e in st.dod
        ],
        "feedback": [{k: fb[k] for k in ("at", "mentor", "target", "text")} for fb in st.feedback],
        "next": {"command": command, "reason": reason},
    }


@main.command()
@click.option("--learner", "name", help=LEARNER_HELP)
@json_option
@click.pass_obj
def status(ctx: Context, name: str | None, as_json: bool) -> None:
    """Read order with done/unlocked/locked, labs task by task, quiz best and reflections."""
    learner = ctx.learner(name)
    doc = status_document(ctx, learner)
    if as_json:
        echo_json(doc)
        return
    ch = ctx.chapter
    st = compute_status(ctx.store, ch, learner)
    click.echo(f"{ch.id} — {ch.title}   learner: {learner}   {st.fraction_done:.0%} done")
    click.echo("\nRead order   [x] done  [ ] unlocked  [-] locked")
    for s in st.items:
        why = f"  (after {', '.join(s.waiting_for)})" if s.state == LOCKED else ""
        click.echo(f"  {MARKS[s.state]} {s.item.id:<10} {s.item.title}{why}")
    click.echo("\nLabs")
    for lab, lab_doc in zip(st.labs, doc["labs"], strict=True):
        last = (
            "never checked as a whole"
            if lab.last_status is None
            else (
                f"whole lab {lab.last_status} ({lab.passed} passed, {lab.failed} failed) "
                f"at {lab.at[:16]}"
            )
        )
        tasks = f"{lab_doc['tasks_done']}/{lab_doc['tasks_total']} tasks"
        nxt = f", next: {lab_doc['next_task']}" if lab_doc["next_task"] else ""
        click.echo(f"  {lab.lab_id:<10} {tasks}{nxt}; {last}")
        for task in lab_doc["tasks"]:
            mark = {"pass": "[x]", None: "[ ]"}.get(task["status"], "[!]")
            shown = task["status"] or "not checked"
            click.echo(f"      {mark} {task['id']:<16} {paint_status(shown)}")
    attempts = [a for a in ctx.store.quiz_attempts(learner, ch.quiz_id) if not a.get("practice")]
    click.echo("\n" + quiz_line(ch.quiz_id, st.quiz_best, attempts, ch.pass_mark))
    click.echo("\nDefinition of Done")
    for entry in st.dod:
        click.echo(f"  {'[x]' if entry.done else '[ ]'} {entry.label}: {entry.detail}")
    if st.feedback:
        click.echo("\nMentor feedback")
        for fb in st.feedback:
            click.echo(f"  {fb['at'][:16]} {fb['mentor']} on {fb['target']}: {fb['text']}")
    click.echo(f"\nNext: {doc['next']['command']}  — {doc['next']['reason']}")


def paint_status(status: str) -> str:
    colour = {"pass": "green", "fail": "red", "not checked": None}.get(status, "yellow")
    return paint(status, fg=colour) if colour else status


@main.command()
@click.argument("item_id", metavar="ITEM")
@click.option("--learner", "name", help=LEARNER_HELP)
@click.option("--no-complete", is_flag=True, help="Show the page without marking it done.")
@click.pass_obj
def read(ctx: Context, item_id: str, name: str | None, no_complete: bool) -> None:
    """Render page ITEM (e.g. theory-01) in the terminal and record it as read."""
    learner = ctx.learner(name)
    item = ctx.chapter.item(item_id)
    st = compute_status(ctx.store, ctx.chapter, learner)
    state = next(s for s in st.items if s.item.id == item.id)
    ctx.store.record_page(learner, item.id, "opened")
    # Markdown's parser loads for this command only: the harness package imports every
    # command module at start, `harness tui` included.
    from rich.console import Console
    from rich.markdown import Markdown

    Console().print(Markdown(item.path.read_text(encoding="utf-8")))
    if state.state == LOCKED:
        click.echo(
            f"\n(locked until {', '.join(state.waiting_for)} is done: shown, not marked as read)"
        )
    elif not no_complete:
        ctx.store.record_page(learner, item.id, "completed")
        click.echo(f"\nmarked {item.id} as read")


@main.command("next")
@click.option("--learner", "name", help=LEARNER_HELP)
@json_option
@click.pass_obj
def next_(ctx: Context, name: str | None, as_json: bool) -> None:
    """Say the next thing to do, and why."""
    learner = ctx.learner(name)
    command, reason = next_step_for(ctx.store, ctx.chapter, learner)
    if as_json:
        echo_json({"learner": learner, "command": command, "reason": reason})
        return
    click.echo(f"{command}\n  {reason}")
