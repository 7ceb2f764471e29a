"""`harness quiz QUIZ_ID`: take a quiz in a plain terminal."""

from __future__ import annotations

import secrets

import click

from harness.chapter import Chapter
from harness.cli import main
from harness.cli.common import Context
from harness.learning.quiz import (
    DEFAULT_N,
    AnswerError,
    Attempt,
    Bank,
    Presented,
    check_size,
    load_bank,
)


def bank_for(chapter: Chapter, quiz_id: str) -> Bank:
    if quiz_id != chapter.quiz_id:
        raise click.ClickException(f"unknown quiz '{quiz_id}'; known: {chapter.quiz_id}")
    return load_bank(chapter.quiz_bank)


def _show(p: Presented, total: int) -> None:
    click.echo(f"\n[{p.position + 1}/{total}] {p.question.prompt}")
    for number, choice in enumerate(p.choices, start=1):
        click.echo(f"  {number}. {choice}")


def _ask(attempt: Attempt, p: Presented) -> None:
    """Ask until the input can be graded; bad input is explained and never scored."""
    while True:
        raw = click.prompt(f"answer ({p.hint})", default="", show_default=False)
        try:
            fb = attempt.answer(p.position, raw)
        except AnswerError as exc:
            click.echo(f"  {exc}")
            continue
        click.echo("  correct" if fb.correct else f"  not quite: the answer is {fb.expected}")
        return


@main.command()
@click.argument("quiz_id", metavar="QUIZ_ID")
@click.option("--learner", "name", help="Learner (default: the only one, or $HARNESS_LEARNER).")
@click.option(
    "--seed",
    type=int,
    default=None,
    help="Seed for drawing and shuffling, for practice: a seeded attempt can be replayed, so "
    "it is recorded as practice and never counts toward the Definition of Done (default: the "
    "harness draws one, and the attempt counts).",
)
@click.option(
    "-n",
    "--questions",
    "n",
    type=int,
    default=DEFAULT_N,
    show_default=True,
    help="How many questions to draw; every learning outcome is always represented.",
)
@click.pass_obj
def quiz(ctx: Context, quiz_id: str, name: str | None, seed: int | None, n: int) -> None:
    """Take quiz QUIZ_ID (e.g. X2) in the terminal.

    Questions are drawn so that every learning outcome is tested. Type the number of a
    choice (several separated by commas where all that apply are asked for), a number, or a
    short phrase; input that cannot be graded is asked again and never scored. Ctrl-C stops
    the attempt and keeps it, with its answers, as abandoned. At the end each missed
    question is shown with its explanation and the page section to reread.
    """
    chapter = ctx.chapter
    bank = bank_for(chapter, quiz_id)
    check_size(bank, n)  # before a default learner is created for nothing
    learner = ctx.learner(name)
    # A chosen seed can be replayed after reading its answers, and a short quiz is an easier
    # bar: either is practice. Attempts that count are full length and drawn by the harness.
    practice = seed is not None or n < DEFAULT_N
    seed = secrets.randbelow(2**31) if seed is None else seed
    attempt = Attempt.start(
        ctx.store, learner, bank, seed=seed, n=n, pass_mark=chapter.pass_mark, practice=practice
    )
    total = len(attempt.questions)
    click.echo(
        f"Quiz {bank.id} — {bank.title}: {total} questions, pass mark "
        f"{attempt.pass_mark:.0%}, learner {learner}, seed {seed}"
    )
    if practice:
        click.echo(
            "Practice: with --seed or fewer than "
            f"{DEFAULT_N} questions an attempt does not count toward the Definition of Done. "
            "Leave out --seed and -n for an attempt that counts."
        )
    try:
        for p in attempt.questions:
            _show(p, total)
            _ask(attempt, p)
    except (click.Abort, KeyboardInterrupt, EOFError):
        attempt.abandon()
        click.echo(
            f"\n\nattempt {attempt.attempt_id} abandoned; {len(attempt.feedback)} "
            f"answer(s) kept. Replay it as practice with --seed {seed}."
        )
        click.get_current_context().exit(130)  # the shell's code for an interrupt
    result = attempt.finish()
    verdict = "PASSED" if result.passed else "not passed yet"
    if practice:
        verdict += " (practice: does not count)"
    click.echo(
        f"\nScore {result.correct}/{result.total} = {result.score:.0%} "
        f"(pass mark {result.pass_mark:.0%}): {verdict}"
    )
    missed = attempt.review()
    if missed:
        click.echo("\nTo review:")
    for m in missed:
        item = chapter.item(m.section.item)
        given = "no answer" if m.given is None else f"you answered {m.given}"
        click.echo(
            f"\n[{m.position + 1}] {m.question.prompt}\n"
            f"  {given}; the answer is {m.expected}\n"
            f"  {m.explanation}\n"
            f"  reread: {m.section}  (harness read {item.id}; "
            f"{item.path.relative_to(chapter.source.parent)})"
        )
    _after_quiz(ctx, attempt)


def _after_quiz(ctx: Context, attempt: Attempt) -> None:
    """Which outcomes held the score back, mastery so far, and the review queue's news."""
    # NumPy and FSRS load after a quiz, not with every command (e.g. `harness tui`).
    from harness.learning import mastery, review

    store, chapter = ctx.store, ctx.chapter
    review.sync(store, chapter, attempt.learner, bank=attempt.bank)
    rows = mastery.learner_mastery(store, chapter, attempt.bank, attempt.learner)
    click.echo("\nBy outcome (this attempt; mastery over everything so far, 90% interval):")
    for line in mastery.breakdown_lines(mastery.attempt_breakdown(attempt, rows)):
        click.echo(line)
    queued = review.queue(store, chapter, attempt.bank, attempt.learner)
    click.echo(f"\nReview: {review.due_line(queued)} (harness review)")
