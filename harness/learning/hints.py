"""Graded hints per lab task: a nudge, a specific pointer, then the page section.

Data: `labs/x2_multimodal/labNN/hints.yaml`, one key per task id with exactly three strings,
validated on load with an error naming the file, the key and what was expected. The store
records which hints each learner revealed (Store.record_hint, an event `hint.revealed`), so
mentors see how much help a pass took (Store.hints_used).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from harness.chapter import Lab

LEVELS = ("nudge", "pointer", "page")


class HintsError(ValueError):
    pass


@dataclass(frozen=True)
class TaskHints:
    task: str
    hints: tuple[str, str, str]


def hints_path(lab: Lab) -> Path:
    return lab.package_dir / "hints.yaml"


def load_hints(lab: Lab) -> dict[str, TaskHints]:
    """{task id: TaskHints} for every task of the lab, or HintsError saying what is wrong."""
    path = hints_path(lab)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise HintsError(f"{path}: cannot read the hints ({exc})") from None
    except yaml.YAMLError as exc:
        raise HintsError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise HintsError(f"{path}: expected a mapping of task id -> three hints")
    known = [t.id for t in lab.tasks]
    unknown = sorted(set(map(str, data)) - set(known))
    if unknown:
        raise HintsError(f"{path}: unknown task key(s) {unknown}; {lab.id}'s tasks are {known}")
    out = {}
    for task in known:
        value = data.get(task)
        if not (isinstance(value, list) and len(value) == 3):
            raise HintsError(
                f"{path}: key '{task}' must be a list of three hints ({', '.join(LEVELS)}), "
                f"got {value!r:.80}"
            )
        bad = [i for i, h in enumerate(value) if not isinstance(h, str) or not h.strip()]
        if bad:
            raise HintsError(f"{path}: key '{task}': hint {bad[0] + 1} must be non-empty text")
        out[task] = TaskHints(task, tuple(h.strip() for h in value))
    return out


def reveal(store, learner: str, lab: Lab, task: str, *, next_one: bool = True) -> list[dict]:
    """The hints of `task` revealed so far, after revealing (and recording) the next one
    unless `next_one` is False or all three are out. Each: {level, kind, text}."""
    hints = load_hints(lab)[lab.task(task).id]
    shown = store.hints_revealed(learner, lab.id, task)
    if next_one and shown < len(LEVELS):
        shown += 1
        store.record_hint(learner, lab.id, task, shown)
    return [{"level": n + 1, "kind": LEVELS[n], "text": hints.hints[n]} for n in range(shown)]
