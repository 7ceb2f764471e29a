"""Quiz: one question at a time, then the score against the pass mark and the explanations.

The quiz engine (`harness.learning.quiz`) is imported when the screen opens; if it is missing
the screen says so instead of failing. Leaving mid-way keeps the attempt open: the next
`/quiz` offers to resume it with the same questions (rebuilt from the attempt's seed and size,
its answers read back from the store). Escape asks first; only an explicit choice abandons.
"""

from __future__ import annotations

import importlib
import secrets
from datetime import datetime, timedelta, timezone

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Input, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from harness.store import STALE_ATTEMPT_HOURS
from harness.tui.screens.base import HarnessScreen
from harness.tui.screens.confirm import ConfirmScreen


def reread_command(chapter, section) -> str | None:
    """`/read theory-02#windows-hops-and-frames` for a question's section, if the page exists."""
    from harness.tui.screens.reader import slug

    try:
        item = chapter.item(section.item)
    except (ValueError, KeyError):
        return None
    return f"/read {item.id}#{slug(section.heading)}"


def answers_word(n: int) -> str:
    return "no answers" if n == 0 else ("1 answer" if n == 1 else f"{n} answers")


def open_attempt(store, learner: str, quiz_id: str) -> dict | None:
    """The learner's latest attempt still in progress and young enough to resume (older ones
    are closed as abandoned when the next attempt starts)."""
    cutoff = datetime.now(timezone.utc) - timedelta(hours=STALE_ATTEMPT_HOURS)
    for row in reversed(store.quiz_attempts(learner, quiz_id)):
        if row["status"] == "in_progress" and row["started_at"] >= cutoff.isoformat():
            return row
    return None


def resume_attempt(engine, store, bank, row: dict, pass_mark: float):
    """The same attempt again: the questions redrawn from its seed and size (the draw is
    deterministic), checked against what was stored as drawn, and its answers read back.
    None when the bank changed since and the questions no longer match."""
    questions = engine.draw(bank, row["seed"], row["n_questions"])
    drawn = store.quiz_drawn(row["id"]) if hasattr(store, "quiz_drawn") else []
    if drawn and [d["question_id"] for d in drawn] != [p.question.id for p in questions]:
        return None
    attempt = engine.Attempt(
        store,
        row["id"],
        row["learner"],
        bank,
        row["seed"],
        questions,
        float(pass_mark),
        practice=bool(row.get("practice")),
    )
    for answer in store.quiz_answers(row["id"]):
        position = answer["position"]
        if not 0 <= position < len(questions) or position in attempt.feedback:
            continue
        q = questions[position].question
        if q.id != answer["question_id"]:
            return None
        attempt.feedback[position] = engine.Feedback(
            position,
            bool(answer["correct"]),
            engine.shown_answer(q, answer["answer"]),
            q.expected,
            q.explanation,
            q.section,
        )
    return attempt


