"""`harness run` and `harness reproduce`: a lab's experiment as a recorded, repeatable run.

A run executes `labs/.../labNN/experiment.py:run(out_dir, seed, entry, progress, steps=None)`
in a sandboxed child (`python -m harness.grading.run_child`), with the entry module being the
reference or the learner's file. The child prints progress as `@@progress {json}` lines; the
parent forwards them, then writes `manifest.yaml` (seed, config, data-set hash, package
versions, git commit, wall time, metrics) beside the outputs and `metrics.json`.

`reproduce(run_dir)` re-runs from the manifest with the same seed and the same number of
steps (a time budget is not repeatable across machines; a step count is) and compares metrics.
"""

from __future__ import annotations

import json
import math
import platform
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import yaml

from harness.chapter import Chapter, load_chapter
from harness.grading import isolation
from harness.grading.checks import cancel_on_signals
from harness.grading.sandbox import DEFAULT_MEMORY_BYTES, run_sandboxed
from harness.grading.sanitize import printable
from harness.learners import lab_dir
from harness.paths import REPO_ROOT, chapter_file, experiments_dir
from harness.store import Store, now

PROGRESS_PREFIX = "@@progress "
ERROR_PREFIX = "@@error "  # the child's one-line explanation of a failure it understood
RESULT_FILE = "_run_result.json"
PACKAGES = ("numpy", "pillow", "matplotlib", "torch", "transformers", "x2-harness")
DEFAULT_TOLERANCE = 0.02


@dataclass(frozen=True)
class RunOutcome:
    run_dir: Path
    status: str  # ok | failed | timeout | memory | crashed | cancelled
    metrics: dict
    message: str
    duration_s: float


@dataclass(frozen=True)
class Comparison:
    key: str
    recorded: float | None
    reproduced: float | None
    ok: bool


@dataclass(frozen=True)
class ReproduceOutcome:
    run_dir: Path
    new_run: RunOutcome
    comparisons: list[Comparison]

    @property
    def matches(self) -> bool:
        return self.new_run.status == "ok" and all(c.ok for c in self.comparisons)


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def new_run_dir(
    chapter: Chapter, lab_id: str, tag: str, seed: int, root: Path | None = None
) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    base = (root or experiments_dir()) / chapter.slug / lab_id
    run_dir = base / f"{stamp}-{tag}-s{seed}"
    n = 1
    while run_dir.exists():
        n += 1
        run_dir = base / f"{stamp}-{tag}-s{seed}-{n}"
    run_dir.mkdir(parents=True)
    return run_dir


