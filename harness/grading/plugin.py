"""The pytest plugin behind every DoD suite (`pytest -p harness.grading.plugin`).

Options: `--impl reference|<learner lab dir>`, `--lab lab-00`, `--task <id>`,
`--results-json <file>` or `--results-fd <fd>`, `--call-timeout <s>`, `--heldout-seed <n>`,
`--records <db file>`. It provides the `impl` fixture (a `RemoteModule`: the implementation
under test runs in a confined worker process, never here), checks that every test carries
exactly one known `@pytest.mark.task("<id>")`, and writes the results in the exercism
test-runner v3 shape.

`harness check` passes `--results-fd`: progress and results travel as JSON lines over a pipe
only the harness holds, never through a file that learner code could find and rewrite. The
held-out seed is drawn fresh for every run (`session_seed()`), so no learner code can
regenerate the checks' inputs or labels. See docs/CHECKS.md.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from pathlib import Path

import pytest

from harness.chapter import Lab, load_chapter
from harness.grading import diagnosis, isolation
from harness.grading.remote import LearnerError, RemoteModule
from harness.grading.sanitize import printable

_results: list[dict] = []
_state: dict = {"seed": None, "channel": None, "total": 0, "index": 0, "t0": 0.0, "times": {}}
_blocked: dict[str, tuple[str, str]] = {}  # task -> (why: timeout | cheaper, message)
MAX_MESSAGE = 2000
# Fixtures that may load a model: a task's checks that use one run after its cheap checks, and
# only if those passed, so a stub fails in a second instead of after Whisper loads (lab 02's
# `whisper_outputs` loads it only while the model's outputs are not cached yet).
EXPENSIVE_FIXTURES = frozenset({"whisper_outputs"})
# A call's limit when the reference's time for the same check is known (this machine's own
# speed): FACTOR times the reference, never under FLOOR seconds.
TIME_FACTOR, TIME_FLOOR_S = 20.0, 5.0


def session_seed() -> int:
    """This run's seed for the checks' inputs and held-out data: fresh unless --heldout-seed
    pins it (to reproduce a recorded run). Check modules call it at import."""
    if _state["seed"] is None:
        _state["seed"] = secrets.randbelow(2**31)
    return _state["seed"]


def _emit(event: dict) -> None:
    channel = _state["channel"]
    if channel is not None:
        channel.write(json.dumps(event) + "\n")
        channel.flush()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "X2 Definition-of-Done checks")
    group.addoption(
        "--impl", default="reference", help="'reference' or the path of a learner's lab folder"
    )
    group.addoption("--lab", default=None, help="lab id, e.g. lab-00 (default: from the path)")
    group.addoption("--task", default=None, help="run only the checks of this task")
    group.addoption("--results-json", default=None, help="write exercism v3 results here")
    group.addoption(
        "--results-fd", type=int, default=None, help="stream progress and results to this fd"
    )
    group.addoption(
        "--heldout-seed", type=int, default=None, help="seed of the checks' data (default: fresh)"
    )
    group.addoption(
        "--records", action="append", default=[], help="a database file learner code must not see"
    )
    group.addoption(
        "--run-all",
        action="store_true",
        help="run every check even after a timeout or a failed cheaper check (course authors)",
    )
    group.addoption(
        "--reference-times",
        default=None,
        help="a reference run's results.json: per-check limits follow its durations",
    )
    group.addoption(
        "--call-timeout",
        type=float,
        default=120.0,
        help="seconds one call into the implementation may take",
    )


def _lab(config: pytest.Config) -> Lab:
    lab_id = config.getoption("--lab")
    if lab_id is None:
        args = " ".join(str(a) for a in config.args) + " " + str(config.rootpath)
        found = re.search(r"lab(\d\d)", args)
        if not found:
            raise pytest.UsageError("cannot tell which lab this is; pass --lab lab-NN")
        lab_id = f"lab-{found.group(1)}"
    return load_chapter().lab(lab_id)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "task(id): the lab task this check belongs to")
    config.addinivalue_line(
        "markers",
        "expensive: runs long (trains to a bar); after the task's cheap checks, and not at all "
        "once one of them failed (as the checks that use EXPENSIVE_FIXTURES)",
    )
    if config.getoption("--results-fd") is not None:  # started by the harness
        isolation.die_with_parent()
    config._harness_lab = _lab(config)  # type: ignore[attr-defined]
    _results.clear()
    _state.update(seed=config.getoption("--heldout-seed"), index=0, t0=time.monotonic())
    _state["times"] = _reference_times(config.getoption("--reference-times"))
    _state["run_all"] = config.getoption("--run-all")
    _blocked.clear()
    session_seed()
    fd = config.getoption("--results-fd")
    if fd is not None:
        isolation.not_dumpable()  # same-user processes cannot reach this fd through /proc
        _state["channel"] = os.fdopen(fd, "w", encoding="utf-8", closefd=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    lab: Lab = config._harness_lab  # type: ignore[attr-defined]
    known = {t.id for t in lab.tasks}
    for item in items:
        marks = list(item.iter_markers("task"))
        if len(marks) != 1 or not marks[0].args or marks[0].args[0] not in known:
            raise pytest.UsageError(
                f"{item.nodeid}: every check needs exactly one @pytest.mark.task(<id>) with an "
                f"id from {lab.id}'s tasks ({', '.join(sorted(known))})"
            )
    wanted = config.getoption("--task")
    if wanted:
        lab.task(wanted)  # unknown task -> clear error
        keep = [i for i in items if _task_of(i) == wanted]
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep
    # The lab's task order; within a task the cheap checks first (a stable sort).
    order = {t.id: n for n, t in enumerate(lab.tasks)}
    items.sort(key=lambda i: (order[_task_of(i)], _expensive(i)))
    _state["total"] = len(items)


def _task_of(item: pytest.Item) -> str:
    return item.get_closest_marker("task").args[0]


def _expensive(item: pytest.Item) -> bool:
    """Loads a model (an EXPENSIVE_FIXTURES fixture) or is marked `expensive` (trains)."""
    return item.get_closest_marker("expensive") is not None or bool(
        EXPENSIVE_FIXTURES & set(getattr(item, "fixturenames", ()))
    )


def _reference_times(path: str | None) -> dict[str, float]:
    """{check name: seconds} from a reference run's results.json; {} if there is none."""
    if not path:
        return {}
    try:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
        return {
            str(t["name"]): float(t["duration"])
            for t in report.get("tests", [])
            if t.get("status") == "pass"
        }
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """One timeout per task, and no model loaded for a task whose cheap checks failed."""
    blocked = _blocked.get(_task_of(item))
    if blocked and (blocked[0] == "timeout" or _expensive(item)):
        raise LearnerError("not_run", blocked[1])


