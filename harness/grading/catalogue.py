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

A mistake may name a base, one of the lab's alternatives, so that it holds only its bug: right
after the header (and `from __future__ import annotations`) one marker line

    from labs.x2_multimodal.lab01.mistakes.alt_loops_and_logsumexp import *  # noqa: F403 (base)

and then only the functions it changes. `compose` writes the learner's file it stands for: the
base's text under the mistake's header, then the mistake's own text, whose later `def`s override
the base's, so a base function that calls an overridden one gets the bug, as in a learner's
file. Every consumer reads `Entry.source`, never the file itself.
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
MARKER = "import *  # noqa: F403 (base)"


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
    base: Path | None = None  # the alternative this mistake is written over

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def task(self) -> str:
        return self.tasks[0]

    @property
    def source(self) -> str:
        """The whole learner's file this entry stands for (`compose`)."""
        return compose(self)


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


def _docstring_lines(tree: ast.Module) -> tuple[int, int]:
    """(first, last) line of the module docstring, 1-based, inclusive."""
    node = tree.body[0]
    return node.lineno, node.end_lineno


def _marker(path: Path, tree: ast.Module) -> ast.ImportFrom | None:
    """The base marker statement, or None; any other import of the catalogue is an error."""
    rest = tree.body[1:]
    if rest and isinstance(rest[0], ast.ImportFrom) and rest[0].module == "__future__":
        rest = rest[1:]
    first = rest[0] if rest else None
    found = None
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            dotted = [f"{node.module or ''}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            dotted = [a.name for a in node.names]
        else:
            continue
        if not any("mistakes" in d.split(".") for d in dotted):
            continue
        if node is not first or not isinstance(node, ast.ImportFrom) or dotted[-1][-2:] != ".*":
            raise CatalogueError(
                f"{path}:{node.lineno}: the catalogue is imported only by the base marker, the "
                f"first line after the header: 'from <lab>.mistakes.alt_<slug> {MARKER}'"
            )
        found = node
    return found


def _base(path: Path, lab: Lab) -> Path | None:
    """The alternative a mistake is written over (its marker line), checked; None if whole."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    node = _marker(path, tree)
    if node is None:
        return None
    line = path.read_text(encoding="utf-8").splitlines()[node.lineno - 1]
    prefix = f"{lab.package}.mistakes."
    name = node.module.removeprefix(prefix)
    if line != f"from {node.module} {MARKER}":
        raise CatalogueError(f"{path}:{node.lineno}: write the base marker as "
                             f"'from {node.module} {MARKER}', got {line!r}")  # fmt: skip
    if not node.module.startswith(prefix) or not name.startswith("alt_") or "." in name:
        raise CatalogueError(f"{path}: the base {node.module!r} is not an alternative of "
                             f"{lab.id} ({prefix}alt_<slug>)")  # fmt: skip
    base = path.parent / f"{name}.py"
    if not base.is_file():
        known = sorted(p.stem for p in path.parent.glob("alt_*.py"))
        raise CatalogueError(f"{path}: the base {node.module!r} does not exist; {lab.id}'s "
                             f"alternatives: {known}")  # fmt: skip
    if not parse_header(base)["title"].startswith("CORRECT alternative:"):
        raise CatalogueError(f"{path}: the base {base.name} is not a correct alternative")
    if _marker(base, ast.parse(base.read_text(encoding="utf-8"))) is not None:
        raise CatalogueError(f"{path}: the base {base.name} has a base itself; a base is whole")
    return base


def compose(entry: Entry) -> str:
    """The learner's file an entry stands for: its own text if it has no base; else the base's
    text with the entry's header in place of the base's docstring, then the entry's text after
    its marker line. Python keeps the last `def` of a name, so the mistake's functions win, and
    the base's functions that call them call the mistake's."""
    text = entry.path.read_text(encoding="utf-8")
    if entry.base is None:
        return text
    lines = text.splitlines()
    tree = ast.parse(text)
    first, last = _docstring_lines(tree)
    header = lines[first - 1 : last]
    body = lines[_marker(entry.path, tree).end_lineno :]
    base = entry.base.read_text(encoding="utf-8").splitlines()
    b_first, b_last = _docstring_lines(ast.parse("\n".join(base)))
    return "\n".join(
        [
            *base[: b_first - 1],
            *header,
            *base[b_last:],
            "",
            "",
            f"# === {entry.path.name}: the definitions below replace the ones above",
            *body,
            "",
        ]
    )


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
    base = _base(path, lab)
    if base is not None and kind != "mistake":
        raise CatalogueError(f"{path}: an alternative is written whole, without a base")
    return Entry(
        path=path,
        kind=kind,
        title=title.split(":", 1)[1].strip(),
        tasks=tasks,
        caught_by=tuple(c.strip() for c in head.get("caught_by", "").split(",") if c.strip()),
        why=head.get("why", ""),
        hint=head.get("hint", ""),
        gate=gate,
        base=base,
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
