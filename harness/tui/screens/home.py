"""Home: the read order with done/unlocked/locked marks, chapter progress, the Definition of
Done checklist, the next step with its reason, and mentor feedback."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from harness.progress import (
    DONE,
    LOCKED,
    ItemState,
    LabProgress,
    Status,
    chapter_progress,
    compute_status,
    next_step_for,
)
from harness.tui.commands import from_next_step
from harness.tui.screens.base import HarnessScreen

MARKS = {DONE: ("✓", "$success"), "unlocked": ("○", "$accent"), LOCKED: ("⊘", "$text-muted")}


def item_prompt(state: ItemState) -> Content:
    mark, style = MARKS[state.state]
    title_style = "$text-muted" if state.state == LOCKED else ""
    return Content.assemble(
        (f"{mark} ", style), (f"{state.item.id:<10}", "bold"), (state.item.title, title_style)
    )


def item_detail(state: ItemState) -> Content:
    """One line under the read order about the highlighted item: why it is locked, etc."""
    item = state.item
    if state.state == LOCKED:
        return Content.assemble(
            ("⊘ locked", "bold $warning"),
            f": {item.id} opens when {', '.join(state.waiting_for)} "
            f"{'is' if len(state.waiting_for) == 1 else 'are'} done",
        )
    if state.state == DONE:
        what = "checks pass" if item.kind == "lab" else "read"
        return Content.assemble(("✓ done", "bold $success"), f": {item.id} {what}")
    if item.kind == "lab":
        return Content.assemble(
            ("○ unlocked", "bold $accent"),
            f": enter reads the walkthrough; /check {item.id} runs its checks",
        )
    return Content.assemble(("○ unlocked", "bold $accent"), ": enter opens the page")


class HomeScreen(HarnessScreen):
    BINDINGS = [
        Binding("n", "next_step", "Next step"),
        Binding("q", "quiz", "Quiz"),
        Binding("r", "reflect", "Reflect"),
        Binding("m", "app.mentor", "Mentor"),
    ]

    states: dict[str, ItemState] = {}
    _resumed = False
    _fresh_from_mount = False
    _status_pane_built = False
    _status: Status | None = None  # what the status pane shows (None: no learner yet)

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="home-columns"):
            with Vertical(id="read-order-pane") as pane:
                pane.border_title = "Read order"
                yield OptionList(id="read-order")
                yield Static(id="item-detail")
                with Horizontal(id="progress-row"):
                    yield Static("Chapter ", id="progress-label")
                    yield ProgressBar(show_eta=False, id="chapter-progress")
                yield Static(id="read-order-spacer")
                yield Static(id="legend")
            # Filled after the first frame (see `_build_status_pane`).
            yield VerticalScroll(id="status-pane")

    async def _build_status_pane(self) -> None:
        """The status pane's widgets, mounted once the first frame is out: the read order is
        what the learner looks at first, and its neighbour follows a frame later instead of
        making the first one wait (~15 ms of styling, layout and drawing at start-up)."""
        await self.query_one("#status-pane", VerticalScroll).mount_all(
            [
                Static(id="next-step"),
                Static("Labs, task by task", classes="section-title"),
                Static(id="lab-progress"),
                Static("Definition of Done", classes="section-title"),
                Static(id="dod"),
                Static(id="feedback"),
            ]
        )
        self._status_pane_built = True
        self._fill_status_pane()

    def on_mount(self) -> None:
        self.query_one("#legend", Static).update(
            Content.assemble(
                ("✓", "$success"),
                " done  ",
                ("○", "$accent"),
                " unlocked  ",
                ("⊘", "$text-muted"),
                " locked · enter opens",
            )
        )
        self.refresh_status()
        self.call_after_refresh(self._build_status_pane)
        # Textual resumes a screen right after mounting it: that first resume has nothing new
        # to show (only one that comes after this mount may be skipped).
        self._fresh_from_mount = not self._resumed
        self.query_one("#read-order", OptionList).focus()

    def on_screen_resume(self) -> None:
        self._resumed = True
        if self._fresh_from_mount:
            self._fresh_from_mount = False
            return
        self.refresh_status()

    def refresh_status(self) -> None:
        learner = self.app.learner
        options = self.query_one("#read-order", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        if learner is None:
            self._status = None
            self._fill_status_pane()
            for item in self.app.chapter.items:
                options.add_option(Option(f"  {item.id:<10}{item.title}", id=item.id))
            return
        status = compute_status(self.app.store, self.app.chapter, learner)
        self.states = {s.item.id: s for s in status.items}
        for state in status.items:
            options.add_option(Option(item_prompt(state), id=state.item.id))
        if highlighted is None or highlighted >= options.option_count:
            highlighted = 0
        options.highlighted = highlighted
        done = sum(s.state == DONE for s in status.items)
        self.query_one("#chapter-progress", ProgressBar).update(
            total=len(status.items), progress=done
        )
        self._status = status
        self._fill_status_pane()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        state = self.states.get(event.option.id or "")
        self.query_one("#item-detail", Static).update(item_detail(state) if state else "")

    def _fill_status_pane(self) -> None:
        """Show the last status in the status pane, once the pane is built."""
        if not self._status_pane_built:
            return
        if self._status is None:
            self.query_one("#next-step", Static).update(
                "No learner yet: press ctrl+l to pick or add one."
            )
        else:
            self._show_status(self._status)

    def _show_status(self, status: Status) -> None:
        chapter = self.app.chapter
        command, reason = next_step_for(self.app.store, chapter, status.learner, status)
        self.query_one("#next-step", Static).update(
            Content.assemble(
                ("Next: ", "bold"),
                (from_next_step(command), "bold $accent"),
                "  (press n)\n",
                (reason, "italic"),
            )
        )
        self._show_labs(chapter_progress(self.app.store, chapter, status.learner))
        lines = []
        for entry in status.dod:
            mark = ("✓", "$success") if entry.done else ("○", "$warning")
            lines.append(
                Content.assemble(mark, " ", entry.label, (f" — {entry.detail}", "$text-muted"))
            )
        self.query_one("#dod", Static).update(Content("\n").join(lines))
        feedback = self.query_one("#feedback", Static)
        if status.feedback:
            rows = [Content.styled("Mentor feedback", "bold")]
            for fb in status.feedback:
                rows.append(
                    Content.assemble((f"{fb['mentor']} on {fb['target']}: ", "bold"), fb["text"])
                )
            feedback.update(Content("\n").join(rows))
            feedback.display = True
        else:
            feedback.display = False

    def _show_labs(self, progress: tuple[LabProgress, ...]) -> None:
        """`lab-00  3/5 tasks · next: block`: each task's latest result counts, from full
        checks and single-task ones alike."""
        lines = []
        for lab in progress:
            nxt = lab.next_task
            style = "$success" if nxt is None else ""
            lines.append(
                Content.assemble(
                    (f"{lab.lab_id:<8}", "bold"),
                    (f"{lab.done}/{lab.total} tasks", style),
                    (f" · next: {nxt.task.id}" if nxt else " · all pass", "$text-muted"),
                )
            )
        self.query_one("#lab-progress", Static).update(Content("\n").join(lines))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.app.run_command_line(f"/read {event.option.id}")

    def action_next_step(self) -> None:
        self.app.action_next_step()

    def action_quiz(self) -> None:
        """`q` is quit in many TUIs: a recorded attempt starts only after a yes."""
        from harness.tui.screens.confirm import ConfirmScreen

        chapter = self.app.chapter

        def answered(key: str | None) -> None:
            if key == "y":
                self.app.run_command_line(f"/quiz {chapter.quiz_id}")

        self.app.push_screen(
            ConfirmScreen(
                f"Open quiz {chapter.quiz_id}? A new attempt is recorded (pass mark "
                f"{chapter.pass_mark:.0%}); an unfinished one can be resumed. To quit: ctrl+q.",
                [("y", "open the quiz"), ("n", "not now")],
                title="quiz",
            ),
            answered,
        )

    def action_reflect(self) -> None:
        self.app.run_command_line("/reflect")