class QuizScreen(HarnessScreen):
    BINDINGS = [Binding("escape", "leave", "Leave quiz")]

    def __init__(self) -> None:
        super().__init__()
        self.attempt = None
        self.current = 0
        self.answered = False

    @property
    def attempt_in_progress(self) -> bool:
        return self.attempt is not None and self.attempt.status == "in_progress"

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="quiz"):
            yield Static(id="quiz-header")
            yield ProgressBar(id="quiz-progress", show_eta=False, show_percentage=False)
            yield Static(id="quiz-question")
            yield Static(id="quiz-choices")
            yield Input(id="quiz-answer")
            yield Static(id="quiz-feedback")

    def on_mount(self) -> None:
        chapter = self.app.chapter
        self.sub_title = f"Quiz {chapter.quiz_id}"
        try:
            engine = importlib.import_module("harness.learning.quiz")
        except ModuleNotFoundError as exc:
            if exc.name != "harness.learning.quiz":
                raise
            self._stop("The quiz is not yet available in this build. Press escape to go back.")
            return
        learner = self.app.require_learner()
        if learner is None:
            self._stop("Pick a learner first (ctrl+l).")
            return
        try:
            bank = engine.load_bank(chapter.quiz_bank)
        except (ValueError, OSError) as exc:  # ManifestError is a ValueError
            self._stop(f"The quiz cannot start: {exc}")
            return
        row = open_attempt(self.app.store, learner, bank.id)
        resumed = (
            resume_attempt(engine, self.app.store, bank, row, chapter.pass_mark) if row else None
        )
        if resumed is None:
            self._start(engine, bank, learner)
            return
        given = len(resumed.feedback)

        def answered(key: str | None) -> None:
            if key == "n":
                resumed.abandon()
                self._start(engine, bank, learner)
            else:
                self._begin(bank, resumed)

        self.app.push_screen(
            ConfirmScreen(
                f"You have an unfinished {bank.id} attempt ({given} of "
                f"{len(resumed.questions)} answered).",
                [("r", "resume it, same questions"), ("n", "start a new one (abandon that one)")],
                title="quiz",
            ),
            answered,
        )

    def _start(self, engine, bank, learner: str) -> None:
        chapter = self.app.chapter
        try:
            n = min(engine.DEFAULT_N, len(bank.questions))
            practice = self.app.quiz_seed is not None  # a chosen seed can be replayed
            seed = self.app.quiz_seed if practice else secrets.randbelow(2**31)
            self.attempt = engine.Attempt.start(
                self.app.store,
                learner,
                bank,
                seed=seed,
                n=n,
                pass_mark=chapter.pass_mark,
                practice=practice,
            )
        except (ValueError, OSError) as exc:  # ManifestError is a ValueError
            self._stop(f"The quiz cannot start: {exc}")
            return
        self._begin(bank, self.attempt)

    def _begin(self, bank, attempt) -> None:
        self.attempt = attempt
        answer = self.query_one("#quiz-answer", Input)
        total = len(self.attempt.questions)
        self.query_one("#quiz-header", Static).update(
            Content.assemble(
                (f"{bank.id} — {bank.title}", "bold"),
                f": {total} questions, pass mark {self.attempt.pass_mark:.0%}. "
                "Answer each, enter to go on; escape asks whether to keep the attempt for later.",
                (
                    "\nPractice (seed chosen): this attempt does not count toward the DoD."
                    if self.attempt.practice
                    else ""
                ),
            )
        )
        given = len(self.attempt.feedback)
        self.query_one("#quiz-progress", ProgressBar).update(total=total, progress=given)
        if self.attempt.unanswered:
            self.current = self.attempt.unanswered[0]
            self._show_question()
            answer.focus()
        else:
            self._finish()

    def _stop(self, message: str) -> None:
        self.query_one("#quiz-question", Static).update(Content(message))  # may quote a file
        self.query_one("#quiz-answer", Input).display = False
        self.query_one("#quiz-progress", ProgressBar).display = False

    def _show_question(self) -> None:
        presented = self.attempt.questions[self.current]
        total = len(self.attempt.questions)
        lines = [
            Content.assemble((f"Question {self.current + 1} of {total}", "bold $accent")),
            Content(""),
            Content(presented.question.prompt),
        ]
        self.query_one("#quiz-question", Static).update(Content("\n").join(lines))
        # A grid, so that a long choice wraps under its own text, not under its number.
        choices = Table.grid(padding=(0, 1))
        choices.add_column(justify="right", style="bold", no_wrap=True)
        choices.add_column(ratio=1)
        for number, choice in enumerate(presented.choices, start=1):
            choices.add_row(f"{number}.", Text(choice))
        widget = self.query_one("#quiz-choices", Static)
        widget.update(choices)
        widget.display = bool(presented.choices)
        answer = self.query_one("#quiz-answer", Input)
        answer.value = ""
        answer.placeholder = f"your answer: {presented.hint}"
        self.query_one("#quiz-feedback", Static).update("")
        self.answered = False

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "quiz-answer" or self.attempt is None:
            return
        event.stop()
        if self.attempt.status != "in_progress":
            return
        if self.answered:
            self._advance()
            return
        AnswerError = importlib.import_module("harness.learning.quiz").AnswerError  # noqa: N806

        feedback = self.query_one("#quiz-feedback", Static)
        try:
            fb = self.attempt.answer(self.current, event.value)
        except AnswerError as exc:
            feedback.update(Content.assemble(("✗ ", "bold $error"), str(exc)))
            return
        self.answered = True
        self.query_one("#quiz-progress", ProgressBar).advance(1)
        if fb.correct:
            verdict = Content.assemble(("✓ correct", "bold $success"))
        else:
            verdict = Content.assemble(
                ("✗ not quite", "bold $error"), f": the answer is {fb.expected}"
            )
        feedback.update(
            Content.assemble(verdict, ("   (enter for the next question)", "$text-muted"))
        )

    def _advance(self) -> None:
        if self.current + 1 < len(self.attempt.questions):
            self.current += 1
            self._show_question()
        else:
            self._finish()

    def _finish(self) -> None:
        result = self.attempt.finish()
        chapter = self.app.chapter
        verdict = (
            ("PASSED", "bold $success") if result.passed else ("not passed yet", "bold $warning")
        )
        lines = [
            Content.assemble(
                ("Score ", "bold"),
                f"{result.correct}/{result.total} = {result.score:.0%} "
                f"(pass mark {result.pass_mark:.0%}): ",
                verdict,
            )
        ]
        missed = self.attempt.review()
        if missed:
            lines += [Content(""), Content.styled("To review", "bold")]
        rereads: dict[str, str] = {}  # command line -> what it opens, in quiz order
        for m in missed:
            given = "no answer" if m.given is None else f"you answered {m.given}"
            line = reread_command(chapter, m.section)
            reread = f"{m.section}  ({line})" if line else str(m.section)
            if line:
                rereads.setdefault(line, str(m.section))
            lines += [
                Content(""),
                Content.assemble((f"[{m.position + 1}] ", "bold"), m.question.prompt),
                Content.assemble("  ", given, "; the answer is ", (m.expected, "bold")),
                Content(f"  {m.explanation}"),
                Content.assemble(("  reread: ", "$text-muted"), reread),
            ]
        if not missed:
            lines.append(Content("Every answer was right."))
        lines += self._by_outcome()
        self.query_one("#quiz-question", Static).update(Content("\n").join(lines))
        self.query_one("#quiz-feedback", Static).update(
            Content.styled("escape: back home · /quiz X2: another attempt", "$text-muted")
        )
        self.query_one("#quiz-answer", Input).display = False
        self.query_one("#quiz-choices", Static).display = False
        self._offer_rereads(rereads)
        self.app.notify(f"quiz {result.score:.0%}: {verdict[0]}", title="quiz")

    def _offer_rereads(self, rereads: dict[str, str]) -> None:
        """The sections to reread as a list: enter opens the page at that section."""
        if not rereads:
            return
        options = OptionList(
            *[Option(f"reread {what}", id=line) for line, what in rereads.items()],
            id="quiz-reread",
        )
        self.query_one("#quiz").mount(options, after="#quiz-question")
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id == "quiz-reread" and event.option.id:
            event.stop()
            self.app.run_command_line(event.option.id)

    def _by_outcome(self) -> list[Content]:
        """Which outcomes held the score back, mastery so far, and what went to review."""
        from harness.learning import mastery, review

        store, chapter, attempt = self.app.store, self.app.chapter, self.attempt
        rows = mastery.learner_mastery(store, chapter, attempt.bank, attempt.learner)
        lines = [
            Content(""),
            Content.styled("By outcome (this attempt · mastery so far, 90% interval)", "bold"),
        ]
        for r in mastery.attempt_breakdown(attempt, rows):
            mark = ("held back", "$warning") if r.held_back else ("ok", "$success")
            lines.append(
                Content.assemble(
                    f"  {r.outcome:<16} {r.right}/{r.asked}  ",
                    mark,
                    ("   mastery ", "$text-muted"),
                    r.mastery.shown(),
                )
            )
            lines += [Content.assemble(("      reread: ", "$text-muted"), str(s)) for s in r.reread]
        queued = review.queue(store, chapter, attempt.bank, attempt.learner)
        lines += [
            Content(""),
            Content.assemble(
                ("Review: ", "bold"), review.due_line(queued), ("  (/review)", "$text-muted")
            ),
        ]
        return lines

    def action_leave(self) -> None:
        """Escape: go back at once if nothing is open, else ask what to do with the attempt."""
        if not self.attempt_in_progress:
            self.app.pop_screen()
            return
        given = len(self.attempt.feedback)

        def answered(key: str | None) -> None:
            if key == "k":
                self.app.pop_screen()
            elif key == "a":
                self.attempt.abandon()
                self.app.notify(
                    f"quiz attempt abandoned ({answers_word(given)} given, kept in your record)",
                    title="quiz",
                )
                self.app.pop_screen()

        self.app.push_screen(
            ConfirmScreen(
                f"Leave the quiz? {answers_word(given).capitalize()} of "
                f"{len(self.attempt.questions)} so far.",
                [("k", "keep it for later: /quiz resumes it"), ("a", "abandon it"), ("s", "stay")],
                title="quiz",
            ),
            answered,
        )

    def keep_for_later(self) -> None:
        """Nothing to do: an open attempt stays open when the screen goes (see on_unmount)."""

    def on_unmount(self) -> None:
        # Navigating away (/read, ctrl+l, quitting) never abandons: the attempt stays open and
        # the next /quiz offers to resume it.
        if self.attempt_in_progress:
            self.app.notify(
                f"quiz attempt kept with {answers_word(len(self.attempt.feedback))}: "
                f"/quiz {self.app.chapter.quiz_id} resumes it",
                title="quiz",
            )
