"""Lab screen: checks and training runs in a thread worker, with the real modules replaced
by fakes that follow their signatures (the real ones run pytest or train a model)."""

from __future__ import annotations

import sys
import threading

import pytest
from textual.widgets import DataTable, Log, ProgressBar, Static

from harness.store import CheckResult
from harness.tui.screens.lab import LabScreen
from harness.tui.widgets.metric_plot import MetricPlot

from .conftest import LEARNER

pytestmark = pytest.mark.anyio


def text(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def wait_idle(app, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


@pytest.fixture
def fake_checks(monkeypatch):
    """Replace run_checks; record calls; fail one test of task 'patchify'."""
    import harness.grading.checks as checks

    calls = []

    def run_checks(
        chapter,
        lab_id,
        *,
        learner=None,
        reference=False,
        task=None,
        store=None,
        on_output=None,
        cancel=None,
        timeout_s=None,
    ):
        calls.append(dict(lab_id=lab_id, learner=learner, reference=reference, task=task))
        for line in ("collected 2 items", "test_shapes PASSED", "test_values FAILED"):
            on_output(line)
        results = [
            CheckResult("test_shapes", "patchify", "pass", "", 0.01),
            CheckResult(
                "test_values",
                "patchify",
                "fail",
                "patches[0, 0] = 0.5, expected 0.25 (atol 1e-6)",
                0.02,
            ),
        ]
        impl = "reference" if reference else "learner"
        run_id = store.record_check_run(
            learner=learner,
            lab_id=lab_id,
            impl=impl,
            task=task,
            status="fail",
            results=results,
            message="1 failed",
        )
        return checks.CheckOutcome(
            lab_id, impl, task, "fail", results, "1 failed", "", 0.5, None, run_id
        )

    monkeypatch.setattr(checks, "run_checks", run_checks)
    return calls


async def test_checks_stream_output_and_fill_the_results_table(make, fake_checks, store):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/check lab-00")
        await wait_idle(app, pilot)
        screen = app.screen
        assert isinstance(screen, LabScreen)
        assert fake_checks == [dict(lab_id="lab-00", learner=LEARNER, reference=False, task=None)]
        assert list(screen.query_one("#check-log", Log).lines) == [
            "collected 2 items",
            "test_shapes PASSED",
            "test_values FAILED",
        ]
        table = screen.query_one("#results", DataTable)
        assert table.row_count == 2
        assert [str(c) for c in table.get_row_at(1)[:3]] == ["✗ fail", "patchify", "test_values"]
        assert "fail — 1 passed, 1 failed" in text(screen, "#check-summary")
        assert "expected 0.25" in text(screen, "#detail")  # the failing row, in full
        assert store.last_check_run(LEARNER, "lab-00")["status"] == "fail"
        assert not screen.query_one("#check-mine").disabled  # buttons back after the run


async def test_check_one_task_against_the_reference(make, fake_checks):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/check lab-00 patchify --reference")
        await wait_idle(app, pilot)
        assert fake_checks[-1] == dict(
            lab_id="lab-00", learner=LEARNER, reference=True, task="patchify"
        )


async def test_the_keys_run_checks_and_the_last_run_shows_on_reopening(make, fake_checks):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/lab lab-00")
        await pilot.pause()
        await pilot.press("c")
        await wait_idle(app, pilot)
        await pilot.press("R")
        await wait_idle(app, pilot)
        assert [call["reference"] for call in fake_checks] == [False, True]
        await pilot.press("escape")
        app.run_command_line("/lab lab-00")
        await pilot.pause()
        assert "last check (learner, all tasks): fail" in text(app.screen, "#check-summary")
        assert app.screen.query_one("#results", DataTable).row_count == 2


async def test_a_crashing_runner_is_reported_not_raised(make, monkeypatch):
    import harness.grading.checks as checks

    def broken(*args, **kwargs):
        raise FileNotFoundError("learners/ana/extension-X2/lab-00/tiny_vit.py does not exist")

    monkeypatch.setattr(checks, "run_checks", broken)
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/check lab-00")
        await wait_idle(app, pilot)
        assert "could not run the checks" in text(app.screen, "#check-summary")
        assert "tiny_vit.py does not exist" in text(app.screen, "#check-summary")


async def test_missing_modules_say_not_yet_available(make, monkeypatch):
    monkeypatch.setitem(sys.modules, "harness.grading.checks", None)
    monkeypatch.setitem(sys.modules, "harness.grading.runs", None)
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/check lab-00")
        await wait_idle(app, pilot)
        assert "not yet available" in text(app.screen, "#check-summary")
        app.run_command_line("/run lab-00")
        await wait_idle(app, pilot)
        assert "not yet available" in text(app.screen, "#run-status")


async def test_cancel_sets_the_event_the_runner_watches(make, monkeypatch):
    import harness.grading.checks as checks

    started = threading.Event()

    def slow(chapter, lab_id, *, cancel=None, on_output=None, **kwargs):
        started.set()
        assert cancel.wait(10), "the TUI never cancelled"
        on_output("cancelled by the learner")
        return checks.CheckOutcome(
            lab_id,
            "learner",
            None,
            "cancelled",
            [],
            "the check run was cancelled",
            "",
            0.1,
            None,
            None,
        )

    monkeypatch.setattr(checks, "run_checks", slow)
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/check lab-00")
        await pilot.pause()
        assert started.wait(5)
        assert not app.screen.query_one("#cancel").disabled
        await pilot.press("x")
        await wait_idle(app, pilot)
        assert "cancelled" in text(app.screen, "#check-summary")
        assert app.screen.query_one("#cancel").disabled


@pytest.fixture
def fake_runs(monkeypatch, tmp_path):
    import harness.grading.runs as runs

    def run_lab(
        chapter,
        lab_id,
        *,
        learner=None,
        reference=False,
        seed=0,
        store=None,
        on_progress=None,
        on_output=None,
        cancel=None,
        **kwargs,
    ):
        run_dir = tmp_path / "experiments" / lab_id / "run-1"
        run_dir.mkdir(parents=True)
        (run_dir / "loss.png").write_bytes(b"png")
        on_output("training on 800 icons")
        for step, (loss, acc) in enumerate([(2.3, 0.1), (1.2, 0.5), (0.4, 0.9)], start=1):
            on_progress(
                {
                    "step": step * 10,
                    "loss": loss,
                    "eval_acc": acc,
                    "elapsed_s": step * 1.0,
                    "budget_s": 30.0,
                }
            )
        metrics = {"eval_acc": 0.9, "final_loss": 0.4}
        store.record_run(
            learner=learner,
            lab_id=lab_id,
            impl="learner",
            run_dir=str(run_dir),
            seed=seed,
            status="ok",
            metrics=metrics,
            started_at="t",
            duration_s=3.0,
        )
        return runs.RunOutcome(run_dir, "ok", metrics, "finished", 3.0)

    monkeypatch.setattr(runs, "run_lab", run_lab)


async def test_a_training_run_plots_loss_and_accuracy_live(make, fake_runs):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/run lab-00")
        await wait_idle(app, pilot)
        screen = app.screen
        plot = screen.query_one("#run-plot", MetricPlot)
        assert plot.values == {"loss": [2.3, 1.2, 0.4], "acc": [0.1, 0.5, 0.9]}
        bar = screen.query_one("#run-progress", ProgressBar)
        assert bar.total == 30.0
        assert "run ok in 3s" in text(screen, "#run-status")
        last = text(screen, "#last-run")
        assert "last run: ok" in last and "eval_acc 0.9 · final_loss 0.4" in last
        assert "loss.png" in last
        assert list(screen.query_one("#run-log", Log).lines) == ["training on 800 icons"]


async def test_lab_screen_fits_80x24(make, fake_checks):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        app.run_command_line("/check lab-00")
        await wait_idle(app, pilot)
        screen = app.screen
        for widget_id in ("#check-mine", "#check-reference", "#train", "#cancel"):
            region = screen.query_one(widget_id).region
            assert region.right <= 80 and region.height == 1
        assert screen.query_one("#results", DataTable).row_count == 2


def test_the_fakes_match_the_real_signatures():
    """If checks.run_checks or runs.run_lab change shape, the fakes above must follow."""
    import inspect

    import harness.grading.checks as checks
    import harness.grading.runs as runs

    for func, names in (
        (checks.run_checks, {"learner", "reference", "task", "store", "on_output", "cancel"}),
        (
            runs.run_lab,
            {"learner", "reference", "seed", "store", "on_progress", "on_output", "cancel"},
        ),
    ):
        assert names <= set(inspect.signature(func).parameters)


async def test_test_names_and_messages_are_shown_as_text_not_markup(make, store):
    """Parametrized test ids look like markup tags ("[key-mask]") and learner output may hold
    "[/x]"; the results table must show both as written, and never crash on them."""
    run_id = store.record_check_run(
        learner=LEARNER,
        lab_id="lab-00",
        impl="learner",
        task=None,
        status="fail",
        results=[
            CheckResult("test_attention[key-mask]", "attention", "fail", "[/x] printed", 0.1),
            CheckResult("test_attention[no-mask]", "attention", "pass", "", 0.1),
        ],
        message="1 failed",
    )
    assert run_id
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/lab lab-00")
        await pilot.pause()
        await pilot.pause()
        table = app.screen.query_one("#results", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert [row[2] for row in rows] == ["test_attention[key-mask]", "test_attention[no-mask]"]
        assert "[/x] printed" in text(app.screen, "#detail")
        rendered = "\n".join(line.text for line in table.render_lines(table.size.region))
        assert "test_attention[key-mask]" in rendered
