"""How much of a learner's task code is the reference solution's, by token fingerprints.

Winnowing (Schleimer, Wilkerson & Aiken, SIGMOD 2003, the method behind MOSS): the code is
parsed, docstrings and comments dropped and the layout normalised (`ast.unparse`), then
tokenised with every identifier, number and string replaced by a placeholder, so renaming
variables or reformatting changes nothing. Each run of K tokens is hashed and, in every window
of W consecutive hashes, the smallest is kept as a fingerprint. The score of a task is the
share of the learner's fingerprints that also occur in the reference solution (containment,
0..1). A pass at SIMILARITY_FLAG or above is marked for mentors, never hidden.

The learner's side of a task is the task's functions (chapter.yaml) plus every function of
their file those call, transitively; the reference side is every function of the lab's
solution modules. Code too short to fingerprint (a stub) gets no score.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import io
import keyword
import threading
import tokenize
from collections.abc import Iterable
from pathlib import Path

K = 12  # tokens per k-gram: short enough for a copied line, long enough to skip idioms
W = 6  # window: any copy of at least K + W - 1 tokens leaves a shared fingerprint
MIN_FINGERPRINTS = 8  # below this the task's code is too short to judge
SIMILARITY_FLAG = 0.9
# CPython 3.11's ast module keeps its recursion depth in shared state: two threads parsing at
# once can fail with "AST constructor recursion depth mismatch". Checks run in threads (the
# TUI, the mistake gate), so every parse and unparse here takes this lock.
_AST_LOCK = threading.RLock()


def _body(fn: ast.FunctionDef) -> str:
    """The function's body without docstrings or comments, laid out by `ast.unparse`.

    Signatures are left out: the contract fixes them, so they would match in every
    solution, a stub's included."""
    fn = ast.parse(ast.unparse(fn)).body[0]  # a copy
    for node in ast.walk(fn):
        body = getattr(node, "body", None)
        if (
            isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(getattr(body[0], "value", None), ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return "\n".join(ast.unparse(statement) for statement in fn.body)


def tokens(source: str) -> list[str]:
    """Normalised tokens: keywords and operators kept, names/numbers/strings as placeholders."""
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.NAME:
            out.append(tok.string if keyword.iskeyword(tok.string) else "V")
        elif tok.type == tokenize.NUMBER:
            out.append("N")
        elif tok.type == tokenize.STRING:
            out.append("S")
        elif tok.type == tokenize.OP:
            out.append(tok.string)
        elif tok.type in (tokenize.INDENT, tokenize.DEDENT):
            out.append(tok.type == tokenize.INDENT and ">" or "<")
    return out


def fingerprints(source: str) -> set[int]:
    toks = tokens(source)
    grams = [
        int.from_bytes(hashlib.blake2b(" ".join(toks[i : i + K]).encode(), digest_size=8).digest())
        for i in range(len(toks) - K + 1)
    ]
    if len(grams) <= W:
        return set(grams)
    return {min(grams[i : i + W]) for i in range(len(grams) - W + 1)}


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}


def task_source(tree: ast.Module, names: Iterable[str]) -> str:
    """The named functions and every function of the same module they call, transitively,
    without docstrings or comments."""
    functions = _functions(tree)
    seen: list[str] = []
    frontier = [n for n in names if n in functions]
    while frontier:
        name = frontier.pop()
        if name in seen:
            continue
        seen.append(name)
        for node in ast.walk(functions[name]):
            if isinstance(node, ast.Name) and node.id in functions and node.id not in seen:
                frontier.append(node.id)
    return "\n\n".join(_body(functions[n]) for n in seen)


def reference_fingerprints(lab) -> frozenset[int]:
    paths = tuple(Path(p) for p in lab.solution_paths)
    return _reference_fingerprints(tuple((p, p.stat().st_mtime_ns) for p in paths))


@functools.lru_cache(maxsize=8)
def _reference_fingerprints(files: tuple[tuple[Path, int], ...]) -> frozenset[int]:
    """Every function body of the solution files (cached while the files are unchanged)."""
    found: set[int] = set()
    with _AST_LOCK:
        for path, _ in files:
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for fn in _functions(tree).values():
                found |= fingerprints(_body(fn))
    return frozenset(found)


def task_similarity(
    lab, learner_file: Path, tasks: Iterable[str] | None = None
) -> dict[str, float]:
    """{task: containment of the learner's task code in the reference solution} for every
    task (or the ones named) with enough code to judge."""
    reference = reference_fingerprints(lab)
    with _AST_LOCK:
        tree = ast.parse(Path(learner_file).read_text(encoding="utf-8"))
    wanted = set(tasks) if tasks else None
    scores = {}
    for task in lab.tasks:
        if wanted is not None and task.id not in wanted:
            continue
        with _AST_LOCK:
            source = task_source(tree, task.functions)
        mine = fingerprints(source)
        if len(mine) >= MIN_FINGERPRINTS:
            scores[task.id] = round(len(mine & reference) / len(mine), 3)
    return scores
