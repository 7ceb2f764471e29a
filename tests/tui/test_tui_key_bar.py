"""The key bar (the footer) rebuilds once while a screen opens, and again only when the keys
it shows change: Textual's Footer rebuilt all its keys at every binding notice, three times
while home opened, which was a good part of the TUI's start-up."""

from __future__ import annotations

import pytest
from textual.widgets._footer import FooterKey

from harness.tui.screens.home import HomeScreen
from harness.tui.screens.reader import ReaderScreen
from harness.tui.widgets.footer import KeyBar

pytestmark = pytest.mark.anyio


@pytest.fixture
def rebuilds(monkeypatch) -> list[tuple[str, tuple]]:
    """Each key bar rebuild: the screen it was for and the keys it drew."""
    seen: list[tuple[str, tuple]] = []
    rebuild = KeyBar.recompose

    async def counted(self: KeyBar) -> None:
        seen.append((type(self.screen).__name__, self._keys()))
        await rebuild(self)

    monkeypatch.setattr(KeyBar, "recompose", counted)
    return seen


def keys(app) -> list[str]:
    return [key.description for key in app.screen.query_one(KeyBar).query(FooterKey)]


async def test_home_builds_its_key_bar_once(make, rebuilds):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert [screen for screen, _ in rebuilds] == ["HomeScreen"]
        assert {"Next step", "Quiz", "Reflect", "Mentor", "Command", "Help"} <= set(keys(app))
        assert "Back" not in keys(app)  # nothing to go back to from home


async def test_the_key_bar_follows_the_focus_and_the_screen(make, rebuilds):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("slash")  # into the command line: its own key shows
        await pilot.pause()
        assert "Leave the command line" in keys(app)
        await pilot.press("escape")
        await pilot.pause()
        assert "Leave the command line" not in keys(app)
        app.run_command_line("/read theory-00")
        await pilot.pause()
        assert isinstance(app.screen, ReaderScreen)
        assert "Back" in keys(app) and "Next step" not in keys(app)
        home = [drawn for screen, drawn in rebuilds if screen == "HomeScreen"]
        assert len(home) >= 3  # opened, line focused, line left
        # each rebuild drew keys different from the one before it
        assert all(a != b for a, b in zip(home, home[1:], strict=False))
