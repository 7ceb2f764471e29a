"""The chapter model: `chapter.yaml` loaded into dataclasses and validated.

Every error names the file, the item and what was expected, e.g.
`chapter.yaml: read_order[3] 'theory-03': page pages/theory/03-x.md does not exist`.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.paths import REPO_ROOT, chapter_file
from harness.yamlfile import ManifestError, Reader, read_yaml

__all__ = ["Chapter", "Item", "Lab", "ManifestError", "Task", "load_chapter"]

ITEM_KINDS = ("theory", "lab")


@dataclass(frozen=True)
class Item:
    id: str
    kind: str
    title: str
    path: Path  # absolute path of the page
    after: tuple[str, ...]


@dataclass(frozen=True)
class Task:
    id: str
    title: str
    functions: tuple[str, ...] = ()  # the entry module's functions this task asks for
    outcome: str | None = None  # the quiz bank's learning outcome this task gives evidence for


@dataclass(frozen=True)
class Lab:
    id: str
    package: str
    entry: str
    time_limit_s: int
    tasks: tuple[Task, ...]
    solution: tuple[str, ...] = ()  # modules of the package that are the reference solution
    given: tuple[str, ...] = ()  # modules learner code may import while it is graded

    @property
    def package_dir(self) -> Path:
        """The lab package's folder, found the way the worker will import it."""
        try:
            spec = importlib.util.find_spec(self.package)
        except ModuleNotFoundError:
            spec = None
        if spec is not None and spec.submodule_search_locations:
            return Path(list(spec.submodule_search_locations)[0])
        return REPO_ROOT.joinpath(*self.package.split("."))

    @property
    def reference_path(self) -> Path:
        return self.package_dir / f"{self.entry}.py"

    @property
    def solution_paths(self) -> tuple[Path, ...]:
        """The reference solution's files: hidden from learner code while it is graded."""
        return tuple(self.package_dir / f"{module}.py" for module in self.solution)

    @property
    def starter_dir(self) -> Path:
        return self.package_dir / "starter"

    @property
    def checks_dir(self) -> Path:
        return self.package_dir / "checks"

    @property
    def number(self) -> str:
        return self.id.split("-", 1)[1]

    def task(self, task_id: str) -> Task:
        for task in self.tasks:
            if task.id == task_id:
                return task
        known = ", ".join(t.id for t in self.tasks)
        raise ManifestError(f"unknown task '{task_id}' for {self.id}; known: {known}")


@dataclass(frozen=True)
class Reflection:
    id: str
    text: str
    subject: tuple[str, ...] = ()  # words or phrases; a reflection must mention at least one


@dataclass(frozen=True)
class Chapter:
    id: str
    title: str
    slug: str
    prerequisites: tuple[str, ...]
    items: tuple[Item, ...]
    labs: tuple[Lab, ...]
    quiz_id: str
    quiz_bank: Path
    pass_mark: float
    dod_labs: tuple[str, ...]
    reflections_file: str
    reflections: tuple[Reflection, ...]
    source: Path
    reflection_min_words: int = 0  # words each reflection needs for the Definition of Done

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        known = ", ".join(i.id for i in self.items)
        raise ManifestError(f"unknown page '{item_id}'; known: {known}")

    def lab(self, lab_id: str) -> Lab:
        for lab in self.labs:
            if lab.id == lab_id:
                return lab
        known = ", ".join(lab.id for lab in self.labs)
        raise ManifestError(f"unknown lab '{lab_id}'; known: {known}")


# --- validation ----------------------------------------------------------------------------

_TOP_KEYS = {
    "id",
    "title",
    "slug",
    "prerequisites",
    "read_order",
    "labs",
    "quiz",
    "definition_of_done",
}
_ITEM_KEYS = {"id", "kind", "title", "path", "after"}
_LAB_KEYS = {"id", "package", "entry", "time_limit_s", "tasks", "solution", "given"}
_TASK_KEYS = {"id", "title", "functions", "outcome"}
_QUIZ_KEYS = {"id", "bank", "pass_mark"}
_DOD_KEYS = {"labs", "reflections", "quiz_min_score"}


def load_chapter(path: Path | str | None = None) -> Chapter:
    """Load and validate a chapter manifest; raise ManifestError naming what is wrong."""
    path = Path(path) if path is not None else chapter_file()
    r = Reader(path)
    raw = read_yaml(path, "chapter manifest")
    top = r.mapping(raw, "top level", _TOP_KEYS, _TOP_KEYS - {"prerequisites"})

    items = _load_items(r, path.parent, top["read_order"])
    ids = [item.id for item in items]
    labs = _load_labs(r, top["labs"], ids)

    quiz = r.mapping(top["quiz"], "quiz", _QUIZ_KEYS, _QUIZ_KEYS)
    pass_mark = quiz["pass_mark"]
    if not isinstance(pass_mark, (int, float)) or not 0 < pass_mark <= 1:
        raise r.fail("quiz.pass_mark", f"expected a number in (0, 1], got {pass_mark!r}")

    dod = r.mapping(top["definition_of_done"], "definition_of_done", _DOD_KEYS, _DOD_KEYS)
    dod_labs = r.texts(dod["labs"], "definition_of_done.labs")
    lab_ids = {lab.id for lab in labs}
    for lab_id in dod_labs:
        if lab_id not in lab_ids:
            raise r.fail("definition_of_done.labs", f"unknown lab '{lab_id}'")
    refl = r.mapping(
        dod["reflections"],
        "definition_of_done.reflections",
        {"file", "prompts", "min_words"},
        {"file", "prompts"},
    )
    min_words = refl.get("min_words", 0)
    if isinstance(min_words, bool) or not isinstance(min_words, int) or min_words < 0:
        raise r.fail("reflections.min_words", f"expected a whole number >= 0, got {min_words!r}")
    prompts = []
    for i, p in enumerate(r.items(refl["prompts"], "reflections.prompts")):
        p = r.mapping(p, f"reflections.prompts[{i}]", {"id", "text", "subject"}, {"id", "text"})
        prompts.append(
            Reflection(
                r.text(p["id"], f"reflections.prompts[{i}].id"),
                r.text(p["text"], f"reflections.prompts[{i}].text"),
                r.texts(p.get("subject"), f"reflections.prompts[{i}].subject", required=False),
            )
        )

    return Chapter(
        id=r.text(top["id"], "id"),
        title=r.text(top["title"], "title"),
        slug=r.text(top["slug"], "slug"),
        prerequisites=tuple(str(p) for p in (top.get("prerequisites") or [])),
        items=tuple(items),
        labs=tuple(labs),
        quiz_id=r.text(quiz["id"], "quiz.id"),
        quiz_bank=(REPO_ROOT / r.text(quiz["bank"], "quiz.bank")).resolve(),
        pass_mark=float(pass_mark),
        dod_labs=dod_labs,
        reflections_file=r.text(refl["file"], "reflections.file"),
        reflections=tuple(prompts),
        source=path,
        reflection_min_words=min_words,
    )


