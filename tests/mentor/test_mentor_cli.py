"""`harness mentor ...`, `harness export` and `harness import` through the real entry point."""

from __future__ import annotations

import json
import shutil

import click
import pytest
from click.testing import CliRunner

from harness.cli import load_all_commands, main
from harness.store import Store


@pytest.fixture(scope="module")
def template(tmp_path_factory, busy_learner):
    """Built once per module (a file database is slow to fill), copied for each test."""
    root = tmp_path_factory.mktemp("template")
    seed = Store(root / "progress.db")
    busy_learner(seed, "ana", root)
    seed.add_learner("bo")
    seed.close()  # the last close checkpoints the WAL into the file
    return root


@pytest.fixture
def cli(tmp_path, monkeypatch, template):
    """Run `harness` on a learner database; `cli.mentor(...)` runs it on the mentor's."""
    learners = tmp_path / "learners"
    shutil.copytree(template / "learners", learners)
    db = tmp_path / "progress.db"
    shutil.copyfile(template / "progress.db", db)
    monkeypatch.setenv("HARNESS_LEARNERS", str(learners))
    monkeypatch.delenv("HARNESS_LEARNER", raising=False)
    monkeypatch.delenv("HARNESS_MENTOR", raising=False)

    def run(*args: str, ok: bool = True, db_path=db, learners_root=learners):
        result = CliRunner().invoke(
            main,
            list(args),
            env={"HARNESS_DB": str(db_path), "HARNESS_LEARNERS": str(learners_root)},
        )
        if ok:
            assert result.exit_code == 0, result.output
        else:
            assert result.exit_code in (1, 2), result.output  # 2: click's usage errors
            assert result.exception is None or isinstance(result.exception, SystemExit)
        return result

    run.tmp = tmp_path
    run.mentor = lambda *a, **kw: run(
        *a, db_path=tmp_path / "mentor.db", learners_root=tmp_path / "mentor-learners", **kw
    )
    return run


def test_mentor_alone_shows_the_overview(cli):
    out = cli("mentor").output
    assert out == cli("mentor", "overview").output
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["learner", "read", "next", "DoD"]
    assert lines[1].startswith("ana") and "100%" in lines[1]
    assert (
        "1/5 pass (self-reported, not verified) accuracy=0.91" in lines[1]
    )  # tasks passing, the last full check, the metric
    assert lines[2].startswith("bo") and "theory-00" in lines[2]


def test_timeline_lists_a_learners_events(cli):
    out = cli("mentor", "timeline", "ana").output
    assert "learner.added" in out and "page.completed" in out and "item=theory-01" in out
    assert len(cli("mentor", "timeline", "ana", "--limit", "2").output.splitlines()) == 2
    assert "unknown learner 'zoe'" in cli("mentor", "timeline", "zoe", ok=False).output


def test_questions_say_where_their_numbers_come_from(cli):
    out = cli("mentor", "questions").output
    note, head, *rows = out.splitlines()
    assert note.startswith("Quiz X2: ")
    if "question_stats)" in note:  # the quiz engine and its bank are there
        assert head.split()[:3] == ["question_id", "outcome", "answered"] and rows
    else:
        assert "answered only" in note and head.split() == ["question", "answered", "learners"]


def test_feedback_reaches_the_learners_status(cli):
    out = cli(
        "mentor",
        "feedback",
        "bo",
        "--on",
        "reflection:fusion",
        "--text",
        "Why late?",
        "--mentor",
        "mia",
    ).output
    assert "feedback for bo on reflection:fusion saved (by mia)" in out
    status = cli("status", "--learner", "bo").output
    assert "mia on reflection:fusion: Why late?" in status


def test_feedback_on_an_unknown_target_names_the_known_ones(cli):
    out = cli("mentor", "feedback", "bo", "--on", "lab-9", "--text", "x", ok=False).output
    assert "unknown target 'lab-9'; known: lab-00, lab-01, lab-02, reflection:fusion" in out
    assert cli("mentor", "feedback", "bo", "--on", "lab-00", "--text", "  ", ok=False)


