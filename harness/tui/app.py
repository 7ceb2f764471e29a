"""The learner's TUI: home, reader, labs, quiz, reflections, learners, one command line.

`make_app` is the one factory: the CLI passes the real store, tests pass `Store.memory()`
or a temporary file. Nothing here imports torch, transformers, the checks runner or the
quiz engine at import time; screens import those lazily when they need them.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path

from textual.app import App
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import Screen

from harness.chapter import Chapter, ManifestError, load_chapter
from harness.learners import create_folders
from harness.progress import next_step_for
from harness.store import Store, StoreError
from harness.tui.commands import Command, CommandError, from_next_step, parse_command
from harness.tui.jobs import Job, JobRunner, clean_message
from harness.tui.screens.home import HomeScreen


def _palette_commands():
    """The command palette's provider, imported when the palette first opens."""
    from harness.tui.palette import HarnessCommands

    return HarnessCommands


class HarnessApp(App[None]):
    """Chapter X2 for one learner at a time; the learner can be switched inside the app."""

    CSS_PATH = "app.tcss"
    TITLE = "Harness"
    COMMANDS = App.COMMANDS | {_palette_commands}
    # Below 100 columns the screens stack their panes instead of setting them side by side.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    BINDINGS = [
        Binding("slash", "command_line", "Command", key_display="/"),
        Binding("escape", "back", "Back"),
        Binding("ctrl+l", "learners", "Learner"),
        Binding("f1", "help", "Help"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(
        self,
        *,
        store: Store,
        chapter: Chapter,
        learner: str | None,
        learners_root: Path | None = None,
        quiz_seed: int | None = None,
        autosave_delay: float = 1.0,
        on_learner: Callable[[str], None] | None = None,
    ):
        super().__init__()
        self.on_learner = on_learner
        self.jobs = JobRunner(self)
        self.jobs.listen(self._job_event)
        self.store = store
        self.chapter = chapter
        self.learner = learner
        self.learners_root = learners_root
        self.quiz_seed = quiz_seed
        self.autosave_delay = autosave_delay
        self.sub_title = self._subtitle()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool | None = None,
    ) -> None:
        """Our notifications carry data (a typed page id, an error naming a file, learner
        output), so they are plain text unless asked: as markup, '[/x]' would crash the toast.
        Textual's own toasts (ctrl+c's hint, a saved screenshot) are written as markup and
        rely on its default, so a caller inside textual keeps markup on."""
        if markup is None:
            caller = sys._getframe(1).f_globals.get("__name__", "")
            markup = caller == "textual" or caller.startswith("textual.")
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def _job_event(self, job: Job, event: str, payload: object) -> None:
        """Say how a background job ended, whatever screen the learner is on."""
        if event != "finished":
            return
        home = self._home()
        if home is not None and self.screen is home:
            home.refresh_status()  # the labs' task counts move while the learner looks
        outcome, error = payload  # type: ignore[misc]
        noun = "checks" if job.kind == "check" else "run"
        if outcome is None:
            self.notify(error, title=f"{job.lab_id} {noun}", severity="error")
        elif job.kind == "check":
            if job.trigger == "watch" and outcome.status == "pass":
                return  # the lab screen celebrates a watched pass itself
            passed = sum(r.status == "pass" for r in outcome.results)
            self.notify(
                f"{outcome.status} ({passed}/{len(outcome.results)} passed)",
                title=f"{job.what()}",
                severity="information" if outcome.status == "pass" else "warning",
            )
        else:
            first = (clean_message(outcome.message).splitlines() or [""])[0]
            self.notify(
                str(outcome.status) if outcome.status == "ok" else f"{outcome.status}: {first}",
                title=job.what(),
                severity="information" if outcome.status == "ok" else "warning",
            )

    def _subtitle(self) -> str:
        who = self.learner or "no learner"
        return f"{self.chapter.id} — {self.chapter.title} · {who}"

    def get_default_screen(self) -> Screen:
        """Home is the bottom of the stack: the first frame draws it, not a blank screen that
        home is pushed over (a second screen to style, lay out and paint before anything)."""
        return HomeScreen()

    def on_mount(self) -> None:
        if self.learner is None:
            self.action_learners()

    # --- learners ---------------------------------------------------------------------

    def set_learner(self, name: str) -> None:
        self.learner = name
        if self.on_learner is not None:
            self.on_learner(name)
        self.sub_title = self._subtitle()
        self.go_home()
        home = self._home()
        if home is not None:
            home.refresh_status()
        self.notify(f"now working as {name}", title="learner")

    def add_learner(self, name: str) -> bool:
        """Create the learner and their folders; return False if they already existed."""
        created = self.store.add_learner(name)
        create_folders(name, self.chapter, self.learners_root)
        return created

    def require_learner(self) -> str | None:
        if self.learner is None:
            self.notify("pick a learner first (ctrl+l)", severity="warning")
        return self.learner

    # --- navigation -------------------------------------------------------------------

    def _home(self) -> HomeScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, HomeScreen):
                return screen
        return None

    def go_home(self) -> None:
        while len(self.screen_stack) > 1 and not isinstance(self.screen, HomeScreen):
            self.pop_screen()

    def show(self, screen: Screen) -> None:
        """Open a content screen on top of home (replacing any other content screen)."""
        self.go_home()
        self.push_screen(screen)

    def run_command_line(self, text: str) -> None:
        """Parse and act on a command line; mistakes become a message, never a crash."""
        try:
            command = parse_command(text, self.chapter)
        except CommandError as exc:
            self.notify(str(exc), title="command", severity="error", timeout=8)
            return
        try:
            self.dispatch(command)
        except (StoreError, ManifestError, KeyError, OSError) as exc:  # e.g. a locked database
            text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
            self.notify(str(text), title=f"/{command.verb}", severity="error", timeout=10)

    def dispatch(self, command: Command) -> None:
        from harness.tui.screens.help import HelpScreen

        verb = command.verb
        if verb == "help":
            self.push_screen(HelpScreen())
        elif verb == "home":
            self.go_home()
        elif verb == "learner":
            self.action_learners()
        elif verb == "mentor":
            self.action_mentor()
        elif self.require_learner() is None:
            return
        elif verb == "next":
            self.action_next_step()
        elif verb == "read":
            from harness.tui.screens.reader import ReaderScreen

            item = self.chapter.item(command.target)
            if command.section:  # e.g. a quiz's reread hint: open the page at that section
                self.show(ReaderScreen(item, section=command.section))
            else:
                self.show(ReaderScreen(item))
        elif verb in ("lab", "check", "run"):
            from harness.tui.screens.lab import LabScreen

            start = None if verb == "lab" else verb
            self.show(
                LabScreen(
                    self.chapter.lab(command.target),
                    start=start,
                    task=command.task,
                    reference=command.reference,
                )
            )
        elif verb == "quiz":
            from harness.tui.screens.quiz import QuizScreen

            self.show(QuizScreen())
        elif verb == "review":
            from harness.tui.screens.review import ReviewScreen

            self.show(ReviewScreen())
        elif verb == "reflect":
            from harness.tui.screens.reflections import ReflectionsScreen

            self.show(ReflectionsScreen())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back" and isinstance(self.screen, HomeScreen):
            return False  # nothing to go back to: hide it from the footer
        return True

    # --- actions ----------------------------------------------------------------------

    def action_command_line(self) -> None:
        from harness.tui.widgets.command_bar import CommandBar

        bars = self.screen.query(CommandBar)
        if bars:
            bars.first().open()

    async def action_quit(self) -> None:
        """ctrl+q: quit at once, unless a background job or an open quiz attempt would be
        cut short; then ask first."""
        at_stake = []
        if self.jobs.current is not None:
            at_stake.append(f"the {self.jobs.current.what()} still running will be stopped")
        quiz = self._open_quiz()
        if quiz is not None:
            at_stake.append("your quiz attempt is kept: /quiz X2 resumes it next time")
        if not at_stake:
            self.exit()
            return
        from harness.tui.screens.confirm import ConfirmScreen

        def answered(key: str | None) -> None:
            if key == "y":
                if quiz is not None:
                    quiz.keep_for_later()
                self.jobs.cancel()
                self.exit()

        self.push_screen(
            ConfirmScreen(
                "Quit now? " + "; ".join(at_stake) + ".",
                [("y", "quit"), ("n", "stay")],
                title="quit",
            ),
            answered,
        )

    def _open_quiz(self):
        """The quiz screen with an attempt in progress, if one is open."""
        for screen in self.screen_stack:
            if getattr(screen, "attempt_in_progress", False):
                return screen
        return None

    def action_back(self) -> None:
        if len(self.screen_stack) > 1 and not isinstance(self.screen, HomeScreen):
            self.pop_screen()

    def action_help(self) -> None:
        self.dispatch(Command("help"))

    def action_learners(self) -> None:
        from harness.tui.screens.learners import LearnersScreen

        def chosen(name: str | None) -> None:
            if name:
                self.set_learner(name)

        self.push_screen(LearnersScreen(), chosen)

    def action_mentor(self) -> None:
        try:
            module = importlib.import_module("harness.tui.screens.mentor")
            screen = module.MentorScreen(self.store, self.chapter)
        except ModuleNotFoundError as exc:
            if exc.name != "harness.tui.screens.mentor":
                raise
            self.notify("the mentor view is not yet available", title="mentor", severity="warning")
            return
        except AttributeError:
            self.notify("the mentor view is not yet available", title="mentor", severity="warning")
            return
        self.show(screen)

    def action_next_step(self) -> None:
        if self.require_learner() is None:
            return
        command, reason = next_step_for(self.store, self.chapter, self.learner)
        self.notify(reason, title="next step")
        self.run_command_line(from_next_step(command))


def make_app(
    *,
    store: Store,
    chapter: Chapter | None = None,
    learner: str | None = None,
    learners_root: Path | None = None,
    quiz_seed: int | None = None,
    autosave_delay: float = 1.0,
    on_learner: Callable[[str], None] | None = None,
) -> HarnessApp:
    """Build the TUI over a store; `learner=None` opens the learner picker first."""
    return HarnessApp(
        store=store,
        chapter=chapter or load_chapter(),
        learner=learner,
        learners_root=learners_root,
        quiz_seed=quiz_seed,
        autosave_delay=autosave_delay,
        on_learner=on_learner,
    )
