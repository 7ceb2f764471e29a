"""Run a lab's DoD suite against the reference or a learner's code, and record the result.

The grading pytest runs in a sandboxed subprocess (time limit, memory cap, output cap) as
`python -I -S` with a scrubbed environment (no PYTEST_PLUGINS, PYTHONPATH, PYTHONSTARTUP, …),
its own ini file and `--confcutdir`, so nothing in the learner's folder or environment is
loaded into it. The learner's functions run one level further down, in a confined worker
(isolation.py). Progress and results come back over a pipe only this process holds; the
held-out seed is drawn here, fresh for every run, and recorded.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from harness.chapter import Chapter
from harness.grading import isolation
from harness.grading.sandbox import run_sandboxed
from harness.grading.sanitize import printable
from harness.learners import lab_dir
from harness.paths import learners_dir
from harness.store import CheckResult, Store, now

CHECKS_INI = Path(__file__).with_name("checks.ini")
GRADER_MEMORY_BYTES = 8 * 1024**3
MAX_CHANNEL_BYTES = 16 * 1024**2
# What the grading pytest may see of our environment besides the worker's own variables.
GRADER_PASSED_ENV = ("HOME", "PATH", "X2_CACHE_DIR", "HARNESS_ISOLATION", "HARNESS_CHAPTER",
                     "HARNESS_LEARNERS", "HARNESS_EXPERIMENTS", "HARNESS_DB")  # fmt: skip


@dataclass(frozen=True)
class CheckProgress:
    """One step of a running check: a test started (status None) or ended."""

    index: int  # 1-based
    total: int
    name: str
    task: str | None
    status: str | None  # None = started; pass | fail | error when done
    elapsed_s: float


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
    isolation: str = "none"  # bwrap | none
    heldout_seed: int | None = None
    similarity: dict[str, float] = field(default_factory=dict)  # task -> 0..1

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
    chapter: Chapter,
    lab_id: str,
    *,
    impl: str,
    task: str | None,
    results_json: Path | None = None,
    results_fd: int | None = None,
    heldout_seed: int | None = None,
    records: tuple[Path, ...] = (),
    reference_times: Path | None = None,
    run_all: bool = False,
) -> list[str]:
    """The grading pytest's command line: `python -I -S` running pytest with our plugin."""
    lab = chapter.lab(lab_id)
    results = (
        ["--results-fd", str(results_fd)]
        if results_fd is not None
        else ["--results-json", str(results_json)]
    )
    if task:
        lab.task(task)
    args = [
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
        *results,
    ]
    if heldout_seed is not None:
        args += ["--heldout-seed", str(heldout_seed)]
    for record in records:
        args += ["--records", str(record)]
    if reference_times is not None:
        args += ["--reference-times", str(reference_times)]
    if run_all:
        args.append("--run-all")
    if task:
        args += ["--task", task]
    return isolation.python_command("pytest", args)


def grader_env() -> dict[str, str]:
    """The grading pytest's environment: the worker's, plus the few paths it needs."""
    env = isolation.child_env()
    for name in GRADER_PASSED_ENV:
        if name in os.environ:
            env[name] = os.environ[name]
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # no suite needs installed plugins
    return env


class _Channel:
    """Reads the grader's JSON lines on a thread: progress as it comes, then the report."""

    def __init__(self, fd: int, on_progress: Callable[[CheckProgress], None] | None):
        self.report: dict = {}
        self._fd, self._on_progress = fd, on_progress
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        buffer, total = b"", 0
        with open(self._fd, "rb", closefd=True) as stream:
            for line in stream:
                total += len(line)
                if total > MAX_CHANNEL_BYTES:
                    break  # a grader never says this much; stop listening
                buffer = line
                try:
                    event = json.loads(buffer)
                except ValueError:
                    continue
                if isinstance(event, dict):
                    self._handle(event)

    def _handle(self, event: dict) -> None:
        kind = event.get("event")
        if kind == "results" and isinstance(event.get("report"), dict):
            report = event["report"]
            if report.get("version") == 3 and isinstance(report.get("tests"), list):
                self.report = report
        elif kind in ("start", "done") and self._on_progress is not None:
            try:
                self._on_progress(
                    CheckProgress(
                        int(event.get("index", 0)),
                        int(event.get("total", 0)),
                        printable(str(event.get("name", ""))),
                        event.get("task"),
                        event.get("status") if kind == "done" else None,
                        float(event.get("elapsed_s", 0.0)),
                    )
                )
            except Exception:  # a UI callback must not stop the reader
                pass

    def join(self, timeout: float = 5.0) -> None:
        self._thread.join(timeout)