def run_lab(
    chapter: Chapter,
    lab_id: str,
    *,
    learner: str | None = None,
    reference: bool = False,
    seed: int = 0,
    steps: int | None = None,
    store: Store | None = None,
    on_progress: Callable[[dict], None] | None = None,
    on_output: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
    root: Path | None = None,
    timeout_s: float | None = None,
) -> RunOutcome:
    lab = chapter.lab(lab_id)
    if reference:
        entry_args, tag, impl = ["--module", f"{lab.package}.{lab.entry}"], "reference", "reference"
    else:
        if learner is None:
            raise ValueError("a learner run needs a learner name (or reference=True)")
        path = lab_dir(learner, chapter, lab_id) / f"{lab.entry}.py"
        if not path.is_file():
            raise FileNotFoundError(f"{path} does not exist; run `harness learner add {learner}`")
        entry_args, tag, impl = ["--path", str(path)], f"learner-{learner}", "learner"
    run_dir = new_run_dir(chapter, lab_id, tag, seed, root)
    args = ["--lab", lab_id, "--chapter", str(chapter_file().resolve()), "--seed", str(seed)]
    args += ["--out", str(run_dir), *entry_args]
    if steps is not None:
        args += ["--steps", str(steps)]
    learner_dir = None if reference else path.parent
    db = store.path if store is not None else None
    confinement = isolation.run_confinement(lab, learner_dir, run_dir, db=db)
    cmd, cleanup = isolation.wrap(
        isolation.python_command("harness.grading.run_child", args),
        confinement,
        cwd=learner_dir or run_dir,
    )
    errors: list[str] = []

    def on_line(line: str) -> None:
        line = printable(line)
        if line.startswith(PROGRESS_PREFIX):
            if on_progress:
                try:
                    on_progress(json.loads(line[len(PROGRESS_PREFIX) :]))
                except ValueError:
                    pass
        elif line.startswith(ERROR_PREFIX):
            errors.append(line[len(ERROR_PREFIX) :])
        elif on_output:
            on_output(line)

    iso = isolation.detect()
    if on_output is not None and not iso.sandboxed:
        on_output(f"isolation: none ({iso.detail})")
    started, t0 = now(), time.monotonic()
    with cancel_on_signals(cancel := cancel or threading.Event()):
        try:
            result = run_sandboxed(
                cmd,
                timeout_s=timeout_s or lab.time_limit_s,
                env=isolation.child_env(),
                cwd=str(learner_dir or run_dir),
                on_line=on_line,
                cancel=cancel,
                preexec_fn=isolation.limit_learner(
                    DEFAULT_MEMORY_BYTES, file_bytes=confinement.file_bytes
                ),
            )
        finally:
            cleanup()
    wall = time.monotonic() - t0
    produced = _read_json(run_dir / RESULT_FILE)
    (run_dir / RESULT_FILE).unlink(missing_ok=True)
    status = result.status if result.status != "ok" or produced else "failed"
    metrics = produced.get("metrics", {}) if produced else {}
    if status == "ok":
        message = "finished"
    elif errors:
        message = errors[-1]
    else:
        tail = printable(result.tail).strip()
        message = f"the run {result.ended}" + (f"; its last output:\n{tail}" if tail else "")
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    manifest = {
        "chapter": chapter.id,
        "lab": lab_id,
        "impl": impl,
        "learner": learner,
        "seed": seed,
        "status": status,
        "started_at": started,
        "wall_time_s": round(wall, 2),
        "config": produced.get("config", {}) if produced else {},
        "dataset_hash": produced.get("dataset_hash") if produced else None,
        "metrics": metrics,
        "packages": package_versions(),
        "isolation": iso.kind,
        "git_commit": git_commit(),
        "platform": platform.platform(),
        "outputs": sorted(p.name for p in run_dir.iterdir() if p.name != "manifest.yaml"),
    }
    (run_dir / "manifest.yaml").write_text(
        yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8"
    )
    if status != "ok":
        (run_dir / "output-tail.txt").write_text(result.output[-20000:], encoding="utf-8")
    if store is not None:
        store.record_run(
            learner=learner,
            lab_id=lab_id,
            impl=impl,
            run_dir=str(run_dir),
            seed=seed,
            status=status,
            metrics=metrics,
            started_at=started,
            duration_s=wall,
        )
    return RunOutcome(run_dir, status, metrics, message, wall)


def load_manifest(run_dir: Path) -> dict:
    path = Path(run_dir) / "manifest.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} does not exist: is {run_dir} a run folder?") from None
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict) or "lab" not in data or "seed" not in data:
        raise ValueError(f"{path}: expected a run manifest with 'lab' and 'seed'")
    return data


def reproduce(
    run_dir: Path,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    chapter: Chapter | None = None,
    root: Path | None = None,
    on_progress: Callable[[dict], None] | None = None,
) -> ReproduceOutcome:
    """Re-run from the manifest (same seed, same step count) and compare numeric metrics."""
    chapter = chapter or load_chapter()
    manifest = load_manifest(run_dir)
    steps = (manifest.get("config") or {}).get("steps")
    root = root or Path(tempfile.mkdtemp(prefix="x2-reproduce-"))
    new = run_lab(
        chapter,
        manifest["lab"],
        learner=manifest.get("learner"),
        reference=manifest.get("impl") == "reference",
        seed=int(manifest["seed"]),
        steps=int(steps) if steps is not None else None,
        root=root,
        on_progress=on_progress,
    )
    comparisons = []
    recorded = manifest.get("metrics") or {}
    for key, value in sorted(recorded.items()):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        got = new.metrics.get(key)
        ok = isinstance(got, (int, float)) and math.isclose(
            got, value, rel_tol=tolerance, abs_tol=tolerance
        )
        comparisons.append(Comparison(key, value, got, ok))
    return ReproduceOutcome(Path(run_dir), new, comparisons)


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
