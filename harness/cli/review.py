"""`harness review`: spaced review of misses, mastery per outcome, mentors' reflection marks."""

from __future__ import annotations

import click

from harness.cli import main
from harness.cli.common import Context
from harness.learning import mastery, review
from harness.learning.quiz import AnswerError, load_bank
from harness.learning.reflections import mark_reflection


def _show_item(i: int, total: int, item: review.ReviewItem) -> None:
    p = item.presented
    click.echo(f"\n[{i}/{total}] {item.context}")
    click.echo(p.question.prompt)
    for number, choice in enumerate(p.choices, start=1):
        click.echo(f"  {number}. {choice}")


@main.group("review", invoke_without_command=True)
@click.option("--learner", "name", help="Learner (default: the only one, or $HARNESS_LEARNER).")
@click.option(
    "--cap",
    type=click.IntRange(min=1),
    default=review.DAILY_CAP,
    show_default=True,
    help="Reviews per day at most.",
)
@click.pass_context
def review_cmd(click_ctx: click.Context, name: str | None, cap: int) -> None:
    """Review what you missed: quiz questions and failed lab tasks come back on a spaced
    schedule (FSRS), a few a day.

    A question comes back with fresh numbers where it has them; a failed task comes back as a
    question on the same idea, with the command that re-checks it. Reviews count toward your
    mastery per outcome, never toward the quiz's Definition of Done. Ctrl-C stops; the reviews
    answered so far are kept.
    """
    if click_ctx.invoked_subcommand is not None:
        return
    ctx: Context = click_ctx.obj
    chapter = ctx.chapter
    bank = load_bank(chapter.quiz_bank)
    learner = ctx.learner(name)
    q = review.queue(ctx.store, chapter, bank, learner, cap=cap)
    click.echo(f"Review for {learner}: {review.due_line(q)}")
    done = right = 0
    try:
        for i, item in enumerate(q.items, start=1):
            _show_item(i, len(q.items), item)
            while True:
                raw = click.prompt(
                    f"answer ({item.presented.hint})", default="", show_default=False
                )
                try:
                    result = review.answer(ctx.store, learner, item, raw)
                except AnswerError as exc:
                    click.echo(f"  {exc}")
                    continue
                break
            done += 1
            right += result.correct
            verdict = "right" if result.correct else f"not quite: the answer is {result.expected}"
            click.echo(f"  {verdict}\n  {result.explanation}")
            click.echo(f"  back {review.next_due_text(result.next_due)}; reread: {result.section}")
    except (click.Abort, KeyboardInterrupt, EOFError):
        click.echo(f"\n\nstopped after {done} review(s); they are kept.")
        click.get_current_context().exit(130)
    if done:
        after = review.queue(ctx.store, chapter, bank, learner, cap=cap)
        click.echo(f"\n{right}/{done} right. {review.due_line(after)}")


@review_cmd.command("mastery")
@click.option("--learner", "name", help="Learner (default: the only one, or $HARNESS_LEARNER).")
@click.pass_obj
def mastery_cmd(ctx: Context, name: str | None) -> None:
    """Mastery per learning outcome: an estimate with its 90% interval, from quiz answers,
    reviews and lab-task results, and the sections to reread where it is not secure yet."""
    chapter = ctx.chapter
    bank = load_bank(chapter.quiz_bank)
    learner = ctx.learner(name)
    review.sync(ctx.store, chapter, learner, bank=bank)
    rows = mastery.learner_mastery(ctx.store, chapter, bank, learner)
    click.echo(f"Mastery for {learner} (estimate, 90% interval; secure = interval above 80%)")
    for m in sorted(rows, key=lambda m: (m.trials == 0, m.mean)):
        sources = ", ".join(f"{k} {s}/{n}" for k, (s, n) in sorted(m.by_source.items()))
        click.echo(f"  {m.outcome:<16} {m.shown():<16} {m.verdict:<16} {sources}")
        if m.verdict != "secure":
            for section in m.reread[:3]:
                click.echo(f"      reread: {section}")


@review_cmd.command("mark")
@click.argument("learner")
@click.argument("prompt_id", metavar="PROMPT")
@click.option("--text", "feedback", default="", help="What needs work (the learner sees it).")
@click.option("--ok", is_flag=True, help="Clear an earlier mark: the reflection is fine now.")
@click.option("--mentor", default="mentor", show_default=True, help="Who marks it.")
@click.pass_obj
def mark_cmd(
    ctx: Context, learner: str, prompt_id: str, feedback: str, ok: bool, mentor: str
) -> None:
    """Mentors: mark LEARNER's reflection PROMPT as needing work (with --text), which reopens
    its Definition-of-Done item until they revise it, or clear a mark with --ok."""
    mark_reflection(
        ctx.store,
        ctx.chapter,
        learner,
        prompt_id,
        mentor=mentor,
        feedback=feedback,
        needs_work=not ok,
    )
    state = "cleared" if ok else "needs work; the learner sees your feedback"
    click.echo(f"reflection '{prompt_id}' of {learner}: {state}")
