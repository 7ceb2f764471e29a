"""The mentor's view: the cohort table, the highlighted learner's Definition of Done,
feedback and timeline, and a line to write feedback. A thin client over harness.cohort.views."""

from __future__ import annotations

import os

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Input, Select, Static

from harness.chapter import Chapter
from harness.cohort import evidence
from harness.cohort import views as mentor
from harness.progress import LabProgress
from harness.store import Store
from harness.tui.screens.base import HarnessScreen

TIMELINE_EVENTS = 40


def compact_columns(chapter: Chapter) -> list[str]:
    """The cohort table's headers, narrow enough for 80 columns; the detail pane has the rest."""
    return ["learner", "read", "DoD", *(lab.id for lab in chapter.labs), "quiz", "words", "active"]


def compact_cells(row: mentor.LearnerRow, *, flagged: bool = False) -> list[str]:
    st = row.status
    return [
        f"⚑ {row.name}" if flagged else row.name,
        f"{row.items_done}/{len(st.items)}",
        f"{row.dod_done}/{len(st.dod)}",
        *(_lab_cell(lab) for lab in row.tasks),
        "—" if st.quiz_best is None else f"{st.quiz_best:.0%}",
        "·".join(str(n) for n in row.reflection_words.values()),
        (row.last_activity or "—")[5:16].replace("T", " ") or "—",
    ]


def _lab_cell(lab: LabProgress) -> str:
    """Tasks passing of the lab's tasks, by their latest results: `✓ 5/5`, `2/5`, `—`."""
    if all(t.status is None for t in lab.tasks):
        return "—"
    return f"{'✓ ' if lab.done == lab.total else ''}{lab.done}/{lab.total}"


