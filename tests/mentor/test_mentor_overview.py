"""The cohort overview agrees with compute_status, and the reports carry what it shows."""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.cohort import views as mentor
from harness.progress import compute_status
from harness.store import CheckResult, Store

PAGES = ["theory-00", "theory-01", "theory-02", "theory-03", "theory-04"]
LABS = ["lab-00", "lab-01", "lab-02"]

action = st.one_of(
    st.tuples(st.just("page"), st.sampled_from(PAGES), st.sampled_from(["opened", "completed"])),
    st.tuples(
        st.just("check"),
        st.sampled_from(LABS),
        st.sampled_from(["pass", "fail"]),
        st.sampled_from([None, "patchify"]),
        st.sampled_from(["learner", "reference"]),
    ),
    st.tuples(st.just("quiz"), st.sampled_from([None, 0.0, 0.5, 0.8, 1.0])),
    st.tuples(
        st.just("reflect"),
        st.sampled_from(["fusion", "grammar-tutor", "other"]),
        st.sampled_from(["", "  ", "two words", "a longer answer here"]),
    ),
    st.tuples(
        st.just("run"),
        st.sampled_from(LABS),
        st.sampled_from([{}, {"accuracy": 0.5}, {"note": "x", "recall_at_1": 0.25}]),
    ),
    st.tuples(st.just("feedback"), st.sampled_from(LABS)),
)


def apply(store: Store, name: str, act: tuple) -> None:
    kind = act[0]
    if kind == "page":
        store.record_page(name, act[1], act[2])
    elif kind == "check":
        _, lab, status, task, impl = act
        store.record_check_run(
            learner=name,
            lab_id=lab,
            impl=impl,
            task=task,
            status=status,
            results=[CheckResult("t", task, status)],
        )
    elif kind == "quiz":
        attempt = store.start_quiz_attempt(name, "X2", seed=1, n_questions=5)
        if act[1] is None:
            store.finish_quiz_attempt(attempt, None, None, status="abandoned")
        else:
            store.finish_quiz_attempt(attempt, act[1], act[1] >= 0.8)
    elif kind == "reflect":
        store.save_reflection(name, act[1], act[2])
    elif kind == "run":
        store.record_run(
            learner=name,
            lab_id=act[1],
            impl="learner",
            run_dir="/tmp/r",
            seed=0,
            status="ok",
            metrics=act[2],
            started_at="2026-01-01T00:00:00+00:00",
            duration_s=1.0,
        )
    elif kind == "feedback":
        store.add_feedback(name, "mia", act[1], "looked at it")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cohort=st.lists(st.lists(action, max_size=12), min_size=1, max_size=3))
def test_overview_statuses_equal_compute_status(chapter, cohort):
    store = Store.memory()
    names = [f"l{i}" for i in range(len(cohort))]
    for name, actions in zip(names, cohort, strict=True):
        store.add_learner(name)
        for act in actions:
            apply(store, name, act)
    # A reference run with no learner must not leak into anyone's row.
    store.record_run(
        learner=None,
        lab_id="lab-00",
        impl="reference",
        run_dir="/tmp/ref",
        seed=0,
        status="ok",
        metrics={"accuracy": 1.0},
        started_at="2026-01-01T00:00:00+00:00",
        duration_s=1.0,
    )
    got = mentor.cohort_statuses(store, chapter)
    assert list(got) == sorted(names)
    for name in names:
        assert got[name] == compute_status(store, chapter, name)
    store.close()


@pytest.fixture
def cohort(store, busy_learner, tmp_path):
    busy_learner(store, "ana", tmp_path)
    store.add_learner("bo")
    store.record_page("bo", "theory-00", "completed")
    return store


def test_rows_show_labs_quiz_reflections_and_activity(cohort, chapter):
    rows = {r.name: r for r in mentor.overview(cohort, chapter)}
    ana, bo = rows["ana"], rows["bo"]
    lab00 = ana.labs[0]
    assert (lab00.status, lab00.passed, lab00.metric_name, lab00.metric_value) == (
        "pass",
        2,
        "accuracy",
        0.91,
    )
    assert ana.labs[1].status is None  # only a task run, not a full check
    assert ana.status.quiz_best == 1.0 and ana.status.quiz_attempts == 2
    assert ana.reflection_words == {"fusion": 8, "whisper-attention": 0, "grammar-tutor": 0}
    assert "fusion 8w" in mentor.table_cells(ana, chapter)[-3]
    own = [e for e in cohort.events("ana") if e["kind"] != "feedback.added"]
    assert ana.last_activity == own[-1]["at"]
    assert (bo.items_done, bo.next_item, bo.status.quiz_attempts) == (1, "theory-01", 0)
    assert mentor.table_cells(ana, chapter)[4] == (
        "pass (self-reported, not verified) accuracy=0.91"
    )


def test_a_mentors_feedback_is_not_the_learners_activity(store, chapter):
    """Issue 15, bug 8: feedback lands in the learner's event log, but they did nothing."""
    store.add_learner("cy")
    store.record_page("cy", "theory-00", "completed")
    learner_at = store.events("cy")[-1]["at"]
    store.add_feedback("cy", "mia", "lab-00", "Start lab-00 when you are ready.")
    assert store.events("cy")[-1]["kind"] == "feedback.added"
    assert mentor.overview(store, chapter)[0].last_activity == learner_at
    store.save_reflection("cy", "fusion", "one")
    assert mentor.overview(store, chapter)[0].last_activity == store.events("cy")[-1]["at"]


