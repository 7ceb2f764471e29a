"""Watch mode's engine: notice when the learner saves their lab file, decide which task to
check next, and show the reference solution of a task beside theirs.

Knows nothing of the screen: `harness watch` (CLI) and the TUI's lab screen are clients.
Saves are noticed with `watchfiles` (inotify and friends) and, where it is missing or cannot
watch (some network or container file systems), by polling the file's size, time and bytes.
A save that leaves the bytes unchanged is not a change: editors that write twice, or touch a
file, trigger one check at most.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import importlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from harness.chapter import Chapter, Lab

POLL_S = 0.5


def _fingerprint(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:  # mid-save (renamed away), or deleted: not a version to check
        return None


def file_changes(
    path: Path, stop: threading.Event, *, poll_s: float = POLL_S, use_watchfiles: bool = True
) -> Iterator[Path]:
    """Yield `path` each time its bytes differ from what they were when this was called,
    until `stop` is set.

    The first fingerprint is taken now, so a save made before the caller starts iterating is
    still seen. Iterating blocks: do it in a thread. With watchfiles the folder is watched
    (editors often save by writing a new file and renaming it over the old one), waking every
    `poll_s` to compare bytes anyway; otherwise the file is polled every `poll_s`.
    """
    last = _fingerprint(path)
    events = _watchfiles_events(path, stop, poll_s) if use_watchfiles else None
    if events is None:
        events = _poll_events(stop, poll_s)

    def changes() -> Iterator[Path]:
        nonlocal last
        for _ in events:
            if stop.is_set():
                return
            now = _settled_fingerprint(path, stop)
            if now is not None and now != last:
                last = now
                yield path

    return changes()


def _settled_fingerprint(path: Path, stop: threading.Event, settle_s: float = 0.05) -> str | None:
    """The file's fingerprint once two reads agree: a save caught half-written (truncated,
    not yet filled) is not a version worth checking."""
    now = _fingerprint(path)
    for _ in range(20):
        if stop.wait(settle_s):
            return None
        again = _fingerprint(path)
        if again == now:
            return now
        now = again
    return now


def _poll_events(stop: threading.Event, poll_s: float) -> Iterator[None]:
    while not stop.wait(poll_s):
        yield None


def _watchfiles_events(path: Path, stop: threading.Event, poll_s: float) -> Iterator[None] | None:
    try:
        import watchfiles
    except ImportError:
        return None
    target = str(path.resolve())

    def events() -> Iterator[None]:
        try:
            for _ in watchfiles.watch(
                path.parent,
                watch_filter=lambda _change, changed: str(Path(changed).resolve()) == target,
                stop_event=stop,
                debounce=200,
                step=50,
                rust_timeout=int(poll_s * 1000),
                yield_on_timeout=True,  # a chance to compare bytes even if an event was missed
                raise_interrupt=False,
            ):
                yield None
        except (OSError, RuntimeError):  # cannot watch here: fall back to polling
            yield from _poll_events(stop, poll_s)

    return events()


# --- which task is next -------------------------------------------------------------------


def next_task_after(lab: Lab, task_id: str, passing: set[str]) -> str | None:
    """The first task after `task_id` (then from the start) that does not pass yet."""
    ids = [t.id for t in lab.tasks]
    start = ids.index(task_id) + 1 if task_id in ids else 0
    for candidate in ids[start:] + ids[:start]:
        if candidate != task_id and candidate not in passing:
            return candidate
    return None


# --- the solution beside the learner's -----------------------------------------------------


def _functions_in(source: str) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(source)
    return {
        node.name: node
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }


def _segment(source: str, node: ast.AST) -> str:
    """The function's source without its docstring: the stub's long contract would otherwise
    fill the comparison, and the code is what the learner wants to compare."""
    lines = source.splitlines()
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    keep = range(first, node.end_lineno + 1)
    body = getattr(node, "body", [])
    doc = body[0] if body else None
    if (
        isinstance(doc, ast.Expr)
        and isinstance(doc.value, ast.Constant)
        and isinstance(doc.value.value, str)
        and len(body) > 1  # a function that is only a docstring keeps it
    ):
        skip = set(range(doc.lineno, doc.end_lineno + 1))
        keep = [n for n in keep if n not in skip]
    return "\n".join(lines[n - 1] for n in keep)


def _delegates_to(module_source: str, node: ast.FunctionDef, lab: Lab) -> list[tuple[str, str]]:
    """`(module, function)` pairs a thin reference wrapper hands its work to, such as
    `return nn.patchify(images, patch)`: the wrapper alone would show the learner nothing."""
    imported: dict[str, str] = {}
    for stmt in ast.parse(module_source).body:
        if isinstance(stmt, ast.ImportFrom) and stmt.module == lab.package:
            for alias in stmt.names:
                imported[alias.asname or alias.name] = f"{lab.package}.{alias.name}"
    targets = []
    for call in ast.walk(node):
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Name)
            and call.func.value.id in imported
        ):
            pair = (imported[call.func.value.id], call.func.attr)
            if pair not in targets:
                targets.append(pair)
    return targets


def _fallback_task_source(
    chapter: Chapter, lab_id: str, task_id: str, *, reference: bool, path: Path | None
) -> str:
    lab = chapter.lab(lab_id)
    task = lab.task(task_id)
    file = lab.reference_path if reference else path
    if file is None:
        raise ValueError("the learner's side needs the path of their file")
    source = file.read_text(encoding="utf-8")
    try:
        functions = _functions_in(source)
    except SyntaxError as exc:
        return f"# {file.name} does not parse: {exc.msg} (line {exc.lineno})"
    names = list(task.functions) or []
    parts = []
    for name in names:
        node = functions.get(name)
        if node is None:
            parts.append(f"# {name}() is not in {file.name}")
            continue
        parts.append(_segment(source, node))
        if not reference:
            continue
        for module_name, function in _delegates_to(source, node, lab):
            try:
                module_file = Path(importlib.import_module(module_name).__file__ or "")
                module_source = module_file.read_text(encoding="utf-8")
                target = _functions_in(module_source).get(function)
            except (ImportError, OSError, SyntaxError):
                target = None
            if target is not None:
                parts.append(f"# from {module_file.name}\n" + _segment(module_source, target))
    return "\n\n\n".join(parts) if parts else f"# task {task_id} names no functions"


def task_source(
    chapter: Chapter, lab_id: str, task_id: str, *, reference: bool, path: Path | None = None
) -> str:
    """The source of a task's functions: the reference's, or those in the learner's file.

    The grading package's `solutions.task_source` is the authority when it exists; until
    then the functions the chapter names for the task are read from the file with `ast`.
    """
    try:
        from harness.grading.solutions import task_source as graded_source
    except ImportError:
        graded_source = None
    if graded_source is not None:
        return graded_source(chapter, lab_id, task_id, reference=reference, path=path)
    return _fallback_task_source(chapter, lab_id, task_id, reference=reference, path=path)


@dataclass(frozen=True)
class DiffRow:
    mine: str | None  # None: no line on this side
    theirs: str | None
    tag: str  # equal | replace | delete | insert


def side_by_side(mine: str, reference: str) -> list[DiffRow]:
    """Pair the two sources line by line (difflib's opcodes), for a two-column view."""
    a, b = mine.splitlines(), reference.splitlines()
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        left, right = a[i1:i2], b[j1:j2]
        for k in range(max(len(left), len(right))):
            rows.append(
                DiffRow(
                    left[k] if k < len(left) else None,
                    right[k] if k < len(right) else None,
                    tag,
                )
            )
    return rows


def unified(mine: str, reference: str, *, mine_name: str, reference_name: str) -> str:
    """The same comparison as a unified diff, for narrow screens and the CLI."""
    return "\n".join(
        difflib.unified_diff(
            mine.splitlines(),
            reference.splitlines(),
            fromfile=mine_name,
            tofile=reference_name,
            lineterm="",
        )
    )
