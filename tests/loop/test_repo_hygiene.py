"""Bug 9: reference and cancelled runs a learner starts showed up as untracked files."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from harness.paths import REPO_ROOT

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or not (REPO_ROOT / ".git").exists(), reason="needs a git checkout"
)


def ignored(path: str) -> bool:
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", "-q", path], cwd=REPO_ROOT, check=False
    )
    return result.returncode == 0


@pytest.mark.parametrize(
    "run",
    [
        "experiments/X2-multimodal/lab-00/20991231-235959-reference-s0",
        "experiments/X2-multimodal/lab-01/20991231-235959-reference-s3-2",
        "experiments/X2-multimodal/lab-00/20991231-235959-learner-ana-s0",
    ],
)
def test_runs_started_by_a_learner_are_ignored(run):
    assert ignored(f"{run}/manifest.yaml")


def test_the_committed_reference_runs_stay_tracked():
    tracked = subprocess.run(
        ["git", "ls-files", "experiments"], cwd=REPO_ROOT, capture_output=True, text=True
    ).stdout.split()
    manifests = [p for p in tracked if p.endswith("-reference-s0/manifest.yaml")]
    assert manifests, "the reference runs the docs cite must stay in git"


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_says_what_each_install_step_is_doing():
    """Friction: `make run` was two silent minutes of pip."""
    plan = subprocess.run(
        ["make", "-n", "-B", ".venv/.installed"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    installs = [i for i, line in enumerate(plan) if "/pip install" in line]
    assert len(installs) == 3
    for i in installs:
        assert plan[i - 1].startswith('echo "['), plan[i - 1]  # a numbered step line first