@contextlib.contextmanager
def cancel_on_signals(cancel: threading.Event) -> Iterator[list[int]]:
    """In the main thread, SIGINT/SIGTERM/SIGHUP set `cancel` (so the whole grading tree is
    ended) and are re-raised once it is down: Ctrl-C still stops `harness check`."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    signals = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]

    def handler(signum, frame) -> None:
        received.append(signum)
        cancel.set()

    previous = {sig: signal.signal(sig, handler) for sig in signals}
    try:
        yield received
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
    if received:
        if received[0] == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(128 + received[0])


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
    on_progress: Callable[[CheckProgress], None] | None = None,
    heldout_seed: int | None = None,
    run_all: bool = False,
    folder: Path | None = None,
) -> CheckOutcome:
    """Run the suite, write results.json, record the run in `store` (if given).

    `heldout_seed` pins the checks' data (to reproduce a recorded run); by default it is drawn
    fresh. After a timeout the rest of that task's checks are not run, nor the checks that
    load a model after a cheaper one of the same task failed; `run_all` runs them anyway.
    Called from the main thread, SIGINT/SIGTERM/SIGHUP end the grading tree and are
    then re-raised. `folder` grades the lab files in that folder instead of a learner's own
    (a mentor's regrade of a snapshot); results.json is written there.
    """
    lab = chapter.lab(lab_id)
    if folder is not None and reference:
        raise ValueError("give folder= or reference=True, not both")
    out_dir = (
        Path(folder) if folder is not None else target_dir(chapter, lab_id, learner, reference)
    )
    if not reference and not (out_dir / f"{lab.entry}.py").is_file():
        raise FileNotFoundError(
            f"{out_dir / (lab.entry + '.py')} does not exist; run `harness learner add "
            f"{learner}` to copy the starter files"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    impl = "reference" if reference else "learner"
    if not reference and (refusal := _borrowed_file(out_dir / f"{lab.entry}.py", out_dir)):
        return _refused(lab_id, task, learner, out_dir, refusal, store)
    iso = isolation.detect()
    seed = secrets.randbelow(2**31) if heldout_seed is None else heldout_seed
    records = tuple(Path(p) for p in ([store.path] if store and store.path != ":memory:" else []))
    started = now()
    cancel = cancel or threading.Event()
    read_fd, write_fd = os.pipe()
    cmd = pytest_command(
        chapter,
        lab_id,
        impl="reference" if reference else str(out_dir),
        task=task,
        results_fd=write_fd,
        heldout_seed=seed,
        records=records,
        reference_times=None if reference else _reference_times(chapter, lab_id),
        run_all=run_all,
    )
    channel = _Channel(read_fd, on_progress)
    if on_output is not None and not iso.sandboxed:
        on_output(f"isolation: none ({iso.detail})")
    lines = (lambda line: on_output(printable(line))) if on_output else None
    t0 = time.monotonic()
    with cancel_on_signals(cancel):
        result = run_sandboxed(
            cmd,
            timeout_s=timeout_s or lab.time_limit_s,
            cwd=str(learners_dir().parent if reference else out_dir),
            env=grader_env(),
            on_line=lines,
            cancel=cancel,
            memory_bytes=GRADER_MEMORY_BYTES,
            pass_fds=(write_fd,),
        )
        channel.join()
    duration = time.monotonic() - t0
    report = channel.report
    results = [
        CheckResult(
            printable(str(t.get("name", "?"))),
            t.get("task_id"),
            t.get("status") if t.get("status") in ("pass", "fail", "error") else "error",
            printable(str(t.get("message", ""))),
            float(t.get("duration", 0.0)),
            t.get("kind"),
        )
        for t in report.get("tests", [])
        if isinstance(t, dict)
    ]
    if result.status in ("timeout", "memory", "crashed", "cancelled"):
        status, message = result.status, f"the check run {result.ended}"
    elif report and result.returncode in (0, 1):  # pytest finished: passed or some failed
        status, message = report["status"], printable(str(report.get("message", "")))
    elif report:
        status = "error"
        message = (
            f"the check run was interrupted (it {result.ended}); a partial report proves nothing"
        )
    else:
        status = "error"
        message = f"the check run produced no results (it {result.ended})"
    similarity = {} if reference else _similarity(lab, out_dir, task)
    final = {
        "version": 3,
        "status": status if status in ("pass", "fail") else "error",
        "message": message,
        "tests": report.get("tests", []),
        "lab": lab_id,
        "impl": impl,
        "task": task,
        "harness_status": status,
        "isolation": iso.kind,
        "heldout_seed": seed,
        "similarity": similarity,
    }
    results_json = out_dir / "results.json"
    if status != "cancelled":  # a cancelled run says nothing about the code: keep the last
        results_json.write_text(json.dumps(final, indent=2), encoding="utf-8")
    run_id = None
    output_tail = printable(result.tail)
    if store is not None:
        run_id = store.record_check_run(
            learner=learner,
            lab_id=lab_id,
            impl=impl,
            task=task,
            status=status,
            results=results,
            message=message,
            output_tail=output_tail,
            started_at=started,
            duration_s=duration,
            isolation=iso.kind,
            heldout_seed=seed,
            similarity=similarity,
        )
    return CheckOutcome(
        lab_id,
        impl,
        task,
        status,
        results,
        message,
        output_tail,
        duration,
        results_json,
        run_id,
        iso.kind,
        seed,
        similarity,
    )


def _reference_times(chapter: Chapter, lab_id: str) -> Path | None:
    """The last reference run's results on this machine: the plugin sets each check's call
    limit from its durations (20x, at least 5 s) instead of the fixed default."""
    path = target_dir(chapter, lab_id, None, True) / "results.json"
    return path if path.is_file() else None


def _borrowed_file(path: Path, folder: Path) -> str | None:
    """Why the learner's file cannot be graded as theirs: a symlink out of their folder."""
    if path.is_symlink():
        target = path.resolve()
        if not target.is_relative_to(folder.resolve()):
            return (
                f"{path.name} is a symlink to {target}, outside your lab folder; graded code "
                f"must be a file of your own in {folder}"
            )
    return None


def _refused(
    lab_id: str, task: str | None, learner: str | None, out_dir: Path, why: str, store
) -> CheckOutcome:
    """Record and report a run that was refused before any check ran."""
    started = now()
    final = {"version": 3, "status": "error", "message": why, "tests": [], "lab": lab_id,
             "impl": "learner", "task": task, "harness_status": "error"}  # fmt: skip
    results_json = out_dir / "results.json"
    results_json.write_text(json.dumps(final, indent=2), encoding="utf-8")
    run_id = None
    if store is not None:
        run_id = store.record_check_run(
            learner=learner, lab_id=lab_id, impl="learner", task=task, status="error",
            results=[], message=why, started_at=started, isolation=isolation.detect().kind,
        )  # fmt: skip
    return CheckOutcome(lab_id, "learner", task, "error", [], why, "", 0.0, results_json, run_id)


def _similarity(lab, out_dir: Path, task: str | None) -> dict[str, float]:
    """Copy similarity to the reference per graded task; {} if it cannot be measured."""
    from harness.grading.similarity import task_similarity

    try:
        return task_similarity(lab, out_dir / f"{lab.entry}.py", [task] if task else None)
    except (OSError, SyntaxError, ValueError, RecursionError, SystemError):
        return {}  # a score that cannot be measured is left out, never a failed grading
