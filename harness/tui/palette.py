"""The command palette (ctrl+p): the same actions as the command line, titled
"category: action" so they sort and read as a menu."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class HarnessCommands(Provider):
    """Every page, lab, the quiz, reflections, learners and help as palette entries."""

    def _entries(self) -> list[tuple[str, str, str]]:
        """(title, command line, help) for each action."""
        app = self.app
        chapter = app.chapter  # type: ignore[attr-defined]
        entries = [
            ("go: next step", "/next", "do the most useful next thing, and say why"),
            ("go: home", "/home", "the read order, progress and Definition of Done"),
        ]
        for item in chapter.items:
            entries.append(
                (
                    f"read: {item.id} — {item.title}",
                    f"/read {item.id}",
                    f"open the {item.kind} page {item.id}",
                )
            )
        for lab in chapter.labs:
            entries.append(
                (
                    f"lab: open {lab.id}",
                    f"/lab {lab.id}",
                    f"{lab.id}'s checks, training runs and their last results",
                )
            )
            entries.append(
                (
                    f"lab: check {lab.id}",
                    f"/check {lab.id}",
                    f"run {lab.id}'s Definition of Done checks on your code",
                )
            )
            entries.append(
                (
                    f"lab: check {lab.id} reference",
                    f"/check {lab.id} --reference",
                    f"run {lab.id}'s checks on the reference implementation",
                )
            )
            entries.append(
                (
                    f"lab: run {lab.id}",
                    f"/run {lab.id}",
                    f"train {lab.id}'s model with a live loss/accuracy plot",
                )
            )
        entries += [
            (
                f"quiz: take {chapter.quiz_id}",
                f"/quiz {chapter.quiz_id}",
                f"one question at a time; the bar is {chapter.pass_mark:.0%}",
            ),
            ("review: today's spaced review", "/review", "what you missed comes back, a few a day"),
            ("reflect: write reflections", "/reflect", "the three Definition of Done prompts"),
            ("learner: switch or add", "/learner", "work as another learner"),
            ("mentor: open mentor view", "/mentor", "cohort overview and feedback"),
            ("help: commands and keys", "/help", "what the command line accepts"),
        ]
        return entries

    def _run(self, line: str) -> None:
        self.app.run_command_line(line)  # type: ignore[attr-defined]

    async def discover(self) -> Hits:
        for title, line, help_text in self._entries():
            yield DiscoveryHit(title, partial(self._run, line), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, line, help_text in self._entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(title),
                    partial(self._run, line),
                    text=title,
                    help=help_text,
                )
