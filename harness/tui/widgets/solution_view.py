"""The reference solution of a task beside the learner's: two columns on a wide screen, a
unified diff on a narrow one (80 columns cannot hold two readable columns of code)."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from harness.watch import side_by_side, unified

SIDE_BY_SIDE_MIN_WIDTH = 100
STYLE = {"replace": "on #3a2a00", "delete": "on #3b1c1c", "insert": "on #173b1f"}


def render_comparison(mine: str, reference: str, width: int, title: str) -> Group:
    header = Text(title, style="bold")
    if width < SIDE_BY_SIDE_MIN_WIDTH:
        body = Text()
        for line in unified(mine, reference, mine_name="yours", reference_name="reference").split(
            "\n"
        ):
            style = ""
            if line.startswith("+") and not line.startswith("+++"):
                style = "green"
            elif line.startswith("-") and not line.startswith("---"):
                style = "red"
            body.append(line + "\n", style=style)
        if not body.plain.strip():
            body.append("yours and the reference are the same, line for line\n")
        return Group(header, body)
    table = Table(expand=True, show_lines=False, box=None, padding=(0, 1))
    table.add_column("yours", ratio=1, overflow="fold")
    table.add_column("reference", ratio=1, overflow="fold")
    for row in side_by_side(mine, reference):
        style = STYLE.get(row.tag, "")
        table.add_row(
            Text(row.mine if row.mine is not None else "", style=style if row.mine else ""),
            Text(row.theirs if row.theirs is not None else "", style=style if row.theirs else ""),
        )
    return Group(header, table)


class SolutionView(VerticalScroll):
    """Holds one comparison; `show()` replaces it."""

    DEFAULT_CSS = """
    SolutionView {
        height: 1fr;
    }
    SolutionView > Static {
        height: auto;
    }
    """

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.mine = ""
        self.reference = ""
        self.title = "Pass a task and its reference solution appears here, beside yours."
        self.task_id: str | None = None

    def compose(self):
        yield Static(self.title, id="solution-body")

    def show(self, task_id: str, mine: str, reference: str, title: str) -> None:
        self.task_id, self.mine, self.reference, self.title = task_id, mine, reference, title
        self._draw()

    def on_resize(self) -> None:
        if self.task_id is not None:
            self._draw()

    def _draw(self) -> None:
        width = self.size.width or self.app.size.width
        self.query_one("#solution-body", Static).update(
            render_comparison(self.mine, self.reference, width, self.title)
        )
