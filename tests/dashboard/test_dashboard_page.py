"""The dashboard's page without a browser: one offline file, and what it says about the
fixture cohort (tests/dashboard/fixture_cohort.py)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from fixture_cohort import FORGED, NEEDS_WORK

from harness.cohort import dashboard
from harness.paths import REPO_ROOT
from harness.store import Store


def _data(html: str) -> dict:
    text = re.search(r'id="dashboard-data">(.*?)</script>', html, re.S).group(1)
    return json.loads(text)


def test_the_page_asks_for_nothing_outside_itself(page_file):
    html = page_file.read_text(encoding="utf-8")
    assert "default-src 'none'" in html  # the browser refuses any fetch, should one slip in
    links = re.findall(r'\b(?:src|href|action|srcset|poster)\s*=\s*"([^"]*)"', html)
    assert all(link.startswith(("#", "data:")) for link in links), links
    assert not re.search(r"url\(\s*['\"]?(?!data:|#)", html)  # CSS reaches out with url()
    outside = set(re.findall(r"https?://[^\s\"'<>)]+", html))
    assert outside <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, outside
    assert html.count("<script") == 2 and "<link" not in html and "<iframe" not in html


def test_the_page_names_chapter_date_version_and_pass_mark(page_file):
    html = page_file.read_text(encoding="utf-8")
    for text in ("X2 — Multi-modal Models", "2026-11-30 10:00 UTC", "0.1.0", "80%"):
        assert text in html


def test_a_forged_result_is_self_reported_only(board, page_file):
    assert [(u.learner, u.lab_id, u.status) for u in board.unbacked] == [(FORGED, "lab-00", "pass")]
    html = page_file.read_text(encoding="utf-8")
    assert 'id="evidence"' in html and "Self-reported only" in html
    cleo = next(r for r in _data(html)["learners"] if r["cells"][0] == FORGED)
    assert any("self-reported only" in f for f in cleo["cells"][-1])
    # Her lab-00 task cells come from the forged row: "s", not a pass.
    assert "s" in cleo["cells"] and "p" not in cleo["cells"][9:14]


def test_sections_appear_only_with_their_data(board):
    html = dashboard.render(board)
    assert "Confined check runs" not in html and "Copy similarity" not in html
    assert "how failing checks ended" not in html  # no check recorded a failure kind
    assert "hints" not in html.lower()


def test_isolation_and_similarity_appear_when_recorded(chapter, tmp_path):
    store = Store.memory()
    store.add_learner("ana")
    run = store.conn.execute(
        "INSERT INTO check_runs (learner, lab_id, impl, task, status, passed, failed, "
        "started_at, duration_s, isolation, heldout_seed) VALUES ('ana', 'lab-00', 'learner', "
        "NULL, 'pass', 5, 0, '2026-11-30T10:00:00+00:00', 1, 'bubblewrap', 1234)"
    ).lastrowid
    store.conn.executemany(
        "INSERT INTO check_similarity (run_id, task, similarity) VALUES (?, ?, ?)",
        [(run, "patchify", 0.97), (run, "block", 0.4)],
    )
    html = dashboard.render(dashboard.build(store, chapter))
    assert "Confined check runs" in html and "bubblewrap" in html
    assert "Copy similarity" in html and "97%" in html and "40%" not in html
    data = _data(html)
    ana = data["learners"][0]
    assert data["anyConfined"] and ana["labs"][0][6] == "pass, bubblewrap, held-out seed"
    assert ana["cells"][-1] == [
        "self-reported only: lab-00 pass has no event in the log",
        "similar code: lab-00 patchify 97%",
    ]


def test_reflections_in_words_with_their_prompt_and_feedback(page_file, chapter):
    data = _data(page_file.read_text(encoding="utf-8"))
    dev = next(r for r in data["learners"] if r["cells"][0] == "dev")
    fusion = [c["key"] for c in data["columns"]].index("r:fusion")
    assert dev["cells"][fusion] == 5  # "It depends on the task."
    assert data["prompts"]["fusion"] == chapter.reflections[0].text
    assert [f[3] for f in dev["feedback"] if f[2] == "reflection:fusion"] == [NEEDS_WORK]
    assert dev["marks"]["fusion"][0] == "needs_work"


def test_the_quiz_flags_the_three_kinds_of_question(board):
    flags = {i.question_id: i.flag for i in board.items if i.flag}
    assert flags["patchify-tokens-224-16"] == "everyone right"
    assert flags["vit-class-token"] == "everyone wrong"
    assert flags["clip-pairs"] == "negative discrimination"


def test_item_statistics_agree_with_the_quiz_engine(fixture_store, board, chapter):
    from harness.learning.quiz import load_bank, question_stats

    engine = {s.question_id: s for s in question_stats(fixture_store, load_bank(chapter.quiz_bank))}
    for item in board.items:
        ref = engine[item.question_id]
        assert (item.answered, item.difficulty) == (ref.answered, ref.difficulty)
        if item.discrimination is None:
            assert ref.discrimination is None
        else:
            assert abs(item.discrimination - ref.discrimination) < 1e-12


def test_where_learners_get_stuck(board):
    by_task = {(t.lab_id, t.task_id): t for t in board.tasks}
    attention = by_task["lab-00", "attention"]
    # ada, cleo (her forged row counts as a try: it is in the table), dev pass; ben does not.
    assert (attention.tried, attention.passing, attention.stuck) == (4, 3, 1)
    layernorm = by_task["lab-00", "layernorm"]
    assert layernorm.median_tries_to_pass == 1.5  # ada at once; ben on his second try
    assert by_task["lab-02", "frames"].tried == 1


def test_the_dashboard_never_imports_textual():
    code = "import harness.cohort.dashboard, json, sys; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert "textual" not in set(json.loads(out.stdout))


def test_the_cli_writes_the_page(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from harness.cli import main

    db = tmp_path / "p.db"
    runner = CliRunner()
    env = {"HARNESS_DB": str(db), "HARNESS_LEARNERS": str(tmp_path / "learners")}
    assert runner.invoke(main, ["learner", "add", "ana"], env=env).exit_code == 0
    out = tmp_path / "board.html"
    result = runner.invoke(main, ["mentor", "dashboard", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert f"wrote the dashboard of 1 learner(s) to {out}" in result.output
    assert _data(out.read_text(encoding="utf-8"))["learners"][0]["cells"][0] == "ana"
    report = runner.invoke(main, ["mentor", "report", "--format", "html"], env=env)
    assert report.output.startswith("<!doctype html>")


def test_mastery_agrees_with_the_learning_model(board, chapter):
    """Same evidence, same posterior as harness.learning.mastery; only the gathering differs.
    The learning model keeps running counts in the store, so it gets a store of its own."""
    from fixture_cohort import build_fixture_cohort

    from harness.learning import mastery
    from harness.learning.quiz import load_bank

    store = Store.memory()
    build_fixture_cohort(store, chapter)
    engine = mastery.cohort_mastery(store, chapter, load_bank(chapter.quiz_bank))
    assert list(board.mastery) == list(engine)
    for learner, rows in engine.items():
        for ours, theirs in zip(board.mastery[learner], rows, strict=True):
            assert (ours.outcome, ours.successes, ours.trials, ours.by_source) == (
                theirs.outcome,
                theirs.successes,
                theirs.trials,
                theirs.by_source,
            ), learner
            assert (ours.mean, ours.low, ours.high) == (theirs.mean, theirs.low, theirs.high)
    assert any(m.trials for rows in board.mastery.values() for m in rows)


def test_the_mastery_section_appears_with_evidence(page_file):
    html = page_file.read_text(encoding="utf-8")
    assert 'id="mastery"' in html and "Mastery across the cohort" in html


def test_the_cli_opens_the_page_when_asked(tmp_path, monkeypatch):
    import webbrowser

    from click.testing import CliRunner

    from harness.cli import main

    opened = []
    monkeypatch.setattr(webbrowser, "open", lambda url: opened.append(url) or True)
    env = {"HARNESS_DB": str(tmp_path / "p.db"), "HARNESS_LEARNERS": str(tmp_path / "l")}
    out = tmp_path / "board.html"
    result = CliRunner().invoke(main, ["mentor", "dashboard", "--out", str(out), "--open"], env=env)
    assert result.exit_code == 0, result.output
    assert opened == [out.resolve().as_uri()]


@pytest.mark.slow
def test_a_thousand_learners_fit_in_five_megabytes(chapter):
    """Size, not time (the time is bench/dashboard.py's): 1,000 learners x 50 events."""
    sys.path.insert(0, str(REPO_ROOT / "bench"))
    from dashboard import build as synthetic  # bench/dashboard.py

    store = Store.memory()
    synthetic(store, 1000)
    page = dashboard.render(dashboard.build(store, chapter))
    assert len(page.encode("utf-8")) < 5_000_000
    assert page.count('"cells":') == 1000


def test_how_failing_checks_ended_appears_when_recorded(chapter):
    from harness.store import CheckResult

    store = Store.memory()
    store.add_learner("ana")
    for kind in ("timeout", "timeout", "raised"):
        store.record_check_run(
            learner="ana",
            lab_id="lab-00",
            impl="learner",
            task="attention",
            status="fail",
            results=[CheckResult("t_attention", "attention", "fail", "", 0.0, kind)],
        )
    board = dashboard.build(store, chapter)
    attention = next(t for t in board.tasks if t.task_id == "attention")
    assert attention.failure_kinds == (("timeout", 2), ("raised", 1))
    html = dashboard.render(board)
    assert "how failing checks ended" in html and "timeout ×2, raised ×1" in html


def test_a_timeout_after_a_pass_is_not_passing_now(chapter):
    """As the learner's own status says: the latest real run decides, even without results."""
    from harness.store import CheckResult

    store = Store.memory()
    store.add_learner("ana")
    store.record_check_run(
        learner="ana", lab_id="lab-00", impl="learner", task="patchify", status="pass",
        results=[CheckResult("t_patchify", "patchify", "pass")],
    )  # fmt: skip
    store.record_check_run(
        learner="ana", lab_id="lab-00", impl="learner", task="patchify", status="timeout",
        results=[],
    )  # fmt: skip
    board = dashboard.build(store, chapter)
    patchify = next(t for t in board.tasks if t.task_id == "patchify")
    assert (patchify.tried, patchify.passing, patchify.stuck) == (1, 0, 1)
    assert patchify.median_tries_to_pass == 1  # it did pass once, at the first try


def test_hints_taken_appear_when_recorded(chapter):
    store = Store.memory()
    for name, levels in (("ana", 2), ("bo", 1)):
        store.add_learner(name)
        for level in range(1, levels + 1):
            store.record_hint(name, "lab-00", "attention", level)
    board = dashboard.build(store, chapter)
    attention = next(t for t in board.tasks if t.task_id == "attention")
    assert (attention.hinted, attention.mean_hints) == (2, 1.5)
    html = dashboard.render(board)
    assert "learners who took hints" in html and "<td>1.5</td>" in html


def test_regraded_results_and_similar_pairs_appear_once_a_regrade_ran(chapter):
    from harness.store import CheckResult

    store = Store.memory()
    for name in ("ana", "bo"):
        store.add_learner(name)
        store.record_check_run(
            learner=name, lab_id="lab-00", impl="learner", task=None, status="pass",
            results=[CheckResult("t_patchify", "patchify", "pass")],
        )  # fmt: skip
    run = store.conn.execute("SELECT MAX(id) FROM check_runs WHERE learner = 'ana'").fetchone()[0]
    store.conn.execute(
        "INSERT INTO verified_runs (run_id, learner, lab_id, task, snapshot, status, passed, "
        "failed, results, message, mentor, at, harness_version, isolation, heldout_seed) "
        "VALUES (?, 'ana', 'lab-00', NULL, 'x', 'fail', 0, 1, '[]', '', 'mia', "
        "'2026-11-30T11:00:00+00:00', '0.1.0', 'bubblewrap', 7)",
        (run,),
    )
    store.conn.execute(
        "INSERT INTO cohort_similarity VALUES ('lab-00', 'patchify', 'ana', 'bo', 0.96, "
        "'2026-11-30T11:00:00+00:00')"
    )
    html = dashboard.render(dashboard.build(store, chapter))
    assert "Regraded results" in html and "verified: fail — mismatch" in html
    assert "self-reported, not verified" in html  # bo's pass nobody regraded
    assert "Similar code between learners" in html and "96%" in html
    flags = {r["cells"][0]: r["cells"][-1] for r in _data(html)["learners"]}
    assert any("verified: fail" in f for f in flags["ana"])
    assert any("similar code to ana" in f for f in flags["bo"])