class MentorScreen(HarnessScreen):
    """Cohort overview; highlight a learner to see their details and give feedback."""

    # Layout for this one screen; app.tcss may take it over (rules there win). Below 120
    # columns the learner's pane moves under the table, so the table gets the full width.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    DEFAULT_CSS = """
    MentorScreen #mentor-summary { height: 1; padding: 0 1; color: $text-muted; }
    MentorScreen #mentor-columns { height: 1fr; }
    MentorScreen #cohort { width: 3fr; height: 1fr; border: round $primary; }
    MentorScreen #mentor-detail-pane { width: 2fr; min-width: 36; border: round $secondary;
                                       padding: 0 1; }
    MentorScreen #mentor-timeline { height: 1fr; }
    MentorScreen #feedback-row { height: 3; }
    MentorScreen #feedback-target { width: 30; }
    MentorScreen #feedback-text { width: 1fr; }
    MentorScreen.-narrow #mentor-columns { layout: vertical; }
    MentorScreen.-narrow #cohort { width: 1fr; height: 1fr; border-left: none; border-right: none; }
    MentorScreen.-narrow #mentor-detail-pane { width: 1fr; min-width: 0; height: 1fr; }
    MentorScreen.-narrow #mentor-detail { height: auto; max-height: 50%; overflow-y: auto; }
    MentorScreen.-narrow #feedback-target { width: 20; }
    """

    BINDINGS = [
        Binding("f", "write_feedback", "Feedback"),
        Binding("r", "refresh_cohort", "Refresh"),
    ]

    def __init__(self, store: Store, chapter: Chapter, *, mentor_name: str | None = None):
        super().__init__()
        self.store = store
        self.chapter = chapter
        self.mentor_name = mentor_name or os.environ.get("HARNESS_MENTOR", "mentor")
        self.selected: str | None = None
        self.rows: dict[str, mentor.LearnerRow] = {}
        self.flags: dict[str, list[str]] = {}

    def compose_body(self) -> ComposeResult:
        yield Static(id="mentor-summary")
        with Horizontal(id="mentor-columns"):
            # The learner column stays put when left/right scroll the rest.
            table: DataTable = DataTable(
                id="cohort", cursor_type="row", zebra_stripes=True, fixed_columns=1
            )
            table.border_title = "Cohort"
            table.border_subtitle = "words: per reflection prompt"
            yield table
            with Vertical(id="mentor-detail-pane") as pane:
                pane.border_title = "Learner"
                yield Static(id="mentor-detail", markup=False)
                with VerticalScroll(id="mentor-timeline"):
                    yield Static(id="mentor-events", markup=False)
        targets = [lab.id for lab in self.chapter.labs] + [
            f"reflection:{p.id}" for p in self.chapter.reflections
        ]
        with Horizontal(id="feedback-row"):
            yield Select(
                [(t, t) for t in targets], value=targets[0], allow_blank=False, id="feedback-target"
            )
            yield Input(
                placeholder="feedback for the highlighted learner; Enter saves", id="feedback-text"
            )

    def on_mount(self) -> None:
        self.action_refresh_cohort()
        self.query_one("#cohort", DataTable).focus()

    def action_refresh_cohort(self) -> None:
        table = self.query_one("#cohort", DataTable)
        table.clear(columns=True)
        table.add_columns(*compact_columns(self.chapter))
        rows = mentor.overview(self.store, self.chapter, with_tasks=True)
        self.rows = {row.name: row for row in rows}
        self.flags = evidence.store_flags(self.store)
        for row in rows:
            # Text, not str: DataTable reads str cells as markup, and metric names are data.
            cells = compact_cells(row, flagged=row.name in self.flags)
            table.add_row(*map(Text, cells), key=row.name)
        done = sum(r.dod_done == len(r.status.dod) for r in rows)
        self.query_one("#mentor-summary", Static).update(
            f"{len(rows)} learner(s) · {done} with the DoD complete · "
            f"quiz pass mark {self.chapter.pass_mark:.0%} · mentor: {self.mentor_name}"
        )
        if self.selected in self.rows:
            table.move_cursor(row=table.get_row_index(self.selected))
        elif rows:
            self.show_learner(rows[0].name)
        else:
            self.query_one("#mentor-detail", Static).update(
                "no learners yet: add one with `harness learner add NAME` or `harness import FILE`"
            )

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self.show_learner(str(event.row_key.value))

    def show_learner(self, name: str) -> None:
        self.selected = name
        row = self.rows[name]
        # markup=False on both panes: learners' and mentors' words may hold [brackets].
        st = row.status
        lines = [
            f"{name}: {row.items_done}/{len(st.items)} read-order items done, "
            f"next {row.next_item or '—'}",
            f"last active {(row.last_activity or '—')[:16].replace('T', ' ')} · quiz "
            f"{st.quiz_attempts} attempt(s)",
        ]
        lines += [f"  ⚑ {flag}" for flag in self.flags.get(name, [])]
        lines += [f"  {'[x]' if e.done else '[ ]'} {e.label}: {e.detail}" for e in st.dod]
        lines += [f"  {lab.summary()}" for lab in row.tasks]
        lines += [  # what backs each lab's last full check (issue 13)
            f"  {cell.lab_id} last check: {cell.status} ({cell.verification})"
            for cell in row.labs
            if getattr(cell, "verification", None) is not None
        ]
        lines += [
            f"  {cell.lab_id} last run: {cell.metric_name}={mentor._number(cell.metric_value)}"
            for cell in row.labs
            if cell.metric_name is not None
        ]
        if row.status.feedback:
            lines.append("Feedback")
            lines += [
                f"  {fb['at'][:16]} {fb['mentor']} on {fb['target']}: {fb['text']}"
                for fb in row.status.feedback
            ]
        self.query_one("#mentor-detail", Static).update("\n".join(lines))
        events = mentor.timeline(self.store, name)
        shown = events[-TIMELINE_EVENTS:]
        self.query_one("#mentor-events", Static).update(
            f"Timeline, latest first ({len(shown)} of {len(events)} events)\n"
            + "\n".join(
                f"{ev['at'][5:16]} {ev['kind']} {mentor.describe_event(ev)}"
                for ev in reversed(shown)
            )
        )

    def action_write_feedback(self) -> None:
        self.query_one("#feedback-text", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "feedback-text":
            return
        event.stop()
        text = event.value.strip()
        if self.selected is None:
            self.notify("no learner to give feedback to", severity="warning")
            return
        if not text:
            self.notify("type the feedback first", severity="warning")
            return
        target = str(self.query_one("#feedback-target", Select).value)
        try:
            self.store.add_feedback(self.selected, self.mentor_name, target, text)
        except (KeyError, ValueError) as exc:
            self.notify(str(exc), title="feedback", severity="error", markup=False)
            return
        event.input.value = ""
        self.notify(f"saved for {self.selected} on {target}", title="feedback")
        self.action_refresh_cohort()
        self.query_one("#cohort", DataTable).focus()