def _load_items(r: Reader, base: Path, raw_items: Any) -> list[Item]:
    items: list[Item] = []
    seen: set[str] = set()
    for i, raw in enumerate(r.items(raw_items, "read_order")):
        where = f"read_order[{i}]"
        raw = r.mapping(raw, where, _ITEM_KEYS, _ITEM_KEYS - {"after"})
        item_id = r.text(raw["id"], f"{where}.id")
        where = f"read_order[{i}] '{item_id}'"
        if item_id in seen:
            raise r.fail(where, "duplicate id")
        seen.add(item_id)
        kind = raw["kind"]
        if kind not in ITEM_KINDS:
            raise r.fail(where, f"kind must be one of {ITEM_KINDS}, got {kind!r}")
        page = (base / r.text(raw["path"], f"{where}.path")).resolve()
        if not page.is_file():
            raise r.fail(where, f"page {raw['path']} does not exist")
        items.append(
            Item(
                item_id,
                kind,
                r.text(raw["title"], f"{where}.title"),
                page,
                r.texts(raw.get("after"), f"{where}.after", required=False),
            )
        )
    ids = {item.id for item in items}
    for item in items:
        for dep in item.after:
            if dep not in ids:
                raise r.fail(f"read_order '{item.id}'", f"'after' names unknown item '{dep}'")
    cycle = _find_cycle({item.id: item.after for item in items})
    if cycle:
        raise r.fail(f"read_order '{cycle[0]}'", "unlock cycle: " + " -> ".join(cycle))
    return items


def _load_labs(r: Reader, raw_labs: Any, item_ids: list[str]) -> list[Lab]:
    labs = []
    for i, raw in enumerate(r.items(raw_labs, "labs")):
        raw = r.mapping(raw, f"labs[{i}]", _LAB_KEYS, _LAB_KEYS - {"solution", "given"})
        lab_id = r.text(raw["id"], f"labs[{i}].id")
        where = f"labs[{i}] '{lab_id}'"
        if lab_id not in item_ids:
            raise r.fail(where, "has no read_order item with the same id")
        limit = raw["time_limit_s"]
        if not isinstance(limit, int) or limit <= 0:
            raise r.fail(f"{where}.time_limit_s", f"expected a positive integer, got {limit!r}")
        tasks = []
        for j, t in enumerate(r.items(raw["tasks"], f"{where}.tasks")):
            t = r.mapping(t, f"{where}.tasks[{j}]", _TASK_KEYS, {"id", "title"})
            task_id = r.text(t["id"], f"{where}.tasks[{j}].id")
            if not task_id.isidentifier():
                raise r.fail(
                    f"{where}.tasks[{j}]", f"task id must be an identifier, got {task_id!r}"
                )
            functions = r.texts(t.get("functions"), f"{where}.tasks[{j}].functions", required=False)
            outcome = t.get("outcome")
            if outcome is not None:
                outcome = r.text(outcome, f"{where}.tasks[{j}].outcome")
            title = r.text(t["title"], f"{where}.tasks[{j}].title")
            tasks.append(Task(task_id, title, functions, outcome))
        entry = r.text(raw["entry"], f"{where}.entry")
        solution = r.texts(raw.get("solution"), f"{where}.solution", required=False)
        if solution and entry not in solution:
            raise r.fail(f"{where}.solution", f"must list the entry module '{entry}'")
        given = r.texts(raw.get("given"), f"{where}.given", required=False)
        if both := set(given) & set(solution):
            raise r.fail(f"{where}.given", f"lists solution modules too: {', '.join(sorted(both))}")
        labs.append(
            Lab(
                lab_id,
                r.text(raw["package"], f"{where}.package"),
                entry,
                limit,
                tuple(tasks),
                solution,
                given,
            )
        )
    return labs


def _find_cycle(graph: dict[str, tuple[str, ...]]) -> list[str] | None:
    """Return one cycle in the unlock graph as a list of ids, or None (iterative DFS)."""
    state: dict[str, int] = {}  # 1 = on the path, 2 = finished
    for root in graph:
        if root in state:
            continue
        path = [root]
        iters = [iter(graph.get(root, ()))]
        state[root] = 1
        while path:
            dep = next(iters[-1], None)
            if dep is None:
                state[path.pop()] = 2
                iters.pop()
            elif state.get(dep) == 1:
                return path[path.index(dep) :] + [dep]
            elif dep not in state:
                state[dep] = 1
                path.append(dep)
                iters.append(iter(graph.get(dep, ())))
    return None
