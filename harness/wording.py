"""How the graders' messages read to a learner: one plain line, said once.

The records keep what the grader wrote; the CLI and the TUI show these.
"""

from __future__ import annotations


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
