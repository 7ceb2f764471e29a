"""The command line's grammar: `/quiz X2`, `/check lab-00`, `/read theory-01`, ...

Parsing is kept apart from the screens so it can be tested without an app; every mistake
becomes a `CommandError` whose message says what was wrong and what is known.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.chapter import Chapter, ManifestError


class CommandError(ValueError):
    """A command line the TUI cannot act on; the message is shown to the learner."""


@dataclass(frozen=True)
class Command:
    verb: str
    target: str | None = None  # a page, lab or quiz id
    task: str | None = None
    reference: bool = False
    section: str | None = None  # /read PAGE#SECTION: a heading's anchor slug


# verb -> (usage, what it does); the order is the order of /help.
VERBS: dict[str, tuple[str, str]] = {
    "next": ("/next", "do the next step in the chapter (and say why)"),
    "read": ("/read PAGE[#SECTION]", "open a page (at a section), e.g. /read theory-01"),
    "lab": ("/lab LAB", "open a lab's checks and runs, e.g. /lab lab-00"),
    "check": ("/check LAB [TASK] [--reference]", "run a lab's DoD checks, e.g. /check lab-00"),
    "run": ("/run LAB [--reference]", "train a lab's model with a live plot, e.g. /run lab-00"),
    "quiz": ("/quiz QUIZ", "take the chapter quiz, e.g. /quiz X2"),
    "review": ("/review", "today's spaced review of what you missed, and mastery per outcome"),
    "reflect": ("/reflect", "write the Definition of Done reflections"),
    "learner": ("/learner", "switch or add a learner"),
    "mentor": ("/mentor", "open the mentor view"),
    "home": ("/home", "back to the overview"),
    "help": ("/help", "list these commands"),
}


def known_verbs() -> str:
    return ", ".join(f"/{verb}" for verb in VERBS)


def parse_command(text: str, chapter: Chapter) -> Command:
    """Turn one command line into a Command, or raise CommandError naming the problem."""
    words = text.strip().split()
    if not words:
        raise CommandError(f"type a command, e.g. /next; known: {known_verbs()}")
    verb = words[0].lstrip("/").lower()
    flags = {w for w in words[1:] if w.startswith("--")}
    args = [w for w in words[1:] if not w.startswith("--")]
    if verb not in VERBS:
        raise CommandError(f"unknown command '{words[0]}'; known: {known_verbs()}")
    usage = VERBS[verb][0]
    allowed_flags = {"--reference"} if verb in ("check", "run") else set()
    bad_flags = sorted(flags - allowed_flags)
    if bad_flags:
        raise CommandError(f"unknown option '{bad_flags[0]}' for /{verb}; usage: {usage}")
    reference = "--reference" in flags

    if verb in ("next", "reflect", "learner", "mentor", "home", "help", "review"):
        if args:
            raise CommandError(f"/{verb} takes no argument, got '{args[0]}'; usage: {usage}")
        return Command(verb)
    if verb == "quiz":
        quiz_id = args[0] if args else chapter.quiz_id
        if len(args) > 1:
            raise CommandError(f"too many arguments for /quiz; usage: {usage}")
        if quiz_id.upper() != chapter.quiz_id.upper():
            raise CommandError(f"unknown quiz '{quiz_id}'; known: {chapter.quiz_id}")
        return Command("quiz", chapter.quiz_id)
    if not args:
        raise CommandError(f"/{verb} needs an argument; usage: {usage}")
    try:
        if verb == "read":
            if len(args) > 1:
                raise CommandError(f"too many arguments for /read; usage: {usage}")
            page, _, section = args[0].partition("#")
            return Command("read", chapter.item(page).id, section=section or None)
        lab = chapter.lab(args[0])
        if verb == "check":
            if len(args) > 2:
                raise CommandError(f"too many arguments for /check; usage: {usage}")
            task = lab.task(args[1]).id if len(args) == 2 else None
            return Command("check", lab.id, task, reference)
        if len(args) > 1:
            raise CommandError(f"too many arguments for /{verb}; usage: {usage}")
        return Command(verb, lab.id, None, reference)
    except ManifestError as exc:
        raise CommandError(str(exc)) from None


def completions(chapter: Chapter) -> list[str]:
    """Every whole command line the chapter allows, shortest first within each verb: what
    the command bar offers to complete (the first that starts with what was typed)."""
    lines: list[str] = []
    for verb in VERBS:
        if verb == "read":
            lines += [f"/read {item.id}" for item in chapter.items]
        elif verb in ("lab", "run"):
            lines += [f"/{verb} {lab.id}" for lab in chapter.labs]
        elif verb == "check":
            for lab in chapter.labs:
                lines.append(f"/check {lab.id}")
                lines += [f"/check {lab.id} {task.id}" for task in lab.tasks]
        elif verb == "quiz":
            lines.append(f"/quiz {chapter.quiz_id}")
        else:
            lines.append(f"/{verb}")
    return lines


def from_next_step(command: str) -> str:
    """Map progress.next_step's shell command (`harness read theory-01`) to a TUI command."""
    words = command.split()
    if words[:1] == ["harness"]:
        words = words[1:]
    if "--task" in words:  # `check lab-00 --task patchify` -> `/check lab-00 patchify`
        words.remove("--task")
    if not words or words[0] in ("tui", "status"):
        return "/reflect" if words[:1] == ["tui"] else "/home"
    return "/" + " ".join(words)
