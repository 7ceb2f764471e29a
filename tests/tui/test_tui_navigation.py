"""Command line, palette, learners, help and mentor: every way around the app."""

from __future__ import annotations

import sys
import types

import pytest
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static

from harness.tui.screens.help import HelpScreen
from harness.tui.screens.home import HomeScreen
from harness.tui.screens.learners import LearnersScreen
from harness.tui.screens.reader import ReaderScreen

from .conftest import LEARNER

pytestmark = pytest.mark.anyio


def toasts(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def type_command(pilot, line: str) -> None:
    await pilot.press("slash")
    bar = pilot.app.screen.query_one("#command-bar", Input)
    assert bar.has_focus and bar.value == "/"
    bar.value = line
    await pilot.press("enter")
    await pilot.pause()


async def test_the_command_line_opens_with_slash_and_runs(make):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("slash", *"read theory-00", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ReaderScreen)
        assert app.screen.query_one("#command-bar", Input).value == ""


async def test_back_from_a_command_the_keys_work_again(make):
    """A command typed on the home screen must not leave the line focused for the return:
    otherwise the next 'r' or 'q' is typed into the line instead of opening a screen."""
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await type_command(pilot, "/read theory-00")
        assert isinstance(app.screen, ReaderScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert not app.screen.query_one("#command-bar").has_focus
        await pilot.press("r")
        await pilot.pause()
        assert type(app.screen).__name__ == "ReflectionsScreen"


@pytest.mark.parametrize(
    "line, message",
    [
        ("/read [/x]", "unknown page '[/x]'"),
        ("/[b]oom", "unknown command '/[b]oom'"),
        ("/check lab-00 [/i]", "unknown task '[/i]'"),
    ],
)
async def test_a_typed_line_that_looks_like_markup_is_shown_as_typed(make, line, message):
    app = make()
    # notifications=True: run_test mounts no toasts by default, and the crash was in rendering one
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await type_command(pilot, line)
        await pilot.pause(0.3)  # the toast renders: markup in it would raise MarkupError
        assert isinstance(app.screen, HomeScreen)
        assert any(message in toast for toast in toasts(app)), toasts(app)


@pytest.mark.parametrize(
    "line, message",
    [
        ("/check lab-9", "unknown lab 'lab-9'; known: lab-00, lab-01, lab-02"),
        ("/teleport", "unknown command '/teleport'; known: /next, /read"),
        ("/read nowhere", "unknown page 'nowhere'"),
        ("/quiz X9", "unknown quiz 'X9'; known: X2"),
    ],
)
async def test_mistakes_are_messages_not_crashes(make, line, message):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await type_command(pilot, line)
        assert isinstance(app.screen, HomeScreen)
        assert any(message in toast for toast in toasts(app))


async def test_help_lists_the_commands(make):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await type_command(pilot, "/help")
        assert isinstance(app.screen, HelpScreen)
        shown = str(app.screen.query_one(Static).render())
        assert "/check LAB [TASK] [--reference]" in shown and "ctrl+p" in shown
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


async def test_escape_leaves_the_command_line_first(make):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/read theory-00")
        await pilot.pause()
        await pilot.press("slash", "escape")
        assert isinstance(app.screen, ReaderScreen)  # still there: escape left the line
        assert not app.screen.query_one("#command-bar").has_focus
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_content_screens_replace_each_other(make):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        for line in ("/read theory-00", "/reflect", "/lab lab-00", "/read theory-01"):
            app.run_command_line(line)
            await pilot.pause()
        assert [type(s).__name__ for s in app.screen_stack] == ["HomeScreen", "ReaderScreen"]


async def test_the_palette_offers_the_same_actions(make):
    from harness.tui.palette import HarnessCommands

    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        provider = HarnessCommands(app.screen)
        titles = [title for title, _, _ in provider._entries()]
        assert "lab: check lab-00" in titles and "quiz: take X2" in titles
        assert all(": " in title for title in titles)  # "category: action"
        hits = [hit async for hit in provider.search("check lab-01")]
        assert hits and hits[0].text == "lab: check lab-01"
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"read: theory-00")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ReaderScreen)
        assert app.screen.item.id == "theory-00"


async def test_switch_and_add_learners(make, store, learners_root):
    store.add_learner("bo")
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(app.screen, LearnersScreen)
        options = app.screen.query_one("#learner-list", OptionList)
        assert [o.id for o in options.options] == [LEARNER, "bo"]
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.learner == "bo" and isinstance(app.screen, HomeScreen)
        assert "· bo" in app.sub_title

        await pilot.press("ctrl+l")
        await pilot.pause()
        field = app.screen.query_one("#new-learner", Input)
        field.value = "Not Valid"
        field.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert "invalid learner name 'Not Valid'" in str(
            app.screen.query_one("#learner-error", Static).render()
        )
        field.value = "[/x]"  # shown as typed; as markup it crashed the picker
        await pilot.press("enter")
        await pilot.pause()
        assert "invalid learner name '[/x]'" in str(
            app.screen.query_one("#learner-error", Static).render()
        )
        field.value = "cy"
        await pilot.press("enter")
        await pilot.pause()
        assert app.learner == "cy" and "cy" in store.learners()
        assert (learners_root / "cy" / "extension-X2").is_dir()


async def test_without_a_learner_the_picker_opens_first(make, store):
    app = make(learner=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LearnersScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert app.learner == LEARNER


async def test_mentor_is_not_yet_available_without_its_screen(make, monkeypatch):
    monkeypatch.setitem(sys.modules, "harness.tui.screens.mentor", None)
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert any("not yet available" in toast for toast in toasts(app))


async def test_mentor_screen_is_pushed_when_it_exists(make, monkeypatch):
    class MentorScreen(Screen):
        def __init__(self, store, chapter):
            super().__init__()
            self.args = (store, chapter)

    module = types.ModuleType("harness.tui.screens.mentor")
    module.MentorScreen = MentorScreen
    monkeypatch.setitem(sys.modules, "harness.tui.screens.mentor", module)
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/mentor")
        await pilot.pause()
        assert isinstance(app.screen, MentorScreen)
        assert app.screen.args == (app.store, app.chapter)


def test_every_binding_has_a_description():
    from textual.binding import Binding

    from harness.tui import app as app_module
    from harness.tui.screens import help as help_screen
    from harness.tui.screens import home, lab, learners, quiz, reader, reflections
    from harness.tui.widgets import command_bar

    classes = [
        app_module.HarnessApp,
        home.HomeScreen,
        reader.ReaderScreen,
        lab.LabScreen,
        quiz.QuizScreen,
        reflections.ReflectionsScreen,
        learners.LearnersScreen,
        help_screen.HelpScreen,
        command_bar.CommandBar,
    ]
    for cls in classes:
        for binding in cls.__dict__.get("BINDINGS", []):
            assert isinstance(binding, Binding) and binding.description, (cls, binding)


async def test_typing_a_prefix_offers_the_rest_and_right_arrow_takes_it(make):
    app = make()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("slash")
        for key in "che":
            await pilot.press(key)
        await pilot.pause(0.3)
        await pilot.press("right")
        await pilot.pause()
        assert app.screen.query_one("#command-bar").value == "/check lab-00"
