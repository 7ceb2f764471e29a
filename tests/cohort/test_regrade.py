"""`harness mentor regrade`: learners' graded code checked again on the mentor's machine.

Real bundles, real sandboxed checks (lab-00's patchify task, a few seconds each): a correct
file and a learner who forged a pass on a broken one. The regrade records "verified: pass"
and "verified: fail", flags the forged pass in the mentor's views, equals a direct check of
the same code with the same seed, and gives the same answers on a Dask LocalCluster.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import main
from harness.cohort import regrade as rg
from harness.cohort.records import export_bundle, import_bundle, write_bundle
from harness.cohort.snapshots import record
from harness.learners import create_folders
from harness.store import CheckResult, Store

LAB = Path(__file__).resolve().parents[2] / "labs" / "x2_multimodal" / "lab00"
CORRECT = (LAB / "mistakes" / "alt_explicit_heads.py").read_bytes()
BROKEN = (LAB / "mistakes" / "patchify__float64_output.py").read_bytes()


def _learner_bundle(chapter, tmp_path: Path, name: str, code: bytes) -> Path:
    """A learner's machine whose store says lab-00 passed (for `bob`, a forged row)."""
    store = Store(tmp_path / name / "progress.db")
    root = tmp_path / name / "learners"
    store.add_learner(name)
    create_folders(name, chapter, root)
    results = [CheckResult("test_patchify", "patchify", "pass")]
    run = store.record_check_run(
        learner=name, lab_id="lab-00", impl="learner", task=None, status="pass",
        results=results, isolation="bwrap", heldout_seed=1,
    )  # fmt: skip
    record(store, run, {"tiny_vit.py": code})
    path = write_bundle(
        export_bundle(store, chapter, name, learners_root=root), tmp_path / f"{name}.json"
    )
    store.close()
    return path


@pytest.fixture
def bundles(chapter, tmp_path):
    return [
        _learner_bundle(chapter, tmp_path, "ana", CORRECT),
        _learner_bundle(chapter, tmp_path, "bob", BROKEN),
    ]