@pytest.fixture(autouse=True)
def _call_limit(request: pytest.FixtureRequest):
    """Each check's calls get FACTOR x the reference's time for it, when that is known."""
    reference = _state["times"].get(request.node.nodeid.split("::", 1)[-1])
    if reference is None or "impl" not in request.fixturenames:
        yield
        return
    impl = request.getfixturevalue("impl")
    before = impl.default_timeout
    impl.default_timeout = max(TIME_FLOOR_S, TIME_FACTOR * reference)
    yield
    impl.default_timeout = before


@pytest.fixture(scope="session")
def lab(request: pytest.FixtureRequest) -> Lab:
    return request.config._harness_lab  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def impl(request: pytest.FixtureRequest, lab: Lab):
    """The implementation under test, behind a process boundary."""
    target = request.config.getoption("--impl")
    timeout = request.config.getoption("--call-timeout")
    records = request.config.getoption("--records")
    if target == "reference":
        confinement = isolation.grading_confinement(lab, None, hide_solution=False, db=None)
        confinement.records += [Path(r) for r in records]
        remote = RemoteModule(
            module=f"{lab.package}.{lab.entry}",
            call_timeout_s=timeout,
            label=f"reference {lab.entry}",
            confinement=confinement,
        )
    else:
        path = Path(target) / f"{lab.entry}.py"
        if not path.is_file():
            raise LearnerError(
                "import",
                f"{path} does not exist; `harness learner add NAME` copies the starter file there",
            )
        confinement = isolation.grading_confinement(lab, path.parent, hide_solution=True)
        confinement.records += [Path(r) for r in records]
        remote = RemoteModule(
            path=path, call_timeout_s=timeout, label=path.name, confinement=confinement
        )
    recorder = diagnosis.Recorder(remote)  # remembers each check's calls for a diagnosis
    _state["recorder"] = recorder
    yield recorder
    _state["recorder"] = None
    remote.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    mark = item.get_closest_marker("task")
    report.harness_task = mark.args[0] if mark and mark.args else None
    report.harness_expensive = _expensive(item)
    recorder = _state.get("recorder")
    calls = recorder.take() if recorder is not None else []
    if call.when == "call" and call.excinfo is not None and calls:
        report.harness_diagnosis = _diagnose(item, report.harness_task, calls, recorder)
    if call.excinfo is not None:
        exc = call.excinfo.value
        if isinstance(exc, LearnerError):
            report.harness_kind = exc.kind
        if isinstance(exc, AssertionError):
            message = str(exc).strip()
        else:
            message = f"{type(exc).__name__}: {exc}"
        report.harness_message = printable(message)[:MAX_MESSAGE]


