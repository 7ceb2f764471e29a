"""Fixtures for the reliability tests: a toy lab, a temporary store, misbehaving learners.

`HARNESS_CHAPTER` points at `toylab/chapter.yaml`, whose lab package (`rel_toylab`) is put on
PYTHONPATH so that every child process (pytest, the worker, the run child, the CLI) finds it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.chapter import Chapter, load_chapter
from harness.learners import create_folders, lab_dir
from harness.store import Store

HERE = Path(__file__).parent
TOYLAB = HERE / "toylab"
LEARNER_FILES = HERE / "learner_files"
HARNESS = shutil.which("harness", path=str(Path(sys.executable).parent)) or "harness"

# The toy lab's checks are run by the harness, never collected by the project's own pytest.
collect_ignore = ["toylab", "learner_files"]


@pytest.fixture
def toy_env(tmp_path, monkeypatch) -> dict[str, str]:
    """Environment for the toy chapter, a temporary store and learners folder."""
    monkeypatch.syspath_prepend(str(TOYLAB))
    pythonpath = os.pathsep.join(p for p in (str(TOYLAB), os.environ.get("PYTHONPATH")) if p)
    values = {
        "HARNESS_CHAPTER": str(TOYLAB / "chapter.yaml"),
        "HARNESS_DB": str(tmp_path / "progress.db"),
        "HARNESS_LEARNERS": str(tmp_path / "learners"),
        "PYTHONPATH": pythonpath,
        # Keeps installed pytest plugins (textual snapshots, syrupy, …) out of the
        # grading pytest: 0.7 s of CPU a run. checks.py should set it too (see
        # docs/RELIABILITY.md, "Fixes requested").
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("HARNESS_LEARNER", raising=False)
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    return dict(os.environ)


@pytest.fixture
def chapter(toy_env) -> Chapter:
    return load_chapter()


@pytest.fixture
def store(toy_env, tmp_path):
    s = Store(tmp_path / "progress.db")
    yield s
    s.close()


@pytest.fixture
def learner(chapter, store):
    """Add learner 'ana' and return a function that installs a learner file as her toy.py."""
    store.add_learner("ana")
    create_folders("ana", chapter)
    folder = lab_dir("ana", chapter, "lab-00")

    def install(name: str) -> Path:
        source = LEARNER_FILES / f"{name}.py"
        if not source.exists():  # files that do not even parse are kept as .py.txt (ruff)
            source = LEARNER_FILES / f"{name}.py.txt"
        shutil.copyfile(source, folder / "toy.py")
        return folder

    install.folder = folder
    return install


@pytest.fixture
def cli(toy_env):
    """Run the real `harness` entry point in a subprocess with the toy environment."""

    def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            [HARNESS, *args], capture_output=True, text=True, env=toy_env, timeout=timeout
        )

    run.executable = HARNESS
    return run


def _pid_alive(pid: int) -> bool:
    """True if `pid` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _alive_after(pid: int, grace_s: float = 3.0) -> bool:
    """True if `pid` still lives after a grace period (SIGKILL is delivered asynchronously)."""
    deadline = time.monotonic() + grace_s
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return _pid_alive(pid)


@pytest.fixture
def pid_alive():
    return _alive_after


def _processes_mentioning(marker: str, grace_s: float = 3.0) -> list[int]:
    """Living processes (not us) whose command line contains `marker`, after a grace period.

    Inside bubblewrap a learner process has another PID in its own namespace, so a pid it
    reports is useless here; its command line (the worker's, naming the learner's file) is
    the same from outside."""

    def scan() -> list[int]:
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == os.getpid():
                continue
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in cmdline and _pid_alive(int(entry)):
                found.append(int(entry))
        return found

    deadline = time.monotonic() + grace_s
    while (found := scan()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


@pytest.fixture
def lingering(tmp_path):
    """Processes still running that belong to this test's learner (by their command line)."""
    return lambda: _processes_mentioning(str(tmp_path))
