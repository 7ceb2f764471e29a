"""The command line's grammar, without an app."""

from __future__ import annotations

import pytest

from harness.tui.commands import Command, CommandError, from_next_step, parse_command


@pytest.mark.parametrize(
    "line, expected",
    [
        ("/quiz X2", Command("quiz", "X2")),
        ("/quiz", Command("quiz", "X2")),
        ("/quiz x2", Command("quiz", "X2")),
        ("/check lab-00", Command("check", "lab-00")),
        ("/check lab-00 patchify", Command("check", "lab-00", "patchify")),
        ("/check lab-01 --reference", Command("check", "lab-01", None, True)),
        ("/run lab-00", Command("run", "lab-00")),
        ("/read theory-01", Command("read", "theory-01")),
        ("  /next ", Command("next")),
        ("help", Command("help")),
        ("/lab lab-02", Command("lab", "lab-02")),
    ],
)
def test_commands_parse(chapter, line, expected):
    assert parse_command(line, chapter) == expected


@pytest.mark.parametrize(
    "line, message",
    [
        ("/check lab-9", "unknown lab 'lab-9'; known: lab-00, lab-01, lab-02"),
        ("/run lab-9", "unknown lab 'lab-9'; known: lab-00, lab-01, lab-02"),
        ("/read theory-99", "unknown page 'theory-99'; known: theory-00"),
        ("/quiz X3", "unknown quiz 'X3'; known: X2"),
        ("/frobnicate", "unknown command '/frobnicate'; known: /next"),
        ("/check", "/check needs an argument; usage: /check LAB"),
        ("/check lab-00 nosuch", "unknown task 'nosuch' for lab-00; known: patchify, attention"),
        ("/next now", "/next takes no argument, got 'now'"),
        ("/read --reference theory-00", "unknown option '--reference' for /read"),
        ("", "type a command"),
    ],
)
def test_mistakes_say_what_was_wrong(chapter, line, message):
    with pytest.raises(CommandError) as info:
        parse_command(line, chapter)
    assert message in str(info.value)


@pytest.mark.parametrize(
    "shell, line",
    [
        ("harness read theory-01", "/read theory-01"),
        ("harness check lab-00", "/check lab-00"),
        ("harness check lab-00 --task patchify", "/check lab-00 patchify"),
        ("harness quiz X2", "/quiz X2"),
        ("harness tui", "/reflect"),
        ("harness status", "/home"),
    ],
)
def test_next_step_commands_map_to_the_command_line(shell, line):
    assert from_next_step(shell) == line


def test_read_can_name_a_section(chapter):
    assert parse_command("/read theory-02#windows-hops-and-frames", chapter) == Command(
        "read", "theory-02", section="windows-hops-and-frames"
    )
    assert parse_command("/read theory-02", chapter) == Command("read", "theory-02")
    with pytest.raises(CommandError, match="theory-9"):
        parse_command("/read theory-9#x", chapter)


def test_the_command_line_completes_what_the_chapter_allows(chapter):
    from harness.tui.commands import completions

    lines = completions(chapter)
    assert "/read theory-02" in lines and "/check lab-00 patchify" in lines
    assert lines.index("/check lab-00") < lines.index("/check lab-00 patchify")
    assert "/quiz X2" in lines and "/next" in lines
    for line in lines:  # every completion is a command the line accepts
        parse_command(line, chapter)
