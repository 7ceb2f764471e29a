"""Learner text made safe to show: no terminal control or escape sequences.

Whatever learner code prints or puts in an exception message is shown in the CLI and the TUI
and stored in the database. An escape sequence in it could repaint the screen (a fake green
PASS) or move the cursor; this keeps printable text, newlines and tabs only.
"""

from __future__ import annotations

import re

# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ESC \\), other two-byte ESC sequences, then any
# remaining C0/C1 control character except tab and newline.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[@-Z\\-_]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` without escape sequences and control characters (tabs and newlines stay)."""
    text = text.replace("\r\n", "\n")
    return _CONTROLS.sub("", _ESCAPES.sub("", text))
