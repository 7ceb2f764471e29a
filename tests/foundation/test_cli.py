"""The CLI end to end through the real entry point (`harness`), on a temporary database."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

HARNESS = shutil.which("harness", path=str(Path(sys.executable).parent)) or "harness"


@pytest.fixture
def cli(tmp_path):
    env = dict(
        os.environ,
        HARNESS_DB=str(tmp_path / "progress.db"),
        HARNESS_LEARNERS=str(tmp_path / "learners"),
        HARNESS_EXPERIMENTS=str(tmp_path / "experiments"),
    )
    env.pop("HARNESS_LEARNER", None)

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [HARNESS, *args], capture_output=True, text=True, env=env, timeout=120
        )
        if ok:
            assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc

    run.tmp = tmp_path
    return run


def test_first_status_creates_the_default_learner(cli):
    proc = cli("status")
    assert "created the default learner 'learner'" in proc.stderr
    assert "[ ] theory-00" in proc.stdout and "[-] lab-00" in proc.stdout
    assert "Next: harness read theory-00" in proc.stdout
    assert (cli.tmp / "learners" / "learner" / "extension-X2" / "lab-00").is_dir()


def test_learner_add_list_and_choosing_among_several(cli):
    assert "added ana" in cli("learner", "add", "ana").stdout
    assert "already there" in cli("learner", "add", "ana").stdout
    cli("learner", "add", "ben")
    assert cli("learner", "list").stdout.split() == ["ana", "ben"]
    assert "learner: ben" in cli("status").stdout  # the learner added last
    assert "learner: ana" in cli("status", "--learner", "ana").stdout
    assert "learner: ana" in cli("status").stdout  # ... until another is picked
    (cli.tmp / "progress.db.last-learner").unlink()
    proc = cli("status", ok=False)
    assert proc.returncode == 1 and "pick one with --learner NAME" in proc.stderr


@pytest.mark.parametrize("name", ["../x", "a/b", "x" * 500])
def test_bad_learner_names_are_refused_cleanly(cli, name):
    proc = cli("learner", "add", name, ok=False)
    assert proc.returncode == 1
    assert "invalid learner name" in proc.stderr and "Traceback" not in proc.stderr
    assert not (cli.tmp / "x").exists()


def test_read_marks_a_page_and_unlocks_the_next(cli):
    cli("learner", "add", "ana")
    proc = cli("read", "theory-00")
    assert "marked theory-00 as read" in proc.stdout
    status = cli("status").stdout
    assert "[x] theory-00" in status and "[ ] theory-01" in status
    locked = cli("read", "lab-02").stdout
    assert "locked until theory-02" in locked
    assert "[-] lab-02" in cli("status").stdout
    assert "harness read theory-01" in cli("next").stdout


def test_unknown_things_get_one_clear_line(cli):
    cli("learner", "add", "ana")
    for args, text in [
        (("read", "theory-9"), "unknown page 'theory-9'"),
        (("check", "lab-9"), "unknown lab 'lab-9'; known: lab-00, lab-01, lab-02"),
        (("status", "--learner", "zoe"), "unknown learner 'zoe'"),
    ]:
        proc = cli(*args, ok=False)
        assert proc.returncode == 1, args
        assert text in proc.stderr and "Traceback" not in proc.stderr


def test_a_corrupt_database_is_reported_not_crashed(cli):
    (cli.tmp / "progress.db").write_bytes(b"garbage" * 1000)
    proc = cli("status", ok=False)
    assert proc.returncode == 1 and "cannot be read" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_run_writes_a_manifest_and_reproduce_confirms_it(cli):
    proc = cli("run", "lab-00", "--reference", "--steps", "60", "--seed", "3")
    runs = list((cli.tmp / "experiments" / "X2-multimodal" / "lab-00").iterdir())
    assert len(runs) == 1 and f"ok: {runs[0]}" in proc.stdout
    manifest = yaml.safe_load((runs[0] / "manifest.yaml").read_text())
    assert manifest["seed"] == 3 and manifest["config"]["steps"] == 60
    assert manifest["status"] == "ok" and 0 <= manifest["metrics"]["test_acc"] <= 1
    assert len(manifest["dataset_hash"]) == 64 and manifest["packages"]["numpy"]
    for name in ("metrics.json", "training-curve.png", "confusion-verb.png"):
        assert (runs[0] / name).stat().st_size > 0
    again = cli("reproduce", str(runs[0]))
    assert "reproduced: metrics match" in again.stdout
    assert (
        f"recorded {manifest['metrics']['test_acc']!r}, reproduced "
        f"{manifest['metrics']['test_acc']!r}" in again.stdout
    )


def test_reproduce_of_a_folder_without_a_manifest_is_one_clear_line(cli):
    (cli.tmp / "not-a-run").mkdir()
    proc = cli("reproduce", str(cli.tmp / "not-a-run"), ok=False)
    assert proc.returncode == 1 and "manifest.yaml does not exist" in proc.stderr
    assert "Traceback" not in proc.stderr
