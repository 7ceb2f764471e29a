"""How the graders' messages read to a learner: one plain line, said once.

The records keep what the grader wrote; the CLI and the TUI show these.
"""

from __future__ import annotations

import re


def clean_message(message: str) -> str:
    """Say it once: older grading code glued two phrasings together ("the run the process
    exited with code 1", "the check run the process was cancelled")."""
    for glued, once in (
        ("the check run the process ", "the check run "),
        ("the run the process ", "the run "),
    ):
        message = message.replace(glued, once)
    return message.strip().rstrip(":").strip()


def failure_summary(message: str) -> str:
    """One readable line for a failed run: the exception's last line, not the traceback; a
    stub's NotImplementedError says which work is missing."""
    text = clean_message(message)
    if "Traceback (most recent call last)" in text:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        last = lines[-1] if lines else ""
        if last.startswith("NotImplementedError"):
            return "a function of your file is not implemented yet (NotImplementedError)"
        head = text.split("Traceback (most recent call last)")[0].strip().rstrip(":")
        return f"{head}: {last}" if head else last
    return text.splitlines()[0] if text else ""


_FRAME = re.compile(r"^(?P<path>\S+\.py):\d+: in \S+")


class HarnessFrames:
    """Drops the grader's own traceback frames from pytest output, line by line.

    A failing check's traceback walks through the grading machinery (the remote proxy, the
    diagnosis recorder) before it reaches the learner's message; those frames say nothing to a
    learner. A frame is its `path:line: in function` header and the indented lines under it;
    frames under `harness/` go, the check's own and the learner's stay, as does every `E` line.
    """

    def __init__(self) -> None:
        self.skipping = False
        self.hidden = 0

    def keep(self, line: str) -> bool:
        frame = _FRAME.match(line)
        if frame:
            path = frame.group("path").replace("\\", "/")
            self.skipping = "/harness/" in path or path.startswith("harness/")
            self.hidden += self.skipping
            return not self.skipping
        if self.skipping and line.startswith(" "):
            return False
        self.skipping = False
        return True