def test_reflections_count_words_as_the_learner_sees_them(store, chapter):
    store.add_learner("cy")
    store.save_reflection("cy", "fusion", "  Late   fusion\nkeeps encoders apart.  ")
    store.save_reflection("cy", "grammar-tutor", "Yes.")
    row = mentor.overview(store, chapter)[0]
    assert row.reflection_words == {"fusion": 5, "whisper-attention": 0, "grammar-tutor": 1}
    details = {e.label: e.detail for e in row.status.dod}
    assert details["reflection: fusion"].startswith("5 words")
    assert details["reflection: grammar-tutor"].startswith("1 word")
    assert "1 words" not in details["reflection: grammar-tutor"]
    assert row.flat()["reflection_fusion_words"] == 5


def test_a_cancelled_check_is_not_a_result(store, chapter):
    store.add_learner("cy")
    for status in ("pass", "cancelled"):
        store.record_check_run(
            learner="cy", lab_id="lab-00", impl="learner", task=None, status=status, results=[]
        )
    assert mentor.overview(store, chapter)[0].labs[0].status == "pass"


@pytest.mark.parametrize(
    "metrics, shown",
    [
        ('{"note": "x", "recall_at_1": 0.25, "loss": 1}', ("recall_at_1", 0.25)),
        ('{"ok": true, "steps": 300}', ("steps", 300.0)),
        ('{"ok": true}', (None, None)),
        ("not json", (None, None)),
        (None, (None, None)),
    ],
)
def test_key_metric_is_the_first_number_the_experiment_wrote(store, chapter, metrics, shown):
    store.add_learner("cy")
    store.conn.execute(
        "INSERT INTO runs (learner, lab_id, impl, run_dir, seed, status, metrics,"
        " started_at) VALUES ('cy', 'lab-01', 'learner', '/r', 0, 'ok', ?, 'x')",
        (metrics,),
    )
    cell = mentor.overview(store, chapter)[0].labs[1]
    assert (cell.metric_name, cell.metric_value) == shown


@pytest.mark.parametrize("fmt", mentor.REPORT_FORMATS)
def test_every_report_format_names_every_learner(cohort, chapter, fmt):
    text = mentor.report(cohort, chapter, fmt)
    assert "ana" in text and "bo" in text


def test_csv_and_json_reports_parse_back(cohort, chapter):
    rows = list(csv.DictReader(io.StringIO(mentor.report(cohort, chapter, "csv"))))
    assert [r["learner"] for r in rows] == ["ana", "bo"]
    assert rows[0]["lab-00_value"] == "0.91" and rows[0]["quiz_attempts"] == "2"
    doc = json.loads(mentor.report(cohort, chapter, "json"))
    assert doc["learners"][0]["quiz_best"] == 1.0 and doc["learners"][1]["lab-00_status"] is None


def test_html_report_escapes_what_learners_wrote(store, chapter):
    store.add_learner("eve")
    store.record_run(
        learner="eve",
        lab_id="lab-00",
        impl="learner",
        run_dir="/tmp/r",
        seed=0,
        status="ok",
        metrics={"<script>": 1.0},
        started_at="2026-01-01T00:00:00+00:00",
        duration_s=1.0,
    )
    text = mentor.report(store, chapter, "html")
    # The page's own two scripts (its data and its code), and the learner's text only as data.
    assert text.count("<script") == 2
    assert '"\\u003cscript>"' in text


def test_unknown_report_format_names_the_known_ones(store, chapter):
    with pytest.raises(ValueError, match="unknown report format 'pdf'; known: md, csv"):
        mentor.report(store, chapter, "pdf")


def test_timeline_decodes_payloads(cohort):
    events = mentor.timeline(cohort, "bo")
    assert [e["kind"] for e in events] == ["learner.added", "page.completed"]
    assert mentor.describe_event(events[1]) == "item=theory-00"
    with pytest.raises(KeyError, match="unknown learner 'nobody'"):
        mentor.timeline(cohort, "nobody")


def test_question_report_says_when_the_quiz_engine_is_missing(cohort, chapter, monkeypatch):
    monkeypatch.setitem(sys.modules, "harness.learning.quiz", None)
    rep = mentor.question_report(cohort, chapter)
    assert "not available" in rep.note and "answered only" in rep.note
    assert {r["question"]: r["answered"] for r in rep.rows} == {"q-fusion-2": 2, "q-vit-1": 2}


def test_question_report_says_when_the_bank_is_missing(cohort, chapter, tmp_path):
    rep = mentor.question_report(cohort, replace(chapter, quiz_bank=tmp_path / "none.yaml"))
    assert "cannot be loaded" in rep.note and rep.columns == ["question", "answered", "learners"]


def test_question_report_uses_question_stats_when_there(cohort, chapter, monkeypatch):
    quiz = pytest.importorskip("harness.learning.quiz")
    monkeypatch.setattr(quiz, "load_bank", lambda path: "bank")
    monkeypatch.setattr(
        quiz, "question_stats", lambda store, bank: [{"question_id": "q-vit-1", "difficulty": 1.0}]
    )
    rep = mentor.question_report(cohort, chapter)
    assert "question_stats" in rep.note and rep.rows[0]["difficulty"] == 1.0
