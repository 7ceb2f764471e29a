"""Run a lab's DoD suite against the reference or a learner's code, and record the result.

pytest runs in a sandboxed subprocess (time limit, memory cap, output cap) from the installed
harness with its own ini file and `--confcutdir`, so nothing in the learner's folder (a
`conftest.py`, a `pytest.ini`) is ever loaded; the learner's functions run one level further
down, in the worker that `harness.grading.remote` starts.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.chapter import Chapter
from harness.grading.sandbox import run_sandboxed
from harness.learners import lab_dir
from harness.paths import learners_dir
from harness.store import CheckResult, Store, now

CHECKS_INI = Path(__file__).with_name("checks.ini")


@dataclass(frozen=True)
class CheckOutcome:
    lab_id: str
    impl: str  # reference | learner
    task: str | None
    status: str  # pass | fail | error | timeout | memory | crashed | cancelled
    results: list[CheckResult]
    message: str
    output_tail: str
    duration_s: float
    results_json: Path | None
    run_id: int | None

    @property
    def passed(self) -> int:
        return sum(r.status == "pass" for r in self.results)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed


def target_dir(chapter: Chapter, lab_id: str, learner: str | None, reference: bool) -> Path:
    """Where results.json goes: the learner's lab folder, or learners/.reference/<lab>."""
    if reference:
        return learners_dir() / ".reference" / lab_id
    if learner is None:
        raise ValueError("checking learner code needs a learner name (or reference=True)")
    return lab_dir(learner, chapter, lab_id)


def pytest_command(
    chapter: Chapter, lab_id: str, *, impl: str, task: str | None, results_json: Path
) -> list[str]:
    lab = chapter.lab(lab_id)
    if task:
        lab.task(task)
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(lab.checks_dir),
        "-c",
        str(CHECKS_INI),
        "--rootdir",
        str(lab.checks_dir),
        "--confcutdir",
        str(lab.checks_dir),
        "-p",
        "harness.grading.plugin",
        "--impl",
        impl,
        "--lab",
        lab_id,
        "--results-json",
        str(results_json),
    ]
    if task:
        cmd += ["--task", task]
    return cmd


def run_checks(
    chapter: Chapter,
    lab_id: str,
    *,
    learner: str | None = None,
    reference: bool = False,
    task: str | None = None,
    store: Store | None = None,
    on_output: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
    timeout_s: float | None = None,
) -> CheckOutcome:
    """Run the suite, write results.json, record the run in `store` (if given)."""
    lab = chapter.lab(lab_id)
    out_dir = target_dir(chapter, lab_id, learner, reference)
    if not reference and not (out_dir / f"{lab.entry}.py").is_file():
        raise FileNotFoundError(
            f"{out_dir / (lab.entry + '.py')} does not exist; run `harness learner add "
            f"{learner}` to copy the starter files"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    impl = "reference" if reference else "learner"
    started = now()
    with tempfile.TemporaryDirectory(prefix="x2-checks-") as tmp:
        tmp_json = Path(tmp) / "results.json"
        cmd = pytest_command(
            chapter,
            lab_id,
            impl="reference" if reference else str(out_dir),
            task=task,
            results_json=tmp_json,
        )
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg")
        env.pop("PYTEST_ADDOPTS", None)
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # no suite needs installed plugins
        t0 = time.monotonic()
        result = run_sandboxed(
            cmd,
            timeout_s=timeout_s or lab.time_limit_s,
            cwd=tmp,
            env=env,
            on_line=on_output,
            cancel=cancel,
            memory_bytes=None,
        )
        duration = time.monotonic() - t0
        report = _read_report(tmp_json)
    results = [
        CheckResult(
            t["name"],
            t.get("task_id"),
            t["status"],
            t.get("message", ""),
            float(t.get("duration", 0.0)),
        )
        for t in report.get("tests", [])
    ]
    if result.status in ("timeout", "memory", "crashed", "cancelled"):
        status, message = result.status, f"the check run {result.describe()}"
    elif report and result.returncode in (0, 1):  # pytest finished: passed or some failed
        status, message = report["status"], report.get("message", "")
    elif report:
        status = "error"
        message = (
            f"the check run was interrupted ({result.describe()}); a partial report proves nothing"
        )
    else:
        status = "error"
        message = f"the check run produced no results ({result.describe()})"
    final = {
        "version": 3,
        "status": status if status in ("pass", "fail") else "error",
        "message": message,
        "tests": report.get("tests", []),
        "lab": lab_id,
        "impl": impl,
        "task": task,
        "harness_status": status,
    }
    results_json = out_dir / "results.json"
    results_json.write_text(json.dumps(final, indent=2), encoding="utf-8")
    run_id = None
    if store is not None:
        run_id = store.record_check_run(
            learner=learner,
            lab_id=lab_id,
            impl=impl,
            task=task,
            status=status,
            results=results,
            message=message,
            output_tail=result.tail,
            started_at=started,
            duration_s=duration,
        )
    return CheckOutcome(
        lab_id, impl, task, status, results, message, result.tail, duration, results_json, run_id
    )


def _read_report(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("version") == 3 else {}
