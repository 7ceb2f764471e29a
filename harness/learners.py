"""Learner names and folders. A name is validated before it touches a path."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from harness.chapter import Chapter
from harness.paths import learners_dir

# `ana@1f2e3d4c`: a learner imported while another of the same name was here (issue 13).
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,31}(@[0-9a-f]{8})?$")
DEFAULT_LEARNER = "learner"


class LearnerNameError(ValueError):
    pass


def validate_name(name: object) -> str:
    """Return `name` if it is a safe learner name, else raise LearnerNameError saying why."""
    if not isinstance(name, str) or not name:
        raise LearnerNameError("a learner name must not be empty; use e.g. 'ana' or 'team-2'")
    if NAME_PATTERN.fullmatch(name):
        return name
    shown = name if len(name) <= 40 else name[:37] + "..."
    if len(name.split("@")[0]) > 32:
        why = f"is {len(name)} characters long; at most 32 are allowed"
    elif "/" in name or "\\" in name or name.startswith("."):
        why = "would name a path outside the learner's folder"
    else:
        why = "must start with a-z and hold only a-z, 0-9, '_' or '-'"
    raise LearnerNameError(f"invalid learner name {shown!r}: it {why}")


def chapter_dir(name: str, chapter: Chapter, root: Path | None = None) -> Path:
    """`learners/NAME/extension-X2/`: the learner's code and reflections for the chapter."""
    return (root or learners_dir()) / validate_name(name) / f"extension-{chapter.id}"


def lab_dir(name: str, chapter: Chapter, lab_id: str, root: Path | None = None) -> Path:
    chapter.lab(lab_id)  # unknown lab -> clear error
    return chapter_dir(name, chapter, root) / lab_id


def create_folders(name: str, chapter: Chapter, root: Path | None = None) -> list[Path]:
    """Make the learner's folders and copy each lab's starter stubs that are not there yet.

    Existing files are never overwritten: a learner's work is theirs.
    """
    copied = []
    base = chapter_dir(name, chapter, root)
    base.mkdir(parents=True, exist_ok=True)
    from harness.cohort.identity import learner_key

    learner_key(name, root)  # the learner's signing key is made with the learner
    for lab in chapter.labs:
        target = base / lab.id
        target.mkdir(exist_ok=True)
        if not lab.starter_dir.is_dir():
            continue
        for src in sorted(lab.starter_dir.glob("*.py")):
            dst = target / src.name
            if not dst.exists():
                shutil.copyfile(src, dst)
                copied.append(dst)
    return copied


def last_learner_file(db_path: Path) -> Path:
    """Where the name of the learner last acted for is kept: beside the database it names
    (`learners/progress.db` -> `learners/progress.db.last-learner`), never committed."""
    return db_path.with_name(db_path.name + ".last-learner")


def remember_learner(db_path: Path, name: str) -> None:
    """Note `name` as the learner last used with this database (best effort: a read-only
    folder only costs the default)."""
    try:
        last_learner_file(db_path).write_text(validate_name(name) + "\n", encoding="utf-8")
    except OSError:
        pass


def last_learner(db_path: Path) -> str | None:
    """The learner last used with this database, if one was noted and the name is valid."""
    try:
        name = last_learner_file(db_path).read_text(encoding="utf-8").strip()
        return validate_name(name)
    except (OSError, LearnerNameError):
        return None