def _diagnose(item: pytest.Item, task: str | None, calls: list, recorder) -> str:
    """diagnosis.py's advice on a failed check; never a reason for grading to fail."""
    try:
        return printable(diagnosis.diagnose(item.config._harness_lab, task, calls, recorder))
    except Exception as exc:  # noqa: BLE001
        return f"(no diagnosis: {type(exc).__name__}: {exc})"[:300]


def pytest_runtest_logstart(nodeid: str, location) -> None:
    _state["index"] += 1
    _emit(
        {
            "event": "start",
            "index": _state["index"],
            "total": _state["total"],
            "name": nodeid.split("::", 1)[-1],
            "elapsed_s": round(time.monotonic() - _state["t0"], 3),
        }
    )


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" or (report.when == "setup" and not report.passed):
        kind = getattr(report, "harness_kind", None)
        failed_call = report.when == "call" or kind in ("not_run", "import")
        status = "pass" if report.passed else ("fail" if failed_call else "error")
        task = getattr(report, "harness_task", None)
        name = report.nodeid.split("::", 1)[-1]
        skip_rest = not report.passed and not _state.get("run_all") and kind != "not_run"
        if skip_rest and task and task not in _blocked:
            if kind == "timeout":
                _blocked[task] = (
                    "timeout",
                    f"not run: {name} timed out, and one timeout per task is enough; "
                    "make that call finish, then these checks run",
                )
            elif not getattr(report, "harness_expensive", False):
                _blocked[task] = (
                    "cheaper",
                    f"not run yet: {name}, a cheaper check of this task, failed first; fix "
                    "it and this one runs (it loads a model or trains)",
                )
        if report.skipped:
            status = "error"  # a skipped check proves nothing: it never counts as passed
        _results.append(
            {
                "name": report.nodeid.split("::", 1)[-1],
                "status": status,
                "message": _with_diagnosis(report) if not report.passed else "",
                "output": printable((report.capstdout or "")[-2000:]),
                "task_id": getattr(report, "harness_task", None),
                "kind": getattr(report, "harness_kind", None),
                "duration": round(report.duration, 3),
                "diagnosis": getattr(report, "harness_diagnosis", "") if not report.passed else "",
            }
        )
        _emit(
            {
                "event": "done",
                "index": _state["index"],
                "total": _state["total"],
                "name": _results[-1]["name"],
                "task": _results[-1]["task_id"],
                "status": status,
                "elapsed_s": round(time.monotonic() - _state["t0"], 3),
            }
        )


def _with_diagnosis(report: pytest.TestReport) -> str:
    """The failure message and, on its own lines, the diagnosis (the CLI and TUI print it)."""
    message = getattr(report, "harness_message", "")
    extra = getattr(report, "harness_diagnosis", "")
    return f"{message}\n{extra}"[: 2 * MAX_MESSAGE] if extra else message


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = session.config.getoption("--results-json")
    if not path and _state["channel"] is None:
        return
    failed = [r for r in _results if r["status"] != "pass"]
    if exitstatus not in (0, 1):
        status, message = "error", f"pytest was interrupted (exit status {int(exitstatus)})"
    elif not _results:
        status, message = "error", "no checks ran"
    elif any(r["status"] == "error" for r in _results):
        status, message = "error", failed[0]["message"]
    elif failed:
        status, message = "fail", f"{len(failed)} of {len(_results)} checks failed"
    else:
        status, message = "pass", f"all {len(_results)} checks passed"
    report = {
        "version": 3,
        "status": status,
        "message": message,
        "tests": _results,
        "heldout_seed": session_seed(),
        "isolation": isolation.detect().kind,
        "finished_at": time.time(),
    }
    if path:
        Path(path).write_text(json.dumps(report, indent=2), encoding="utf-8")
    if _state["channel"] is not None:
        _emit({"event": "results", "report": report})
        _state["channel"].close()
        _state["channel"] = None