@pytest.mark.parametrize("fmt", ["md", "csv", "json", "html"])
def test_report_writes_each_format(cli, fmt):
    out = cli.tmp / f"cohort.{fmt}"
    assert (
        f"wrote {fmt} report" in cli("mentor", "report", "--format", fmt, "--out", str(out)).output
    )
    text = out.read_text(encoding="utf-8")
    assert "ana" in text and "bo" in text
    assert cli("mentor", "report", "--format", fmt).output == text


def test_export_then_import_twice(cli):
    bundle = cli.tmp / "ana.json"
    out = cli("export", "--learner", "ana", "--out", str(bundle)).output
    assert "exported ana:" in out and "1 manifest(s)" in out
    first = cli.mentor("import", str(bundle)).output
    assert "imported ana" in first and "events +" in first and "wrote ana/extension-X2/" in first
    assert "nothing new" in cli.mentor("import", str(bundle)).output
    assert "ana" in cli.mentor("mentor").output
    assert "learner: ana" in cli.mentor("status", "--learner", "ana").output


def test_import_refuses_a_changed_file_and_says_where(cli):
    bundle = cli.tmp / "ana.json"
    cli("export", "--learner", "ana", "--out", str(bundle))
    doc = json.loads(bundle.read_text(encoding="utf-8"))
    doc["events"][1]["at"] = "2020-01-01T00:00:00+00:00"
    bundle.write_text(json.dumps(doc), encoding="utf-8")
    out = cli.mentor("import", str(bundle), ok=False).output
    assert "refused: chain broken at event 1" in out and doc["events"][1]["hash"] in out
    assert "Traceback" not in out
    assert "no learners yet" in cli.mentor("mentor").output


def test_import_refuses_what_is_not_a_bundle(cli):
    junk = cli.tmp / "junk.json"
    junk.write_text("{not json", encoding="utf-8")
    assert "not a records bundle" in cli.mentor("import", str(junk), ok=False).output


def test_key_file_signs_and_checks(cli):
    key, other = cli.tmp / "key", cli.tmp / "other"
    key.write_text("s3cret\n")
    other.write_text("nope\n")
    bundle = cli.tmp / "ana.json"
    cli("export", "--learner", "ana", "--out", str(bundle), "--key-file", str(key))
    assert (
        "HMAC does not match"
        in cli.mentor("import", str(bundle), "--key-file", str(other), ok=False).output
    )
    assert "imported ana" in cli.mentor("import", str(bundle), "--key-file", str(key)).output


MINE = [
    ("mentor",),
    ("mentor", "overview"),
    ("mentor", "timeline"),
    ("mentor", "questions"),
    ("mentor", "feedback"),
    ("mentor", "report"),
    ("export",),
    ("import",),
]


@pytest.mark.parametrize("path", MINE, ids=[" ".join(p) for p in MINE])
def test_every_command_has_help(path):
    command: click.Command = load_all_commands()
    for part in path:
        command = command.commands[part]  # type: ignore[attr-defined]
    assert (command.help or "").strip()
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0 and "Usage: " in result.output


def test_mentor_views_answer_in_json(cli):
    doc = json.loads(cli("mentor", "overview", "--json").output)
    ana = doc["learners"][0]
    assert ana["learner"] == "ana" and ana["lab-00_tasks_passing"] == 1
    assert ana["lab-00_next_task"] == "layernorm" and ana["reflection_fusion_words"] == 8
    events = json.loads(cli("mentor", "timeline", "ana", "--limit", "1", "--json").output)
    assert events["learner"] == "ana" and len(events["events"]) == 1
    assert isinstance(events["events"][0]["payload"], dict)
    quiz = json.loads(cli("mentor", "questions", "--json").output)
    assert quiz["quiz"] == "X2" and quiz["questions"]
    error = cli("mentor", "timeline", "zoe", "--json", ok=False).output
    assert json.loads(error) == {"error": json.loads(error)["error"]}
    assert "unknown learner 'zoe'" in json.loads(error)["error"]