def _mentor(tmp_path: Path, *args: str):
    env = {
        "HARNESS_DB": str(tmp_path / "mentor.db"),
        "HARNESS_LEARNERS": str(tmp_path / "mentor-learners"),
        "HARNESS_MENTOR": "mia",
    }
    result = CliRunner().invoke(main, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


def test_a_forged_pass_shows_as_verified_fail_and_an_unregraded_pass_as_self_reported(
    bundles, tmp_path
):
    out = _mentor(tmp_path, "import", str(bundles[0]))
    out = _mentor(tmp_path, "import", str(bundles[1]))
    out = _mentor(tmp_path, "mentor", "overview")
    assert "ana" in out and "self-reported, not verified  FLAG" in out
    assert "pass (self-reported, not verified)" in _mentor(tmp_path, "mentor", "report")
    out = _mentor(tmp_path, "mentor", "regrade", "--all", "--task", "patchify", "--workers", "2")
    assert "regrading 2 lab run(s)" in out
    out = _mentor(tmp_path, "mentor", "overview")
    assert "ana                  lab-00: self-reported pass, verified: pass on patchify only" in out
    assert (
        "bob                  lab-00: self-reported pass, verified: fail on patchify only  MISMATCH"
        in out
    )
    report = _mentor(tmp_path, "mentor", "report", "--format", "md")
    assert "pass (verified: pass on patchify only)" in report
    assert "pass (verified: fail on patchify only)" in report
    doc = json.loads(_mentor(tmp_path, "mentor", "report", "--format", "json"))
    shown = {r["learner"]: r["lab-00_verification"] for r in doc["learners"]}
    assert shown == {
        "ana": "verified: pass on patchify only",
        "bob": "verified: fail on patchify only",
    }
    assert "verified: fail" in _mentor(tmp_path, "mentor", "report", "--format", "csv")
    timeline = _mentor(tmp_path, "mentor", "timeline", "bob")
    assert "check.verified" in timeline and "status=fail" in timeline
    store = Store(tmp_path / "mentor.db")
    from harness.cohort.evidence import store_flags

    assert store_flags(store)["bob"] == ["lab-00 pass: verified: fail on patchify only"]
    rows = store.conn.execute(
        "SELECT learner, status, mentor, harness_version, isolation, heldout_seed "
        "FROM verified_runs ORDER BY learner"
    ).fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [("ana", "pass", "mia"), ("bob", "fail", "mia")]
    assert all(r[3] and r[4] in ("bwrap", "none") and r[5] is not None for r in rows)
    pairs = store.conn.execute("SELECT learner_a, learner_b FROM cohort_similarity").fetchall()
    assert pairs == []  # an independent alternative and a one-bug file: nobody copied
    kinds = [e["kind"] for e in store.events("bob")]
    assert "check.verified" in kinds
    store.close()


def test_regrade_equals_a_direct_check_of_the_same_code_with_the_same_seed(
    chapter, bundles, tmp_path
):
    from harness.grading.checks import run_checks

    mentor = Store.memory()
    for path in bundles:
        from harness.cohort.records import read_bundle

        import_bundle(mentor, chapter, read_bundle(path), learners_root=tmp_path / "m")
    jobs = rg.pending(mentor, chapter, task="patchify")
    results = {r["run_id"]: r for r in rg.regrade(mentor, chapter, jobs, mentor="mia")}
    for job in jobs:
        folder = tmp_path / "direct" / job.learner / "lab-00"
        folder.mkdir(parents=True)
        (folder / "tiny_vit.py").write_bytes(job.files["tiny_vit.py"])
        direct = run_checks(
            chapter, "lab-00", folder=folder, task="patchify", heldout_seed=job.heldout_seed
        )
        got = results[job.run_id]
        assert got["status"] == direct.status
        assert [(r["name"], r["status"]) for r in got["results"]] == [
            (r.name, r.status) for r in direct.results
        ]
    mentor.close()


def test_the_dask_path_gives_the_same_verdicts_on_a_local_cluster(bundles, tmp_path):
    """`--scheduler tcp://…` end to end: a LocalCluster on loopback, its workers grading in
    their own processes, this process writing every record."""
    distributed = pytest.importorskip("distributed", reason="dask[distributed] is in .[dev]")
    for path in bundles:
        _mentor(tmp_path, "import", str(path))
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:  # fmt: skip
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        out = _mentor(
            tmp_path, "mentor", "regrade", "--all", "--task", "patchify", "--scheduler", address
        )
    assert f"regrading 2 lab run(s) on Dask at {address}" in out
    mentor = Store(tmp_path / "mentor.db")
    verdicts = rg.verdicts(mentor)
    assert verdicts[("ana", "lab-00")]["shown"] == "verified: pass on patchify only"
    assert verdicts[("bob", "lab-00")]["shown"] == "verified: fail on patchify only"
    assert verdicts[("bob", "lab-00")]["mismatch"]
    mentor.close()


def test_regrade_of_real_bundles_equals_the_learners_harness_check(tmp_path):
    """The learners' own `harness check` keeps the code it graded; their exported bundles,
    regraded with `harness mentor regrade --all`, give the same result check by check."""
    for name, code, ok in (("ana", CORRECT, True), ("bob", BROKEN, False)):
        env = {
            "HARNESS_DB": str(tmp_path / name / "progress.db"),
            "HARNESS_LEARNERS": str(tmp_path / name / "learners"),
        }
        runner = CliRunner()
        assert runner.invoke(main, ["learner", "add", name], env=env).exit_code == 0
        (
            tmp_path / name / "learners" / name / "extension-X2" / "lab-00" / "tiny_vit.py"
        ).write_bytes(code)
        checked = runner.invoke(
            main, ["check", "lab-00", "--task", "patchify", "--learner", name], env=env
        )
        assert checked.exit_code == (0 if ok else 1), checked.output
        out = tmp_path / f"{name}.json"
        exported = runner.invoke(main, ["export", "--learner", name, "--out", str(out)], env=env)
        assert exported.exit_code == 0, exported.output
    _mentor(tmp_path, "import", str(tmp_path / "ana.json"))
    _mentor(tmp_path, "import", str(tmp_path / "bob.json"))
    out = _mentor(tmp_path, "mentor", "regrade", "--all")
    assert "regrading 2 lab run(s)" in out
    mentor = Store(tmp_path / "mentor.db")
    for name in ("ana", "bob"):
        learner = Store(tmp_path / name / "progress.db")
        run = learner.conn.execute("SELECT id, status FROM check_runs").fetchone()
        direct = [(r["name"], r["status"]) for r in learner.check_results(run[0])]
        status, results = mentor.conn.execute(
            "SELECT status, results FROM verified_runs WHERE learner = ?", (name,)
        ).fetchone()
        assert status == run[1]
        assert [(r["name"], r["status"]) for r in json.loads(results)] == direct
        learner.close()
    mentor.close()


def test_copies_between_learners_and_of_the_reference_are_flagged(chapter, tmp_path):
    """Measured on the mentor's machine from the kept code: carl hands in ana's file, dora
    the reference's own functions (nn.py holds them)."""
    mentor = Store.memory()
    for name, code in (
        ("ana", CORRECT),
        ("carl", CORRECT),
        ("dora", (LAB / "nn.py").read_bytes()),
    ):
        mentor.add_learner(name)
        run = mentor.record_check_run(
            learner=name, lab_id="lab-00", impl="learner", task=None, status="pass", results=[]
        )
        record(mentor, run, {"tiny_vit.py": code})
    flagged = rg.cohort_similarity(mentor, chapter)
    pairs = {(f["learner_a"], f["learner_b"], f["task"]) for f in flagged}
    assert ("ana", "carl", "patchify") in pairs
    assert ("dora", rg.REFERENCE, "patchify") in pairs
    assert not any("ana" in p and "dora" in p for p in pairs)
    flags = dict(rg.verification_flags(mentor))
    assert "similar code to (reference): lab-00" in flags["dora"]
    mentor.close()
