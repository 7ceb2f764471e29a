"""Each lab's catalogue of plausible mistakes and correct alternatives, as data.

`labs/x2_multimodal/labNN/mistakes/` holds learner-style entry files, one bug each
(`<task>__<slug>.py`), and independently written correct implementations (`alt_<slug>.py`).
Each file opens with a docstring of `key: value` lines under a title line:

    \"\"\"MISTAKE: softmax without subtracting the row max

    task: attention
    caught_by: test_attention_float32_scores_in_the_hundreds
    why: exp of float32 scores above ~88 is inf ...
    hint: subtract each row's max score before exp ...
    \"\"\"

A `CORRECT alternative: ...` title has `tasks: a, b, c` instead. `gate: slow` marks a mistake
the fast gate skips (train-task mistakes that only fail after minutes of training).
The files are hidden from graded code like the checks (isolation.py); the trusted checks
process may run them (diagnosis.py), as they are our code. docs/CHECKS.md describes the gate.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from harness.chapter import Lab

KEYS = {"task", "tasks", "caught_by", "why", "hint", "gate"}


class CatalogueError(ValueError):
    """A catalogue file whose header is missing or malformed; the message names the file."""


@dataclass(frozen=True)
class Entry:
    path: Path
    kind: str  # mistake | alternative
    title: str
    tasks: tuple[str, ...]
    caught_by: tuple[str, ...] = ()
    why: str = ""
    hint: str = ""
    gate: str = "fast"  # fast | slow

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def task(self) -> str:
        return self.tasks[0]


def parse_header(path: Path) -> dict:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    if not doc:
        raise CatalogueError(f"{path}: no docstring; a catalogue file opens with its header")
    lines = doc.splitlines()
    title = lines[0]
    fields: dict[str, str] = {}
    key = None
    for line in lines[1:]:
        found = re.match(r"^(\w+):\s*(.*)$", line)
        if found and found.group(1) in KEYS:
            key = found.group(1)
            fields[key] = found.group(2).strip()
        elif key and line.startswith("  "):
            fields[key] += " " + line.strip()
        elif line.strip():
            raise CatalogueError(f"{path}: unexpected header line {line!r}; keys: {sorted(KEYS)}")
    return {"title": title, **fields}


def load_entry(path: Path, lab: Lab) -> Entry:
    head = parse_header(path)
    title = head["title"]
    known = {t.id for t in lab.tasks}
    if title.startswith("MISTAKE:"):
        for key in ("task", "caught_by", "why", "hint"):
            if not head.get(key):
                raise CatalogueError(f"{path}: header key '{key}' is missing or empty")
        tasks = (head["task"],)
        if not path.stem.startswith(head["task"] + "__"):
            raise CatalogueError(f"{path}: a mistake of task '{head['task']}' is named "
                                 f"'{head['task']}__<slug>.py'")  # fmt: skip
        kind = "mistake"
    elif title.startswith("CORRECT alternative:"):
        if not head.get("tasks"):
            raise CatalogueError(f"{path}: header key 'tasks' is missing or empty")
        tasks = tuple(t.strip() for t in head["tasks"].split(","))
        kind = "alternative"
    else:
        raise CatalogueError(
            f"{path}: the first line must start 'MISTAKE:' or 'CORRECT alternative:', got {title!r}"
        )
    unknown = [t for t in tasks if t not in known]
    if unknown:
        raise CatalogueError(f"{path}: unknown task(s) {unknown}; {lab.id} has {sorted(known)}")
    gate = head.get("gate", "fast")
    if gate not in ("fast", "slow"):
        raise CatalogueError(f"{path}: header key 'gate' must be fast or slow, got {gate!r}")
    return Entry(
        path=path,
        kind=kind,
        title=title.split(":", 1)[1].strip(),
        tasks=tasks,
        caught_by=tuple(c.strip() for c in head.get("caught_by", "").split(",") if c.strip()),
        why=head.get("why", ""),
        hint=head.get("hint", ""),
        gate=gate,
    )


def mistakes_dir(lab: Lab) -> Path:
    return lab.package_dir / "mistakes"


def load_catalogue(lab: Lab) -> list[Entry]:
    """Every entry of the lab's catalogue, mistakes first, in file-name order."""
    folder = mistakes_dir(lab)
    if not folder.is_dir():
        return []
    entries = [load_entry(p, lab) for p in sorted(folder.glob("*.py")) if p.name != "__init__.py"]
    return sorted(entries, key=lambda e: (e.kind != "mistake", e.name))
