"""Review: today's spaced review, one card at a time, then mastery per outcome.

A thin client over `harness.learning.review` (imported when the screen opens): the queue is
read once on mount, each answer is graded, rescheduled and recorded as it is given, and the
screen ends with a gentle line on what is left and the learner's mastery per outcome.
"""

from __future__ import annotations

import importlib

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Input, Static

from harness.tui.screens.base import HarnessScreen


class ReviewScreen(HarnessScreen):
    def __init__(self, *, cap: int | None = None) -> None:
        super().__init__()
        self.cap = cap
        self.items: tuple = ()
        self.current = 0
        self.answered = False
        self.right = 0
        self.engine = None

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="review"):
            yield Static(id="review-header")
            yield Static(id="review-question")
            yield Static(id="review-choices")
            yield Input(id="review-answer")
            yield Static(id="review-feedback")

    def on_mount(self) -> None:
        self.sub_title = "Review"
        learner = self.app.require_learner()
        if learner is None:
            self._stop("Pick a learner first (ctrl+l).")
            return
        self.learner = learner
        self.engine = importlib.import_module("harness.learning.review")
        quiz = importlib.import_module("harness.learning.quiz")
        try:
            self.bank = quiz.load_bank(self.app.chapter.quiz_bank)
        except (ValueError, OSError) as exc:  # ManifestError is a ValueError
            self._stop(f"The review cannot start: {exc}")
            return
        cap = self.cap or self.engine.DAILY_CAP
        queue = self.engine.queue(self.app.store, self.app.chapter, self.bank, learner, cap=cap)
        self.items = queue.items
        self.query_one("#review-header", Static).update(
            Content.assemble(("Review", "bold"), f" for {learner}: {self.engine.due_line(queue)}")
        )
        if not self.items:
            self._summary()
            return
        self._show()
        self.query_one("#review-answer", Input).focus()

    def _stop(self, message: str) -> None:
        self.query_one("#review-question", Static).update(Content(message))
        self.query_one("#review-answer", Input).display = False
        self.query_one("#review-choices", Static).display = False

    def _show(self) -> None:
        item = self.items[self.current]
        p = item.presented
        self.query_one("#review-question", Static).update(
            Content("\n").join(
                [
                    Content.styled(f"Card {self.current + 1} of {len(self.items)}", "bold $accent"),
                    Content.styled(item.context, "$text-muted"),
                    Content(""),
                    Content(p.question.prompt),
                ]
            )
        )
        choices = Table.grid(padding=(0, 1))
        choices.add_column(justify="right", style="bold", no_wrap=True)
        choices.add_column(ratio=1)
        for number, choice in enumerate(p.choices, start=1):
            choices.add_row(f"{number}.", Text(choice))
        widget = self.query_one("#review-choices", Static)
        widget.update(choices)
        widget.display = bool(p.choices)
        answer = self.query_one("#review-answer", Input)
        answer.value = ""
        answer.placeholder = f"your answer: {p.hint}"
        self.query_one("#review-feedback", Static).update("")
        self.answered = False

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "review-answer" or not self.items:
            return
        event.stop()
        if self.answered:
            self._advance()
            return
        quiz = importlib.import_module("harness.learning.quiz")
        feedback = self.query_one("#review-feedback", Static)
        item = self.items[self.current]
        try:
            result = self.engine.answer(self.app.store, self.learner, item, event.value)
        except quiz.AnswerError as exc:
            feedback.update(Content.assemble(("✗ ", "bold $error"), str(exc)))
            return
        self.answered = True
        self.right += result.correct
        verdict = (
            Content.styled("✓ right", "bold $success")
            if result.correct
            else Content.assemble(("✗ not quite", "bold $error"), f": {result.expected}")
        )
        when = self.engine.next_due_text(result.next_due)
        feedback.update(
            Content("\n").join(
                [
                    verdict,
                    Content(result.explanation),
                    Content.assemble(
                        ("back ", "$text-muted"),
                        when,
                        ("  · reread: ", "$text-muted"),
                        str(result.section),
                    ),
                    Content.styled("(enter for the next card)", "$text-muted"),
                ]
            )
        )

    def _advance(self) -> None:
        if self.current + 1 < len(self.items):
            self.current += 1
            self._show()
        else:
            self._summary()

    def _summary(self) -> None:
        mastery = importlib.import_module("harness.learning.mastery")
        rows = mastery.learner_mastery(self.app.store, self.app.chapter, self.bank, self.learner)
        lines = []
        if self.items:
            lines += [Content(f"{self.right} of {len(self.items)} right today."), Content("")]
        lines.append(Content.styled("Mastery per outcome (estimate, 90% interval)", "bold"))
        lines += [Content(f"  {line}") for line in mastery.summary_lines(rows)]
        self.query_one("#review-question", Static).update(Content("\n").join(lines))
        self.query_one("#review-answer", Input).display = False
        self.query_one("#review-choices", Static).display = False
        self.query_one("#review-feedback", Static).update(
            Content.styled("escape: back home", "$text-muted")
        )
